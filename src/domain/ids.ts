import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

// Ids are UUIDv7 (RFC 9562): unique like v4, but they start with their creation time, so each new
// id sorts after the last and lands at the end of its unique index instead of on a random page
// (fewer pages written per commit, and ids list in creation order).

/** A delivery id and its stable `webhook-id` (the same suffix). */
export function newDeliveryIds(): { deliveryId: string; webhookId: string } {
  const suffix = uuidv7().replaceAll('-', '');
  return { deliveryId: `dlv_${suffix}`, webhookId: `msg_${suffix}` };
}

/** A Standard Webhooks signing secret: `whsec_` + 32 random bytes in base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export const newTaskId = (): string => uuidv7();
export const newAgentId = (): string => uuidv7();
