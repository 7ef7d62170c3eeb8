import { describe, expect, it } from 'vitest';
import { classifyStatus, nextAttemptAt, parseRetryAfter } from '../../src/delivery/retry-policy.js';

const schedule = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

describe('nextAttemptAt', () => {
  it('when an attempt fails, then the next waits the scheduled delay within ±20% jitter', () => {
    const now = 1_000_000;
    expect(nextAttemptAt({ schedule, attemptsMade: 1, retryAfterSeconds: null, now, expiresAt: null, random: () => 0.5 })).toBe(now + 5000);
    expect(nextAttemptAt({ schedule, attemptsMade: 1, retryAfterSeconds: null, now, expiresAt: null, random: () => 0 })).toBe(now + 4000);
    expect(nextAttemptAt({ schedule, attemptsMade: 2, retryAfterSeconds: null, now, expiresAt: null, random: () => 0.999999 })).toBeCloseTo(now + 360_000, -1);
  });

  it('when the schedule is spent, then null (the delivery fails)', () => {
    expect(nextAttemptAt({ schedule, attemptsMade: 8, retryAfterSeconds: null, now: 0, expiresAt: null })).toBeNull();
  });

  it('when Retry-After asks for longer, then it wins; when shorter, the schedule does', () => {
    expect(nextAttemptAt({ schedule, attemptsMade: 1, retryAfterSeconds: 60, now: 0, expiresAt: null, random: () => 0.5 })).toBe(60_000);
    expect(nextAttemptAt({ schedule, attemptsMade: 1, retryAfterSeconds: 1, now: 0, expiresAt: null, random: () => 0.5 })).toBe(5000);
  });

  it('when the next attempt would pass the deadline, then it is moved to the deadline; past it, null', () => {
    expect(nextAttemptAt({ schedule, attemptsMade: 2, retryAfterSeconds: null, now: 0, expiresAt: 10_000, random: () => 0.5 })).toBe(10_000);
    expect(nextAttemptAt({ schedule, attemptsMade: 2, retryAfterSeconds: null, now: 10_000, expiresAt: 10_000 })).toBeNull();
  });
});

describe('parseRetryAfter and classifyStatus', () => {
  it('when Retry-After is seconds or an HTTP date, then it is read; garbage is ignored', () => {
    expect(parseRetryAfter('7', 0)).toBe(7);
    expect(parseRetryAfter(new Date(30_000).toUTCString(), 0)).toBe(30);
    expect(parseRetryAfter('soon', 0)).toBeNull();
    expect(parseRetryAfter(undefined, 0)).toBeNull();
  });

  it('when classifying, then 2xx succeed, 429/5xx/408 retry, other 4xx refuse, 404 retries only when asked', () => {
    expect(classifyStatus(200)).toBe('success');
    expect(classifyStatus(202)).toBe('success');
    for (const s of [408, 429, 500, 502, 503]) expect(classifyStatus(s)).toBe('retry');
    for (const s of [301, 400, 401, 403, 404, 410, 422]) expect(classifyStatus(s)).toBe('refused');
    expect(classifyStatus(404, true)).toBe('retry');
  });
});
