import type { components } from '../../generated/ts/agentkit.js';
import { hasEnded, type TaskRecord } from './task.js';

type Schemas = components['schemas'];
/** What happened to a task (the spec's `TaskEvent.kind`). */
export type TaskEventKind = Schemas['TaskEvent']['kind'];
/** Who made it happen: the agent's report, an API client's dispatch or cancel, or AgentKit's own rule. */
export type TaskEventSource = Schemas['TaskEvent']['source'];

/** One entry of a task's event log, as a store keeps it (the store numbers it: `seq`). */
export interface TaskEvent {
  taskId: string;
  at: string;
  kind: TaskEventKind;
  /** The task's status once the event happened. */
  status: TaskRecord['status'];
  source: TaskEventSource;
  /** The agent's progress and message as its report left them (agent's events only). */
  progress: number | null;
  /** The agent's message (agent's events); the cancel's reason (`cancel_requested`). */
  message: string | null;
  /** Why the task failed (`failed` only). */
  error: TaskRecord['error'];
}

/** A stored event with its number in the log (one sequence across tasks: a task's events are in order). */
export interface StoredTaskEvent extends TaskEvent {
  seq: number;
}

function event(task: TaskRecord, kind: TaskEventKind, source: TaskEventSource, at: string, said: Pick<TaskEvent, 'progress' | 'message'> | null): TaskEvent {
  return {
    taskId: task.taskId,
    at,
    kind,
    status: task.status,
    source,
    progress: said?.progress ?? null,
    message: said?.message ?? null,
    error: kind === 'failed' ? task.error : null,
  };
}

/**
 * What a task's change from `before` to `next` (the outcome of a rule of task.ts) adds to its event
 * log, in order; `before` null: `next` was just dispatched. The log keeps:
 * - `dispatched`;
 * - each report that changed the status, the progress or the message (`running`, `progress`, and
 *   the agent's own `finished`, `failed`, `canceled`); a report that changes nothing else is a
 *   heartbeat, not logged (the task counts every report, as each is a heartbeat: `heartbeatCount`, and
 *   keeps the last one's time);
 * - `cancel_requested` (with its reason), and every end AgentKit gives a task itself (`failed`
 *   with its error: heartbeat_timeout, timeout, agent_restarted, agent_deregistered,
 *   undeliverable, refused, egress_refused; `canceled` past the cancel grace, or before delivery).
 *
 * `delivered` is not logged: the delivery attempt that got the agent's 2xx is its record (the
 * deliveries' attempt log), and the task keeps `deliveredAt`. A change is the agent's when it came
 * with a report (the only thing that counts a heartbeat); a cancel is its requester's.
 */
export function taskEvents(before: TaskRecord | null, next: TaskRecord): TaskEvent[] {
  if (before === null) return [event(next, 'dispatched', 'client', next.createdAt, null)];
  const byAgent = next.heartbeatCount > before.heartbeatCount;
  const events: TaskEvent[] = [];
  const cancelAsked = before.cancelRequestedAt === null && next.cancelRequestedAt !== null;
  if (cancelAsked) events.push(event(next, 'cancel_requested', 'client', next.cancelRequestedAt!, { progress: null, message: next.cancelReason }));
  const said = byAgent ? next : null;
  if (next.status !== before.status) {
    if (hasEnded(next)) events.push(event(next, next.status as TaskEventKind, byAgent ? 'agent' : cancelAsked ? 'client' : 'agentkit', next.finishedAt ?? next.updatedAt, said));
    else if (next.status === 'running') events.push(event(next, 'running', 'agent', next.updatedAt, said));
    // `delivered`: the delivery attempt is its record; `canceling`: cancel_requested above.
  } else if (byAgent && (next.progress !== before.progress || next.message !== before.message)) {
    events.push(event(next, 'progress', 'agent', next.updatedAt, said));
  }
  return events;
}
