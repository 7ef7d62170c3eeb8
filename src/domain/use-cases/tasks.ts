import { createHash } from 'node:crypto';
import type { Page, Store } from '../../store/types.js';
import type { Clock } from '../clock.js';
import { taskFromDispatch, type DispatchRequest } from '../dispatch.js';
import { mustActFor, type Principal } from '../access.js';
import { conflict, notFound, tooMany } from '../errors.js';
import { newTaskId } from '../ids.js';
import { cancelNotice, taskDelivery } from '../messages.js';
import { hasEnded, newTask, type TaskRecord, type TaskReport, type TaskStatus } from '../task.js';

export interface TaskUseCaseDeps {
  store: Store;
  clock: Clock;
  /** Called after a commit that queued a delivery, with its target URL. */
  queued: (targetUrl?: string) => void;
  dispatched: () => void;
  /** AGENTKIT_MISSED_HEARTBEATS. */
  missedHeartbeats: number;
  /** AGENTKIT_CANCEL_GRACE_MS. */
  cancelGraceMs: number;
  /** AGENTKIT_MAX_QUEUED_TASKS (null: no cap). */
  maxQueuedTasks?: number | null;
}

/** What a 429 for a full queue suggests: the agent takes tasks off its queue as it works. */
const QUEUE_FULL_RETRY_AFTER_S = 5;

/** A stable hash of a JSON value (object keys sorted), for idempotency comparisons. */
export function canonicalHash(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

/** Dispatch, reading and reporting of tasks. */
export class TaskUseCases {
  constructor(private readonly deps: TaskUseCaseDeps) {}

  /**
   * Stores the task and its delivery in one transaction. Returns `replayed` when the
   * idempotency key was used before with the same body.
   */
  async dispatch(agentId: string, req: DispatchRequest, idempotencyKey: string | null): Promise<{ task: TaskRecord; replayed: boolean }> {
    const now = this.deps.clock.now();
    const task = newTask(Object.assign(taskFromDispatch(req), { taskId: newTaskId(), agentId }), now.toISOString());
    let target: string | undefined;
    const result = await this.deps.store.createTask({
      task,
      delivery: (contactEndpoint) => taskDelivery(task, (target = contactEndpoint), now),
      idempotencyKey,
      // Compared only when the same key comes again, so only worth computing with a key.
      requestHash: idempotencyKey === null ? '' : canonicalHash(req),
      missedHeartbeats: this.deps.missedHeartbeats,
      maxQueuedTasks: this.deps.maxQueuedTasks ?? null,
    });
    switch (result.outcome) {
      case 'agent-not-found':
        throw notFound(`No agent with id ${agentId}`);
      case 'queue-full':
        throw tooMany(`Agent ${agentId} has ${result.queued} tasks it has not taken yet, its cap (AGENTKIT_MAX_QUEUED_TASKS): nothing was stored`, QUEUE_FULL_RETRY_AFTER_S);
      case 'idempotency-conflict':
        throw conflict('This Idempotency-Key was already used with a different request body');
      case 'replayed':
        return { task: result.task, replayed: true };
      case 'created':
        this.deps.dispatched();
        this.deps.queued(target);
        return { task: result.task, replayed: false };
    }
  }

  async get(taskId: string, principal: Principal): Promise<TaskRecord> {
    const task = await this.deps.store.getTask(taskId);
    if (!task) throw notFound(`No task with id ${taskId}`);
    mustActFor(principal, task.agentId, `task ${taskId}`);
    return task;
  }

  /** `created`: dispatched in [after, before), date-time strings (either may be left out). */
  list(limit: number, cursor: string | undefined, agentId: string | undefined, status: TaskStatus | undefined, created: { after?: string | undefined; before?: string | undefined } = {}): Promise<Page<TaskRecord>> {
    const iso = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
    return this.deps.store.listTasks({ limit, cursor }, { agentId, status, createdAfter: iso(created.after), createdBefore: iso(created.before) });
  }

  /** Applies the agent's report (`hasResult`: it carried a `result`, possibly null). */
  async report(taskId: string, report: TaskReport, hasResult: boolean, principal: Principal): Promise<TaskRecord> {
    const result = await this.deps.store.reportTask({
      taskId,
      report,
      hasResult,
      now: this.deps.clock.now().toISOString(),
      // An agent reports on its own tasks only (admin on any).
      ...(principal.role === 'agent' ? { checkReporter: (agentId: string) => mustActFor(principal, agentId, `task ${taskId}`) } : {}),
    });
    if (result.outcome === 'not-found') throw notFound(`No task with id ${taskId}`);
    if (result.outcome === 'conflict') throw conflict(result.message);
    // The task gave its slot back: a waiting task of the agent was let through.
    if (result.task.holdsSlot && hasEnded(result.task)) this.deps.queued();
    return result.task;
  }

  /**
   * Cancels the task (see the domain's decideCancel): `canceled` at once when the agent has not
   * got it, else `canceling`, with a cancel notice queued to the agent the first time.
   */
  async cancel(taskId: string, reason: string | null): Promise<{ task: TaskRecord; canceling: boolean }> {
    const now = this.deps.clock.now();
    const result = await this.deps.store.cancelTask({
      taskId,
      reason,
      now: now.toISOString(),
      graceMs: this.deps.cancelGraceMs,
      notice: (task, contactEndpoint) => cancelNotice(task, contactEndpoint, now),
    });
    if (result.outcome === 'not-found') throw notFound(`No task with id ${taskId}`);
    if (result.outcome === 'conflict') throw conflict(result.message);
    this.deps.queued();
    return { task: result.task, canceling: result.outcome === 'canceling' };
  }
}
