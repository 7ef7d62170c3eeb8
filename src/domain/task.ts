import type { components } from '../../generated/ts/agentkit.js';

type Schemas = components['schemas'];
export type TaskStatus = Schemas['TaskStatus'];
/** What an Ops-Core message envelope carried besides what was mapped onto the task (see dispatch.ts). */
export type OpsCoreMessageContext = Schemas['OpsCoreMessageContext'];
export type TaskError = Schemas['TaskError'];
/** An agent's report on its task (the spec's `TaskReport`). */
export type TaskReport = Schemas['TaskReport'];
/** An outcome the agent reported after the task had ended. */
export type LateOutcome = Schemas['LateOutcome'];

/** A dispatched task and what became of it. */
export interface TaskRecord {
  taskId: string;
  agentId: string;
  taskName: string;
  parameters: Record<string, unknown>;
  opscoreSessionId: string | null;
  opscoreTaskId: string | null;
  timeoutSeconds: number | null;
  /** What an Ops-Core message envelope carried besides the mapped fields; null for a TaskDispatch. */
  opscoreMessage: OpsCoreMessageContext | null;
  /** ISO time after which the task may no longer be delivered; null without a timeout. */
  deadline: string | null;
  status: TaskStatus;
  progress: number | null;
  message: string | null;
  /** What the handler returned; `undefined` until finished. */
  result: unknown;
  error: TaskError | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
  finishedAt: string | null;
  /** How long the agent may be silent about the task before it fails, ms; null: its agent sends no heartbeats. */
  heartbeatTimeoutMs: number | null;
  /** Epoch ms at which a silent agent fails the task; null while it is not taken, or without heartbeats. */
  heartbeatDueAt: number | null;
  lastHeartbeatAt: string | null;
  /** Reports heard while the task was open (every report is a heartbeat); the event log keeps only those that changed something (task-events.ts). */
  heartbeatCount: number;
  /** The details of the last heartbeat that carried some. */
  heartbeat: Record<string, unknown> | null;
  cancelRequestedAt: string | null;
  cancelReason: string | null;
  /** Epoch ms at which AgentKit stops waiting for the agent to confirm a cancel; null unless canceling. */
  cancelDueAt: number | null;
  /** The task counts against its agent's `maxConcurrentTasks` (it got one of its slots). */
  holdsSlot: boolean;
  lateOutcome: LateOutcome | null;
}

// ---- the statuses a rule picks tasks by (stores select with these lists) -------------------

/** Statuses nothing changes any more. */
export const ENDED = ['finished', 'failed', 'canceled'] as const satisfies readonly TaskStatus[];
/** The agent has not got the task yet: deregistering the agent, or failing to deliver, fails it; a cancel ends it at once. */
export const NOT_TAKEN = ['queued'] as const satisfies readonly TaskStatus[];
/** The agent got the task and owes its outcome: the deadline and heartbeat rules watch these. */
export const TAKEN = ['delivered', 'running'] as const satisfies readonly TaskStatus[];
/** A cancel was asked of the agent, which has until the cancel grace to confirm. */
export const CANCELING = ['canceling'] as const satisfies readonly TaskStatus[];

const includes = (list: readonly TaskStatus[], status: TaskStatus) => list.includes(status);
export const hasEnded = (task: Pick<TaskRecord, 'status'>): boolean => includes(ENDED, task.status);
export const isTaken = (task: Pick<TaskRecord, 'status'>): boolean => includes(TAKEN, task.status);

// ---- why a task fails ---------------------------------------------------------------------

/** The errors AgentKit itself gives a task, one place for their codes and wording. */
export const taskErrors = {
  /** The agent reported `failed` without saying why. */
  reported: (): TaskError => ({ code: 'failed', message: 'The agent reported a failure' }),
  agentDeregistered: (agentId: string): TaskError => ({ code: 'agent_deregistered', message: `Agent ${agentId} deregistered before the task was delivered` }),
  /** The agent answered the delivery with a status that says no (a 4xx other than 408, 425, 429). */
  refused: (agentId: string, answer: string): TaskError => ({ code: 'refused', message: `Agent ${agentId} refused the task (${answer})` }),
  /** The retry budget ran out, or the agent is gone. */
  egressRefused: (agentId: string, reason: string): TaskError => ({ code: 'egress_refused', message: `AgentKit will not deliver to agent ${agentId}: ${reason}` }),
  undeliverable: (agentId: string, lastError: string): TaskError => ({ code: 'undeliverable', message: `The task could not be delivered to agent ${agentId} (last error: ${lastError})` }),
  /** The task's deadline passed before any attempt got through. */
  notDeliveredInTime: (agentId: string, lastError?: string): TaskError => ({
    code: 'timeout',
    message: `The task could not be delivered to agent ${agentId} before its timeout${lastError ? ` (last error: ${lastError})` : ''}`,
  }),
  /** The agent took the task and reported no outcome by its deadline (plus the grace). */
  noOutcome: (): TaskError => ({ code: 'timeout', message: 'The agent reported no outcome before the task deadline (it may have stopped)' }),
  /** The agent registered again (it restarted), so the process that had the task is gone. */
  agentRestarted: (agentId: string): TaskError => ({ code: 'agent_restarted', message: `Agent ${agentId} registered again (it restarted) while it had the task` }),
  /** The agent declared heartbeats and went silent about the task for too long. */
  heartbeatTimeout: (): TaskError => ({ code: 'heartbeat_timeout', message: 'The agent sent no heartbeat for the task for too long (it may have stopped)' }),
};

// ---- transitions --------------------------------------------------------------------------

/** What a dispatch says of a new task. */
export type TaskFields = Pick<TaskRecord, 'taskId' | 'agentId' | 'taskName' | 'parameters' | 'opscoreSessionId' | 'opscoreTaskId' | 'timeoutSeconds' | 'opscoreMessage'>;

/**
 * A task as dispatched at `now`: queued, nothing heard of it yet, its deadline `timeout_seconds`
 * from now. The store fills in what depends on the agent as it stands when the task is stored:
 * `heartbeatTimeoutMs` and `holdsSlot`.
 */
export function newTask(fields: TaskFields, now: string): TaskRecord {
  // Written out rather than spread: V8 adds each key a spread lacks on a slow path, and this runs
  // once per dispatch (bench/README.md, issue 13).
  return {
    taskId: fields.taskId,
    agentId: fields.agentId,
    taskName: fields.taskName,
    parameters: fields.parameters,
    opscoreSessionId: fields.opscoreSessionId,
    opscoreTaskId: fields.opscoreTaskId,
    timeoutSeconds: fields.timeoutSeconds,
    opscoreMessage: fields.opscoreMessage,
    deadline: fields.timeoutSeconds === null ? null : new Date(Date.parse(now) + fields.timeoutSeconds * 1000).toISOString(),
    status: 'queued',
    progress: null,
    message: null,
    result: undefined,
    error: null,
    createdAt: now,
    updatedAt: now,
    deliveredAt: null,
    finishedAt: null,
    heartbeatTimeoutMs: null,
    heartbeatDueAt: null,
    lastHeartbeatAt: null,
    heartbeatCount: 0,
    heartbeat: null,
    cancelRequestedAt: null,
    cancelReason: null,
    cancelDueAt: null,
    holdsSlot: false,
    lateOutcome: null,
  };
}

/** How many heartbeat intervals a task may go unheard when AGENTKIT_MISSED_HEARTBEATS does not say. */
export const DEFAULT_MISSED_HEARTBEATS = 3;

/** How long an agent that declared heartbeats every `intervalSeconds` may be silent about a task: `missed` intervals. */
export function heartbeatTimeoutMs(intervalSeconds: number | null, missed: number): number | null {
  return intervalSeconds === null ? null : intervalSeconds * 1000 * missed;
}

const after = (iso: string, ms: number | null) => (ms === null ? null : Date.parse(iso) + ms);

/** The task, ended now: nothing is due for it any more. */
function ended(task: TaskRecord, status: (typeof ENDED)[number], now: string): TaskRecord {
  return { ...task, status, updatedAt: now, finishedAt: now, heartbeatDueAt: null, cancelDueAt: null };
}

/** The task, failed now with `error`. */
export function failed(task: TaskRecord, error: TaskError, now: string): TaskRecord {
  return { ...ended(task, 'failed', now), error };
}

/** The task, canceled now (by its agent's word, or by AgentKit when the agent did not confirm). */
export function canceled(task: TaskRecord, now: string): TaskRecord {
  return ended(task, 'canceled', now);
}

/**
 * The task once its delivery succeeded: `delivered`, if the agent's own reports have not moved it
 * on already (they may arrive before the delivery's answer is recorded), with its first heartbeat
 * due. Null: nothing changes.
 */
export function delivered(task: TaskRecord, now: string): TaskRecord | null {
  if (!includes(NOT_TAKEN, task.status)) return null;
  return { ...task, status: 'delivered', deliveredAt: task.deliveredAt ?? now, updatedAt: now, heartbeatDueAt: after(now, task.heartbeatTimeoutMs) };
}

/**
 * The task once its delivery failed for good with `error`: failed, unless the agent took it
 * (its own report counts then). Null: nothing changes.
 */
export function undelivered(task: TaskRecord, error: TaskError, now: string): TaskRecord | null {
  return includes(NOT_TAKEN, task.status) ? failed(task, error, now) : null;
}

/** Statuses of a task its agent has now: taken, or asked to stop. */
export const WITH_AGENT = [...TAKEN, ...CANCELING] as const satisfies readonly TaskStatus[];

/**
 * The task, once its agent restarted without it (see the domain's restartLosesTasks): failed with
 * `agentRestarted`, or canceled if a cancel was under way. Null: it is not with the agent.
 */
export function orphaned(task: TaskRecord, now: string): TaskRecord | null {
  if (task.status === 'canceling') return canceled(task, now);
  return includes(TAKEN, task.status) ? failed(task, taskErrors.agentRestarted(task.agentId), now) : null;
}

/** Whether the change from `before` to `next` takes the task out of its agent's queue (it counts no more against the cap). */
export function leavesQueue(before: Pick<TaskRecord, 'status'>, next: Pick<TaskRecord, 'status'>): boolean {
  return includes(NOT_TAKEN, before.status) && !includes(NOT_TAKEN, next.status);
}

/** Whether the change from `before` to `next` gives the task's slot of its agent back (the agent's next waiting task takes it). */
export function freesSlot(before: TaskRecord, next: TaskRecord): boolean {
  return before.holdsSlot && !hasEnded(before) && hasEnded(next);
}

export type ReportDecision =
  | { outcome: 'updated'; task: TaskRecord }
  /** The same outcome again (the SDK retries): nothing changes. */
  | { outcome: 'unchanged'; task: TaskRecord }
  /** Refused; `task` records the late outcome (store it). */
  | { outcome: 'conflict'; task: TaskRecord; message: string };

/**
 * What an agent's report does to its task. Every report is a heartbeat. `running` records
 * progress (and keeps a canceling task canceling); `finished`, `failed` and `canceled` end the
 * task. An ended task stays as it is: the same outcome again changes nothing, another is a
 * conflict, recorded on the task. Progress and message keep their last values when a report
 * leaves them out; a finished task is at 100 %. `hasResult`: the report carried a `result`
 * (which may be null).
 */
export function decideReport(task: TaskRecord, report: TaskReport, hasResult: boolean, now: string): ReportDecision {
  if (hasEnded(task)) {
    if (task.status === report.status) return { outcome: 'unchanged', task };
    return {
      outcome: 'conflict',
      task: { ...task, lateOutcome: { status: report.status, at: now } },
      message: `The task already ended as ${task.status}; a report cannot change that`,
    };
  }
  const heard: TaskRecord = {
    ...task,
    progress: report.progress ?? (report.status === 'finished' ? 100 : task.progress),
    message: report.message ?? task.message,
    lastHeartbeatAt: now,
    heartbeatCount: task.heartbeatCount + 1,
    heartbeat: report.details ?? task.heartbeat,
    heartbeatDueAt: after(now, task.heartbeatTimeoutMs),
    updatedAt: now,
    deliveredAt: task.deliveredAt ?? now,
  };
  switch (report.status) {
    case 'running':
      // A canceling task stays canceling: the cancel grace, not the heartbeat, decides when it ends.
      return { outcome: 'updated', task: task.status === 'canceling' ? { ...heard, heartbeatDueAt: null } : { ...heard, status: 'running' } };
    case 'finished':
      return { outcome: 'updated', task: { ...ended(heard, 'finished', now), result: hasResult ? (report.result ?? null) : task.result, error: null } };
    case 'failed':
      return { outcome: 'updated', task: failed(heard, report.error ?? taskErrors.reported(), now) };
    case 'canceled':
      return { outcome: 'updated', task: canceled(heard, now) };
  }
}

export type CancelDecision =
  /** Ended canceled (it was never delivered, or it already was): 200. */
  | { outcome: 'canceled'; task: TaskRecord }
  /** The agent has it: canceling until it confirms or `cancelDueAt`; `notify`: tell the agent now (the first request). 202. */
  | { outcome: 'canceling'; task: TaskRecord; notify: boolean }
  | { outcome: 'conflict'; message: string };

/**
 * What a cancel does: a task the agent has not got ends canceled at once; one it has becomes
 * canceling, and the agent is told, with `graceMs` to confirm. Asking again answers the same.
 * A task that finished or failed cannot be canceled.
 */
export function decideCancel(task: TaskRecord, reason: string | null, now: string, graceMs: number): CancelDecision {
  if (task.status === 'canceled') return { outcome: 'canceled', task };
  if (task.status === 'canceling') return { outcome: 'canceling', task, notify: false };
  if (hasEnded(task)) return { outcome: 'conflict', message: `The task already ended as ${task.status}; it cannot be canceled` };
  const asked: TaskRecord = { ...task, cancelRequestedAt: now, cancelReason: reason, updatedAt: now };
  if (includes(NOT_TAKEN, task.status)) return { outcome: 'canceled', task: canceled(asked, now) };
  return { outcome: 'canceling', task: { ...asked, status: 'canceling', heartbeatDueAt: null, cancelDueAt: Date.parse(now) + graceMs }, notify: true };
}
