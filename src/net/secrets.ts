import { createHash, timingSafeEqual } from 'node:crypto';

/** A fixed-length digest of a secret, so that secrets of any length compare in constant time. */
export const secretDigest = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/**
 * Whether `given` is one of the secrets whose digests are `known` (see {@link secretDigest}).
 * Every digest is compared, so the time taken says nothing about which one matched or how much.
 */
export function matchesSecret(given: string, known: readonly Buffer[]): boolean {
  const digest = secretDigest(given);
  let match = false;
  for (const d of known) match = timingSafeEqual(d, digest) || match;
  return match;
}

/** The digest of a credential as a store keeps it (hex): never the credential itself. */
export const storedDigest = (secret: string): string => secretDigest(secret).toString('hex');
