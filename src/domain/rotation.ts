/**
 * Rotating a secret without downtime: for a grace period after a rotation the previous secret
 * still holds beside the new one (deliveries carry a signature with each; a previous agent
 * credential still authenticates). One rule for both kinds of secret; stores keep the pair.
 */
export interface Rotated<T> {
  current: T;
  previous: T | null;
  /** Epoch ms until which `previous` holds; null: it does not. */
  previousUntil: number | null;
}

/** Default grace period, seconds (AGENTKIT_SECRET_ROTATION_GRACE_S). */
export const DEFAULT_ROTATION_GRACE_S = 86_400;

/** The longest grace period a rotation may ask for, seconds (a week). */
export const MAX_ROTATION_GRACE_S = 7 * 86_400;

/** The values in force at `nowMs`, newest first. */
export function inForce<T>(r: Rotated<T>, nowMs: number): T[] {
  return r.previous !== null && r.previousUntil !== null && nowMs < r.previousUntil ? [r.current, r.previous] : [r.current];
}

/** Until when the secret being replaced at `nowMs` holds (null: grace 0, it stops at once). */
export function previousUntil(nowMs: number, graceSeconds: number): number | null {
  return graceSeconds > 0 ? nowMs + graceSeconds * 1000 : null;
}
