import type { components } from '../../generated/ts/agentkit.js';
import { hasEnded, type TaskError, type TaskRecord } from './task.js';

export type DeliveryStatus = components['schemas']['DeliveryStatus'];
export type DeliveryKind = components['schemas']['WebhookDelivery']['kind'];

/** One attempt of a delivery, as the delivery log shows it (the spec's `DeliveryAttempt`). */
export interface DeliveryAttempt {
  attempt: number;
  at: string;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** Every kind of delivery, in the order the API lists them. */
export const DELIVERY_KINDS = ['agent.lifecycle', 'task.delivery', 'task.cancel', 'opscore.state'] as const satisfies readonly DeliveryKind[];

/** Deliveries that go to the address an agent gave (checked by AgentHostPolicy), not to Ops-Core. */
export function goesToAgent(kind: DeliveryKind): boolean {
  return kind === 'task.delivery' || kind === 'task.cancel';
}

/** A message to send, as the domain builds it; the store adds status and bookkeeping. */
export interface NewDelivery {
  deliveryId: string;
  webhookId: string;
  kind: DeliveryKind;
  eventType: string;
  agentId: string;
  taskId: string | null;
  targetUrl: string;
  /** The exact body bytes to send (JSON text). */
  payload: string;
  /**
   * Deliveries with the same order key are sent one at a time, oldest first
   * (e.g. one agent's lifecycle events). Null: no ordering.
   */
  orderKey: string | null;
  /** Epoch ms of the first attempt. */
  nextAttemptAt: number;
  /** Epoch ms after which no further attempt is made (task deadline); null: none. */
  expiresAt: number | null;
  createdAt: string;
}

export interface DeliveryRecord extends NewDelivery {
  status: DeliveryStatus;
  attempts: number;
  /** Attempts made before the last redelivery; the retry schedule counts from here. */
  retryBase: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastLatencyMs: number | null;
  /** A task delivery that waits for a slot of its agent (`maxConcurrentTasks`). */
  waitingForSlot: boolean;
  updatedAt: string;
  attemptLog: DeliveryAttempt[];
}

/** How an attempt ended, as the delivery worker decides it. */
export type AttemptOutcome =
  | { outcome: 'succeeded' }
  | { outcome: 'retry'; nextAttemptAt: number }
  /** For a task delivery, `taskError` is why its task fails (if the agent has not taken it). */
  | { outcome: 'failed'; taskError?: TaskError | undefined };

/** What a task that just failed reports to Ops-Core (null: nothing, e.g. no OPSCORE_API_URL). */
export type EndReport = (task: TaskRecord) => NewDelivery | null;

/**
 * Whether a delivery may be sent again by hand. A pending one is still being worked; a task
 * delivery whose task has ended would run the task twice (dispatch it anew instead). Reports to
 * Ops-Core and cancel notices only repeat what is already true, so they may always go again.
 */
export function decideRedelivery(delivery: Pick<DeliveryRecord, 'status' | 'kind'>, task: Pick<TaskRecord, 'status'> | null): { ok: true } | { ok: false; reason: string } {
  if (delivery.status === 'pending') return { ok: false, reason: 'The delivery is still pending; it will be attempted again by itself' };
  if (delivery.kind === 'task.delivery' && task && hasEnded(task)) return { ok: false, reason: `The task already ended (${task.status}); dispatch it again instead` };
  return { ok: true };
}
