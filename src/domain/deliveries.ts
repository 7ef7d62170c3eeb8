import type { DeliveryFilter, DeliveryRecord, Page, Store } from '../store/types.js';
import type { Clock } from './clock.js';
import { conflict, notFound } from './errors.js';

/** The delivery log and redelivery. */
export class DeliveryUseCases {
  constructor(private readonly deps: { store: Store; clock: Clock; queued: () => void }) {}

  list(limit: number, cursor: string | undefined, filter: DeliveryFilter): Promise<Page<DeliveryRecord>> {
    return this.deps.store.listDeliveries({ limit, cursor }, filter);
  }

  async redeliver(deliveryId: string): Promise<DeliveryRecord> {
    // The spec: a task delivery whose task already ended cannot be redelivered (409), whether
    // that delivery failed or succeeded; the store itself only refuses failed ones.
    const existing = await this.deps.store.getDelivery(deliveryId);
    if (existing?.kind === 'task.delivery' && existing.taskId !== null) {
      const task = await this.deps.store.getTask(existing.taskId);
      if (task && (task.status === 'finished' || task.status === 'failed')) {
        throw conflict(`The task already ended (${task.status}); dispatch it again instead`);
      }
    }
    const now = this.deps.clock.now();
    const result = await this.deps.store.redeliver(deliveryId, now.getTime(), now.toISOString());
    if (result.outcome === 'not-found') throw notFound(`No delivery with id ${deliveryId}`);
    if (result.outcome === 'conflict') throw conflict(result.reason);
    this.deps.queued();
    return result.delivery;
  }
}
