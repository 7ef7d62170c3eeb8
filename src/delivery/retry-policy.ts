/**
 * When to try a delivery again. The schedule lists the delay (seconds) before each
 * attempt: index 0 is the first attempt (normally 0, immediately); after attempt n the
 * next waits schedule[n]; when the schedule is spent, the delivery fails.
 */
export interface RetryDecisionInput {
  schedule: readonly number[];
  /** Attempts made so far in this budget, including the one that just ended. */
  attemptsMade: number;
  /** Seconds the receiver asked us to wait (Retry-After), if any. */
  retryAfterSeconds: number | null;
  now: number;
  /** Epoch ms after which no attempt may be made (task deadline); null: none. */
  expiresAt: number | null;
  /** Returns a number in [0, 1); injectable for tests. */
  random?: () => number;
}

/** Jitter: each delay is spread over ±20% so that retries of many deliveries don't align. */
const JITTER = 0.2;
/** A Retry-After is honoured up to a day. */
const MAX_RETRY_AFTER_SECONDS = 86_400;

/** Epoch ms of the next attempt, or null when the budget is spent. */
export function nextAttemptAt(input: RetryDecisionInput): number | null {
  const delay = input.schedule[input.attemptsMade];
  if (delay === undefined) return null;
  const random = input.random ?? Math.random;
  let ms = delay * 1000 * (1 + JITTER * (2 * random() - 1));
  if (input.retryAfterSeconds !== null) ms = Math.max(ms, Math.min(input.retryAfterSeconds, MAX_RETRY_AFTER_SECONDS) * 1000);
  const at = input.now + Math.round(ms);
  if (input.expiresAt !== null && at >= input.expiresAt) {
    // One last look at the deadline itself, where the task then fails as timed out.
    return input.now >= input.expiresAt ? null : input.expiresAt;
  }
  return at;
}

/** Seconds in a Retry-After header (delta-seconds or an HTTP date), or null. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const date = Date.parse(v);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

export type ResponseClass = 'success' | 'retry' | 'refused';

/**
 * 2xx succeeds; 408, 425, 429 and 5xx are worth retrying; other 4xx (and 3xx, which we
 * don't follow) refuse the delivery for good. `retryNotFound` makes 404 retryable (Ops-Core
 * answers 404 for a state report about an agent whose REGISTER it hasn't processed yet).
 */
export function classifyStatus(status: number, retryNotFound = false): ResponseClass {
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  if (status === 404 && retryNotFound) return 'retry';
  return 'refused';
}
