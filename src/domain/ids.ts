import { randomBytes, randomUUID } from 'node:crypto';

/** A delivery id and its stable `webhook-id` (the same suffix). */
export function newDeliveryIds(): { deliveryId: string; webhookId: string } {
  const suffix = randomUUID().replaceAll('-', '');
  return { deliveryId: `dlv_${suffix}`, webhookId: `msg_${suffix}` };
}

/** A Standard Webhooks signing secret: `whsec_` + 32 random bytes in base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export const newTaskId = (): string => randomUUID();
export const newAgentId = (): string => randomUUID();
