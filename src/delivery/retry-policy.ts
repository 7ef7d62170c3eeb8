/**
 * When to try a delivery again. The schedule lists the delay (seconds) before each attempt:
 * index 0 is the first attempt (normally 0, immediately); after attempt n the next waits
 * schedule[n]; when the schedule is spent, the delivery fails.
 */
export interface RetryDecisionInput {
  schedule: readonly number[];
  /** Attempts made so far in this budget, including the one that just ended. */
  attemptsMade: number;
  /** How long the receiver asked us to wait (Retry-After), ms; null: it did not say. */
  retryAfterMs: number | null;
  now: number;
  /** Epoch ms after which no attempt may be made (task deadline); null: none. */
  expiresAt: number | null;
  /** Returns a number in [0, 1); injectable for tests. */
  random?: () => number;
}

/** Jitter: each delay is spread over ±20% so that retries of many deliveries don't align. */
const JITTER = 0.2;

/** Epoch ms of the next attempt, or null when the budget is spent. The wait is the longer of the schedule's and Retry-After. */
export function nextAttemptAt(input: RetryDecisionInput): number | null {
  const delay = input.schedule[input.attemptsMade];
  if (delay === undefined) return null;
  const random = input.random ?? Math.random;
  let ms = delay * 1000 * (1 + JITTER * (2 * random() - 1));
  if (input.retryAfterMs !== null) ms = Math.max(ms, input.retryAfterMs);
  const at = input.now + Math.round(ms);
  if (input.expiresAt !== null && at >= input.expiresAt) {
    // One last look at the deadline itself, where the task then fails as timed out.
    return input.now >= input.expiresAt ? null : input.expiresAt;
  }
  return at;
}
