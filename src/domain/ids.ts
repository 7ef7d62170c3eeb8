import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

// Ids are UUIDv7 (RFC 9562): unique like v4, but they start with their creation time, so each new
// id sorts after the last and lands at the end of its unique index instead of on a random page
// (fewer pages written per commit, and ids list in creation order).

/**
 * A delivery id and its stable `webhook-id` (the same suffix). Spread it last in an object
 * literal: V8 adds the keys that follow a spread on a slow path.
 */
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

const TOKEN_PREFIX = 'akt';

/**
 * A new agent credential: it names its agent (so that checking it reads one row) and carries 256
 * random bits. Only its digest is stored.
 */
export function newAgentToken(agentId: string): string {
  return `${TOKEN_PREFIX}.${Buffer.from(agentId, 'utf8').toString('base64url')}.${randomBytes(32).toString('base64url')}`;
}

/** The agent an agent credential names; null when `token` is not shaped like one. */
export function agentOfToken(token: string): string | null {
  const [prefix, id, secret, extra] = token.split('.');
  if (prefix !== TOKEN_PREFIX || !id || !secret || extra !== undefined) return null;
  const agentId = Buffer.from(id, 'base64url').toString('utf8');
  return agentId.length > 0 && Buffer.from(agentId, 'utf8').toString('base64url') === id ? agentId : null;
}
