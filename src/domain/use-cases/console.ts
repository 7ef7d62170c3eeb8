import type { components } from '../../../generated/ts/agentkit.js';
import type { Page, Store } from '../../store/types.js';
import { mustActFor, type Principal } from '../access.js';
import type { Clock } from '../clock.js';
import type { DeliveryRecord } from '../delivery.js';
import { notFound } from '../errors.js';
import type { StoredTaskEvent } from '../task-events.js';
import type { TaskRecord } from '../task.js';

export type Statistics = components['schemas']['Statistics'];

/** What the operator console reads besides agents, tasks and deliveries: the overview's counts, a task's deliveries and events. */
export class ConsoleUseCases {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async #readableTask(taskId: string, principal: Principal): Promise<TaskRecord> {
    const task = await this.deps.store.getTask(taskId);
    if (!task) throw notFound(`No task with id ${taskId}`);
    mustActFor(principal, task.agentId, `task ${taskId}`);
    return task;
  }

  async statistics(): Promise<Statistics> {
    const { store } = this.deps;
    const [counts, deliveriesByStatus, outboxDepth, tasksByAgent, endedPerMinute] = await Promise.all([
      store.counts(),
      store.deliveryCounts(),
      store.outboxDepth(),
      store.tasksByAgent(),
      store.endedPerMinute(this.deps.clock.now()),
    ]);
    return { agents: counts.agents, tasksByStatus: counts.tasks, deliveriesByStatus, outboxDepth, tasksByAgent, endedPerMinute };
  }

  /** The task's deliveries, oldest first; an agent reads only its own tasks'. */
  async taskDeliveries(taskId: string, principal: Principal): Promise<DeliveryRecord[]> {
    await this.#readableTask(taskId, principal);
    return this.deps.store.taskDeliveries(taskId);
  }

  /** A page of the task's event log, oldest first, and the task (its heartbeats sum up the rest); an agent reads only its own tasks'. */
  async taskEvents(taskId: string, principal: Principal, limit: number, cursor: string | undefined): Promise<{ task: TaskRecord; events: Page<StoredTaskEvent> }> {
    const task = await this.#readableTask(taskId, principal);
    return { task, events: await this.deps.store.taskEvents(taskId, { limit, cursor }) };
  }
}
