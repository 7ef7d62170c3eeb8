/**
 * How AgentKit reads the answer to a request it sends, the same for the delivery worker (webhooks,
 * task deliveries, state reports) and the SDK (reports to AgentKit and Ops-Core). Where the two
 * treat an answer differently, the caller says so: a 404 (`not-found`) is retried only where the
 * receiver may not know the agent *yet* (Ops-Core before it has processed the REGISTER).
 */

/**
 * `success`: 2xx. `retry`: worth trying again, 408, 425, 429 and 5xx. `not-found`: 404.
 * `refused`: every other answer, 3xx included (redirects are not followed), which repeating will
 * not change.
 */
export type AnswerClass = 'success' | 'retry' | 'not-found' | 'refused';

export function classifyStatus(status: number): AnswerClass {
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  if (status === 404) return 'not-found';
  return 'refused';
}

/** The longest `Retry-After` taken as it is, ms (a day): anything longer is a receiver's mistake. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * A `Retry-After` header (delta-seconds or an HTTP date) as ms from `now`, at most
 * {@link MAX_RETRY_AFTER_MS}; null when absent or unreadable.
 */
export function retryAfterMs(header: string | readonly string[] | null | undefined, now: number): number | null {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return null;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  if (Number.isNaN(ms)) return null;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}
