import type { components } from '../../generated/ts/agentkit.js';

type Schemas = components['schemas'];
export type TaskStatus = Schemas['TaskStatus'];
/** What an Ops-Core message envelope carried besides what was mapped onto the task (see dispatch.ts). */
export type OpsCoreMessageContext = Schemas['OpsCoreMessageContext'];
export type TaskError = Schemas['TaskError'];
/** An agent's report on its task (the spec's `TaskReport`). */
export type TaskReport = Schemas['TaskReport'];

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
}

// ---- the statuses a rule picks tasks by (stores select with these lists) -------------------

/** Statuses nothing changes any more. */
export const ENDED = ['finished', 'failed'] as const satisfies readonly TaskStatus[];
/** The agent has not got the task yet: deregistering the agent, or failing to deliver, fails it. */
export const NOT_TAKEN = ['queued'] as const satisfies readonly TaskStatus[];
/** The agent got the task and owes its outcome: the deadline watchdog watches these. */
export const TAKEN = ['delivered', 'running'] as const satisfies readonly TaskStatus[];

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
  undeliverable: (agentId: string, lastError: string): TaskError => ({ code: 'undeliverable', message: `The task could not be delivered to agent ${agentId} (last error: ${lastError})` }),
  /** The task's deadline passed before any attempt got through. */
  notDeliveredInTime: (agentId: string, lastError?: string): TaskError => ({
    code: 'timeout',
    message: `The task could not be delivered to agent ${agentId} before its timeout${lastError ? ` (last error: ${lastError})` : ''}`,
  }),
  /** The agent took the task and reported no outcome by its deadline (plus the grace). */
  noOutcome: (): TaskError => ({ code: 'timeout', message: 'The agent reported no outcome before the task deadline (it may have stopped)' }),
};

// ---- transitions --------------------------------------------------------------------------

/** The task, failed now with `error`. */
export function failed(task: TaskRecord, error: TaskError, now: string): TaskRecord {
  return { ...task, status: 'failed', error, updatedAt: now, finishedAt: now };
}

/**
 * The task once its delivery succeeded: `delivered`, if the agent's own reports have not moved it
 * on already (they may arrive before the delivery's answer is recorded). Null: nothing changes.
 */
export function delivered(task: TaskRecord, now: string): TaskRecord | null {
  if (!includes(NOT_TAKEN, task.status)) return null;
  return { ...task, status: 'delivered', deliveredAt: task.deliveredAt ?? now, updatedAt: now };
}

/**
 * The task once its delivery failed for good with `error`: failed, unless the agent took it
 * (its own report counts then). Null: nothing changes.
 */
export function undelivered(task: TaskRecord, error: TaskError, now: string): TaskRecord | null {
  return includes(NOT_TAKEN, task.status) ? failed(task, error, now) : null;
}

export type ReportDecision =
  | { outcome: 'updated'; task: TaskRecord }
  /** The same outcome again (the SDK retries): nothing changes. */
  | { outcome: 'unchanged'; task: TaskRecord }
  | { outcome: 'conflict'; task: TaskRecord; message: string };

/**
 * What an agent's report does to its task. `running` records progress; `finished` and `failed`
 * end the task. An ended task stays as it is: the same outcome again changes nothing, another one
 * is a conflict. Progress and message keep their last values when a report leaves them out; a
 * finished task is at 100 %. `hasResult`: the report carried a `result` (which may be null).
 */
export function decideReport(task: TaskRecord, report: TaskReport, hasResult: boolean, now: string): ReportDecision {
  if (hasEnded(task)) {
    return task.status === report.status
      ? { outcome: 'unchanged', task }
      : { outcome: 'conflict', task, message: `The task already ended as ${task.status}; a report cannot change that` };
  }
  const ends = report.status !== 'running';
  return {
    outcome: 'updated',
    task: {
      ...task,
      status: report.status,
      progress: report.progress ?? (report.status === 'finished' ? 100 : task.progress),
      message: report.message ?? task.message,
      result: hasResult ? (report.result ?? null) : task.result,
      error: report.status === 'failed' ? (report.error ?? taskErrors.reported()) : null,
      updatedAt: now,
      deliveredAt: task.deliveredAt ?? now,
      finishedAt: ends ? now : null,
    },
  };
}
