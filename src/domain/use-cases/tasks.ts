import { createHash } from 'node:crypto';
import type { Page, Store } from '../../store/types.js';
import type { Clock } from '../clock.js';
import { taskFromDispatch, type DispatchRequest } from '../dispatch.js';
import { conflict, notFound } from '../errors.js';
import { newTaskId } from '../ids.js';
import { taskDelivery } from '../messages.js';
import type { TaskRecord, TaskReport, TaskStatus } from '../task.js';

export interface TaskUseCaseDeps {
  store: Store;
  clock: Clock;
  /** Called after a commit that queued a delivery, with its target URL. */
  queued: (targetUrl?: string) => void;
  dispatched: () => void;
}

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
    const iso = now.toISOString();
    const fields = taskFromDispatch(req);
    const task: TaskRecord = {
      taskId: newTaskId(),
      agentId,
      ...fields,
      deadline: fields.timeoutSeconds === null ? null : new Date(now.getTime() + fields.timeoutSeconds * 1000).toISOString(),
      status: 'queued',
      progress: null,
      message: null,
      result: undefined,
      error: null,
      createdAt: iso,
      updatedAt: iso,
      deliveredAt: null,
      finishedAt: null,
    };
    let target: string | undefined;
    const result = await this.deps.store.createTask({
      task,
      delivery: (contactEndpoint) => taskDelivery(task, (target = contactEndpoint), now),
      idempotencyKey,
      // Compared only when the same key comes again, so only worth computing with a key.
      requestHash: idempotencyKey === null ? '' : canonicalHash(req),
    });
    switch (result.outcome) {
      case 'agent-not-found':
        throw notFound(`No agent with id ${agentId}`);
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

  async get(taskId: string): Promise<TaskRecord> {
    const task = await this.deps.store.getTask(taskId);
    if (!task) throw notFound(`No task with id ${taskId}`);
    return task;
  }

  list(limit: number, cursor: string | undefined, agentId: string | undefined, status: TaskStatus | undefined): Promise<Page<TaskRecord>> {
    return this.deps.store.listTasks({ limit, cursor }, { agentId, status });
  }

  /** Applies the agent's report (`hasResult`: it carried a `result`, possibly null). */
  async report(taskId: string, report: TaskReport, hasResult: boolean): Promise<TaskRecord> {
    const result = await this.deps.store.reportTask({ taskId, report, hasResult, now: this.deps.clock.now().toISOString() });
    if (result.outcome === 'not-found') throw notFound(`No task with id ${taskId}`);
    if (result.outcome === 'conflict') throw conflict(result.message);
    return result.task;
  }
}
