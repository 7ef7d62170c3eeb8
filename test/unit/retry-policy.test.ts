import { describe, expect, it } from 'vitest';
import { nextAttemptAt } from '../../src/delivery/retry-policy.js';

const schedule = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

describe('nextAttemptAt', () => {
  it('when an attempt fails, then the next waits the scheduled delay within ±20% jitter', () => {
    const now = 1_000_000;
    expect(nextAttemptAt({ schedule, attemptsMade: 1, retryAfterMs: null, now, expiresAt: null, random: () => 0.5 })).toBe(now + 5000);
    expect(nextAttemptAt({ schedule, attemptsMade: 1, retryAfterMs: null, now, expiresAt: null, random: () => 0 })).toBe(now + 4000);
    expect(nextAttemptAt({ schedule, attemptsMade: 2, retryAfterMs: null, now, expiresAt: null, random: () => 0.999999 })).toBeCloseTo(now + 360_000, -1);
  });

  it('when the schedule is spent, then null (the delivery fails)', () => {
    expect(nextAttemptAt({ schedule, attemptsMade: 8, retryAfterMs: null, now: 0, expiresAt: null })).toBeNull();
  });

  it('when Retry-After asks for longer, then it wins; when shorter, the schedule does', () => {
    expect(nextAttemptAt({ schedule, attemptsMade: 1, retryAfterMs: 60_000, now: 0, expiresAt: null, random: () => 0.5 })).toBe(60_000);
    expect(nextAttemptAt({ schedule, attemptsMade: 1, retryAfterMs: 1000, now: 0, expiresAt: null, random: () => 0.5 })).toBe(5000);
  });

  it('when the next attempt would pass the deadline, then it is moved to the deadline; past it, null', () => {
    expect(nextAttemptAt({ schedule, attemptsMade: 2, retryAfterMs: null, now: 0, expiresAt: 10_000, random: () => 0.5 })).toBe(10_000);
    expect(nextAttemptAt({ schedule, attemptsMade: 2, retryAfterMs: null, now: 10_000, expiresAt: 10_000 })).toBeNull();
  });
});
