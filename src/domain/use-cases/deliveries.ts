import type { DeliveryFilter, Page, Store } from '../../store/types.js';
import type { Clock } from '../clock.js';
import type { DeliveryKind, DeliveryRecord } from '../delivery.js';
import { mustActFor, type Principal } from '../access.js';
import { conflict, invalid, notFound } from '../errors.js';

/** The delivery log and redelivery. */
export class DeliveryUseCases {
  constructor(private readonly deps: { store: Store; clock: Clock; queued: () => void }) {}

  list(limit: number, cursor: string | undefined, filter: DeliveryFilter): Promise<Page<DeliveryRecord>> {
    return this.deps.store.listDeliveries({ limit, cursor }, filter);
  }

  /** An agent reads only deliveries about itself (the SDK waits for its REGISTER so). */
  async get(deliveryId: string, principal: Principal): Promise<DeliveryRecord> {
    const delivery = await this.deps.store.getDelivery(deliveryId);
    if (!delivery) throw notFound(`No delivery with id ${deliveryId}`);
    mustActFor(principal, delivery.agentId, `delivery ${deliveryId}`);
    return delivery;
  }

  async redeliver(deliveryId: string): Promise<DeliveryRecord> {
    const now = this.deps.clock.now();
    const result = await this.deps.store.redeliver(deliveryId, now.getTime(), now.toISOString());
    if (result.outcome === 'not-found') throw notFound(`No delivery with id ${deliveryId}`);
    if (result.outcome === 'conflict') throw conflict(result.reason);
    this.deps.queued();
    return result.delivery;
  }

  /**
   * Recovery: every failed delivery created in [since, until) (until: now), of `kind` when set,
   * goes again with a fresh retry budget, oldest first, each once (see Store.recoverDeliveries).
   */
  async recover(since: string, until: string | undefined, kind: DeliveryKind | undefined): Promise<string[]> {
    const now = this.deps.clock.now();
    const from = new Date(since);
    const to = until === undefined ? now : new Date(until);
    if (until !== undefined && to.getTime() <= from.getTime()) throw invalid(`until (${to.toISOString()}) must be later than since (${from.toISOString()})`);
    if (to.getTime() <= from.getTime()) return []; // since is still to come
    const ids = await this.deps.store.recoverDeliveries({ since: from.toISOString(), until: to.toISOString(), kind, now: now.getTime(), nowIso: now.toISOString() });
    if (ids.length > 0) this.deps.queued();
    return ids;
  }
}
