// How an answer is read (src/net/http-outcome.ts), by the delivery worker (src/delivery/outcome.ts)
// and the SDK (src/sdk/http-outcome.ts) alike; the one difference is named below: what a 404 means.
import { describe, expect, it } from 'vitest';
import { attemptOutcome } from '../../src/delivery/outcome.js';
import type { DeliveryRecord } from '../../src/domain/delivery.js';
import { classifyStatus, retryAfterMs } from '../../src/net/http-outcome.js';
import { checkAnswer, NotFoundHttpError, PermanentHttpError, TransientHttpError } from '../../src/sdk/http-outcome.js';

describe('classifyStatus and retryAfterMs', () => {
  it('when classifying, then 2xx succeed, 408/425/429/5xx retry, 404 is not-found, every other answer refuses', () => {
    for (const s of [200, 202, 204]) expect(classifyStatus(s)).toBe('success');
    for (const s of [408, 425, 429, 500, 502, 503]) expect(classifyStatus(s)).toBe('retry');
    expect(classifyStatus(404)).toBe('not-found');
    for (const s of [301, 302, 400, 401, 403, 409, 410, 422]) expect(classifyStatus(s)).toBe('refused');
  });

  it('when Retry-After is seconds or an HTTP date, then it is read as ms; garbage is ignored; a week is a day', () => {
    expect(retryAfterMs('7', 0)).toBe(7000);
    expect(retryAfterMs(new Date(30_000).toUTCString(), 0)).toBe(30_000);
    expect(retryAfterMs(new Date(0).toUTCString(), 60_000)).toBe(0);
    expect(retryAfterMs('soon', 0)).toBeNull();
    expect(retryAfterMs(undefined, 0)).toBeNull();
    expect(retryAfterMs(['5', '9'], 0)).toBe(5000);
    expect(retryAfterMs(String(7 * 86_400), 0)).toBe(86_400_000);
  });
});

describe('the SDK reads answers as the worker does', () => {
  it('when an answer is transient (425 included), then it is retried with its Retry-After', () => {
    expect(() => checkAnswer('x', 425, null, undefined)).toThrow(TransientHttpError);
    try {
      checkAnswer('x', 429, '3', { detail: 'slow down' });
    } catch (err) {
      expect(err).toMatchObject({ status: 429, retryAfterMs: 3000, message: 'x: HTTP 429 (slow down)' });
    }
    expect(() => checkAnswer('x', 400, null, undefined)).toThrow(PermanentHttpError);
    expect(() => checkAnswer('x', 202, null, undefined)).not.toThrow();
  });

  it('when the answer is 404, then the SDK retries it for a bounded time (NotFoundHttpError; see notFoundRetryForMs)', () => {
    expect(() => checkAnswer('x', 404, null, undefined)).toThrow(NotFoundHttpError);
  });
});

describe('attemptOutcome (the worker)', () => {
  const delivery = (over: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
    deliveryId: 'd', webhookId: 'w', kind: 'task.delivery', eventType: 'TASK', agentId: 'a-1', taskId: 't', targetUrl: 'http://agent/tasks', payload: '{}',
    orderKey: null, nextAttemptAt: 0, expiresAt: null, createdAt: '', status: 'pending', attempts: 0, retryBase: 0, lastStatusCode: null, lastError: null,
    lastLatencyMs: null, updatedAt: '', attemptLog: [], waitingForSlot: false, ...over,
  });
  const schedule = [0, 1, 5];

  it('when the answer is 2xx, then the delivery succeeded', () => {
    expect(attemptOutcome(delivery(), { statusCode: 202, error: null, retryAfterMs: null }, schedule, 0)).toEqual({ outcome: 'succeeded' });
  });

  it('when the answer may heal, then it is retried on the schedule, Retry-After winning when longer', () => {
    expect(attemptOutcome(delivery(), { statusCode: 503, error: 'HTTP 503', retryAfterMs: null }, [0, 1, 5], 0)).toMatchObject({ outcome: 'retry' });
    expect(attemptOutcome(delivery(), { statusCode: 429, error: 'HTTP 429', retryAfterMs: 30_000 }, schedule, 0)).toEqual({ outcome: 'retry', nextAttemptAt: 30_000 });
    expect(attemptOutcome(delivery(), { statusCode: null, error: 'ECONNREFUSED', retryAfterMs: null }, schedule, 0)).toMatchObject({ outcome: 'retry' });
  });

  it('when an agent answers 404, then the task is refused, but a 404 from Ops-Core to a state report is retried (it heals once REGISTER is processed)', () => {
    expect(attemptOutcome(delivery(), { statusCode: 404, error: 'HTTP 404', retryAfterMs: null }, schedule, 0)).toEqual({
      outcome: 'failed',
      taskError: { code: 'refused', message: 'Agent a-1 refused the task (HTTP 404)' },
    });
    expect(attemptOutcome(delivery({ kind: 'opscore.state' }), { statusCode: 404, error: 'HTTP 404', retryAfterMs: null }, schedule, 0)).toMatchObject({ outcome: 'retry' });
    expect(attemptOutcome(delivery({ kind: 'agent.lifecycle' }), { statusCode: 404, error: 'HTTP 404', retryAfterMs: null }, schedule, 0)).toEqual({ outcome: 'failed' });
  });

  it('when the schedule is spent, then the task fails undeliverable; past its deadline, as not delivered in time', () => {
    expect(attemptOutcome(delivery({ attempts: 2 }), { statusCode: 503, error: 'HTTP 503', retryAfterMs: null }, schedule, 0)).toMatchObject({ outcome: 'failed', taskError: { code: 'undeliverable' } });
    expect(attemptOutcome(delivery({ expiresAt: 100 }), { statusCode: 503, error: 'HTTP 503', retryAfterMs: null }, schedule, 100)).toMatchObject({ outcome: 'failed', taskError: { code: 'timeout' } });
  });
});
