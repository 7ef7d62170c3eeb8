// The store methods behind the operator console (issue 14), on SQLite and PostgreSQL alike:
// recovery of failed deliveries (oldest first, each once, never one that succeeded, idempotent),
// the overview's counts, a task's deliveries, and a task's event log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewDelivery } from '../../src/domain/delivery.js';
import { newDeliveryIds } from '../../src/domain/ids.js';
import { canceled, failed, newTask, taskErrors, type TaskRecord } from '../../src/domain/task.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { freshSchema } from '../support/postgres.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function lifecycle(agentId: string, at: number): NewDelivery {
  return {
    ...newDeliveryIds(), kind: 'agent.lifecycle', eventType: 'REGISTER', agentId, taskId: null, targetUrl: 'http://127.0.0.1:9/notify',
    payload: JSON.stringify({ event_type: 'REGISTER', agentId }), orderKey: `lifecycle:${agentId}`, nextAttemptAt: at, expiresAt: null, createdAt: iso(at),
  };
}

const harnesses: Array<[string, () => Promise<{ store: Store; cleanup: () => Promise<void> }>]> = [
  [
    'SQLite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'agentkit-console-store-'));
      const store = new SqliteStore({ path: join(dir, 'agentkit.db') });
      await store.migrate();
      return { store, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const db = await freshSchema('agentkit_console');
      const store = new PostgresStore({ url: db.url, poolSize: 2 });
      await store.migrate();
      return { store, cleanup: async () => { await store.close(); await db.drop(); } };
    },
  ],
];

describe.each(harnesses)('%s store, console methods', (_name, open) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await open());
  });
  afterEach(async () => {
    await cleanup();
  });

  const register = (agentId: string, at: number, notification: NewDelivery | null = lifecycle(agentId, at)) =>
    store.registerAgent({
      agent: { agentId, agentName: agentId, version: '1', capabilities: ['echo'], contactEndpoint: `http://127.0.0.1:9/${agentId}`, metadata: {} },
      candidateSecret: `whsec_${agentId}`, rotateSecret: false, notification, restartReport: () => null, tokenHash: null, onlyIfNew: false, now: iso(at),
    });

  /** Claims everything due at `at` and answers each attempt as `answer` says (by delivery). */
  async function attempt(at: number, answer: (d: { deliveryId: string; agentId: string; taskId: string | null }) => number) {
    const claimed = await store.claimDeliveries(at, 100, 'A', at + 60_000);
    for (const d of claimed) {
      const code = answer(d);
      await store.recordAttempt(d.deliveryId, 'A', { attempt: 1, at: iso(at), statusCode: code, latencyMs: 3, error: code < 300 ? null : `HTTP ${code}` },
        code < 300 ? { outcome: 'succeeded' } : { outcome: 'failed', taskError: taskErrors.undeliverable(d.agentId, `HTTP ${code}`) }, () => null);
    }
    return claimed.map((d) => d.deliveryId);
  }

  it('when failed deliveries are recovered since a time, then those in range go again oldest first, each once; succeeded, earlier and ended-task ones stay; a second call requeues nothing', async () => {
    // Created in this order: one before the range, then (in range) a, b, c; c's receiver accepts.
    const before = lifecycle('early', T0 - 10_000);
    await register('early', T0 - 10_000, before);
    const a = lifecycle('a', T0 + 1000);
    const b = lifecycle('b', T0 + 2000);
    const c = lifecycle('c', T0 + 3000);
    await register('b', T0 + 2000, b); // stored first, created later: order is by creation time
    await register('a', T0 + 1000, a);
    await register('c', T0 + 3000, c);
    // A task delivery that failed, of a task that then ended: recovering it would run the task twice.
    const t: TaskRecord = newTask({ taskId: 'task-ended', agentId: 'a', taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: null, timeoutSeconds: null, opscoreMessage: null }, iso(T0 + 1500));
    const td: NewDelivery = { ...newDeliveryIds(), kind: 'task.delivery', eventType: 'TASK', agentId: 'a', taskId: t.taskId, targetUrl: 'http://127.0.0.1:9/a', payload: '{}', orderKey: null, nextAttemptAt: T0 + 1500, expiresAt: null, createdAt: iso(T0 + 1500) };
    await store.createTask({ task: t, delivery: () => td, idempotencyKey: null, requestHash: '' });
    await attempt(T0 + 5000, (d) => (d.agentId === 'c' ? 200 : 503));
    expect((await store.getTask(t.taskId))?.status).toBe('failed');
    expect((await store.getDelivery(td.deliveryId))?.status).toBe('failed');

    const recovered = await store.recoverDeliveries({ since: iso(T0), until: iso(T0 + 60_000), now: T0 + 6000, nowIso: iso(T0 + 6000) });
    expect(recovered).toEqual([a.deliveryId, b.deliveryId]);
    expect(await store.getDelivery(a.deliveryId)).toMatchObject({ status: 'pending', retryBase: 1, nextAttemptAt: T0 + 6000, attemptLog: [{ statusCode: 503 }] });
    expect((await store.getDelivery(c.deliveryId))?.status).toBe('succeeded');
    expect((await store.getDelivery(before.deliveryId))?.status).toBe('failed');
    expect((await store.getDelivery(td.deliveryId))?.status).toBe('failed');

    // Idempotent: asking again while they are pending requeues nothing.
    expect(await store.recoverDeliveries({ since: iso(T0), until: iso(T0 + 60_000), now: T0 + 6001, nowIso: iso(T0 + 6001) })).toEqual([]);
    // They go out oldest first, and once they succeeded, a recovery leaves them alone.
    expect(await attempt(T0 + 7000, () => 200)).toEqual([a.deliveryId, b.deliveryId]);
    expect(await store.recoverDeliveries({ since: iso(T0), until: iso(T0 + 60_000), now: T0 + 8000, nowIso: iso(T0 + 8000) })).toEqual([]);
    // The kind filter and an empty range.
    expect(await store.recoverDeliveries({ since: iso(T0 - 20_000), until: iso(T0 + 60_000), kind: 'opscore.state', now: T0 + 9000, nowIso: iso(T0 + 9000) })).toEqual([]);
    expect(await store.recoverDeliveries({ since: iso(T0 - 20_000), until: iso(T0), kind: 'agent.lifecycle', now: T0 + 9000, nowIso: iso(T0 + 9000) })).toEqual([before.deliveryId]);
  });

  it('when deliveries and tasks exist, then the overview counts them by status, by agent and by the minute they ended', async () => {
    await register('x', T0);
    await register('y', T0, null);
    const tasks = ['x-1', 'x-2', 'x-3', 'y-1'].map((id) =>
      newTask({ taskId: id, agentId: id.split('-')[0]!, taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: null, timeoutSeconds: null, opscoreMessage: null }, iso(T0)),
    );
    for (const t of tasks) {
      const d: NewDelivery = { ...newDeliveryIds(), kind: 'task.delivery', eventType: 'TASK', agentId: t.agentId, taskId: t.taskId, targetUrl: 'http://127.0.0.1:9/t', payload: '{}', orderKey: null, nextAttemptAt: T0 + 60_000_000, expiresAt: null, createdAt: iso(T0) };
      await store.createTask({ task: t, delivery: () => d, idempotencyKey: null, requestHash: '' });
    }
    const now = new Date(T0 + 30 * 60_000 + 30_000); // 00:30:30
    await store.reportTask({ taskId: 'x-1', report: { status: 'finished' }, hasResult: false, now: iso(T0 + 29 * 60_000 + 5000) });
    await store.reportTask({ taskId: 'x-2', report: { status: 'failed', error: { message: 'no' } }, hasResult: false, now: iso(T0 + 30 * 60_000 + 1000) });
    await store.reportTask({ taskId: 'y-1', report: { status: 'running' }, hasResult: false, now: iso(T0 + 1000) });

    expect(await store.deliveryCounts()).toEqual({ pending: 5, succeeded: 0, failed: 0, canceled: 0 });
    expect((await store.tasksByAgent()).sort((p, q) => p.agentId.localeCompare(q.agentId))).toEqual([
      { agentId: 'x', queued: 1, running: 0, failed: 1 },
      { agentId: 'y', queued: 0, running: 1, failed: 0 },
    ]);
    const minutes = await store.endedPerMinute(now);
    expect(minutes).toHaveLength(60);
    expect(minutes[0]!.minute).toBe(iso(T0 - 29 * 60_000));
    expect(minutes[59]).toEqual({ minute: iso(T0 + 30 * 60_000), finished: 0, failed: 1 });
    expect(minutes[58]).toEqual({ minute: iso(T0 + 29 * 60_000), finished: 1, failed: 0 });
    expect(minutes.reduce((n, m) => n + m.finished + m.failed, 0)).toBe(2);
  });

  it("when a task has deliveries, then taskDeliveries lists them oldest first with their attempts, and another task's are left out", async () => {
    await register('z', T0, null);
    const t = newTask({ taskId: 'z-1', agentId: 'z', taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: null, timeoutSeconds: null, opscoreMessage: null }, iso(T0));
    const d: NewDelivery = { ...newDeliveryIds(), kind: 'task.delivery', eventType: 'TASK', agentId: 'z', taskId: 'z-1', targetUrl: 'http://127.0.0.1:9/z', payload: '{}', orderKey: null, nextAttemptAt: T0, expiresAt: null, createdAt: iso(T0) };
    await store.createTask({ task: t, delivery: () => d, idempotencyKey: null, requestHash: '' });
    const other = newTask({ taskId: 'z-2', agentId: 'z', taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: null, timeoutSeconds: null, opscoreMessage: null }, iso(T0));
    await store.createTask({ task: other, delivery: () => ({ ...d, ...newDeliveryIds(), taskId: 'z-2', nextAttemptAt: T0 + 60_000_000 }), idempotencyKey: null, requestHash: '' });
    await attempt(T0 + 10, () => 202);
    await store.cancelTask({ taskId: 'z-1', reason: 'test', now: iso(T0 + 20), graceMs: 1000, notice: (task, endpoint) => ({ ...d, ...newDeliveryIds(), kind: 'task.cancel', eventType: 'CANCEL', taskId: task.taskId, targetUrl: `${endpoint}/z-1/cancel`, nextAttemptAt: T0 + 20, createdAt: iso(T0 + 20) }) });
    const list = await store.taskDeliveries('z-1');
    expect(list.map((x) => [x.kind, x.status, x.attemptLog.length])).toEqual([['task.delivery', 'succeeded', 1], ['task.cancel', 'pending', 0]]);
    expect(list[0]!.attemptLog[0]).toMatchObject({ statusCode: 202, latencyMs: 3 });
    expect(await store.taskDeliveries('nope')).toEqual([]);
  });

  /** An agent with heartbeats every second (a task of it fails silent after 3 s), and a task of it due at `at`, stored with `idempotencyKey`. */
  const registerWithHeartbeats = (agentId: string, at: number) =>
    store.registerAgent({
      agent: { agentId, agentName: agentId, version: '1', capabilities: ['echo'], contactEndpoint: `http://127.0.0.1:9/${agentId}`, metadata: {}, heartbeatIntervalSeconds: 1, maxConcurrentTasks: null },
      candidateSecret: `whsec_${agentId}`, rotateSecret: false, notification: null, restartReport: () => null, tokenHash: null, onlyIfNew: false, now: iso(at),
    });
  const dispatchAt = (taskId: string, agentId: string, at: number, idempotencyKey: string | null = null) => {
    const t = newTask({ taskId, agentId, taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: null, timeoutSeconds: null, opscoreMessage: null }, iso(at));
    const d: NewDelivery = { ...newDeliveryIds(), kind: 'task.delivery', eventType: 'TASK', agentId, taskId, targetUrl: `http://127.0.0.1:9/${agentId}`, payload: '{}', orderKey: null, nextAttemptAt: at, expiresAt: null, createdAt: iso(at) };
    return store.createTask({ task: t, delivery: () => d, idempotencyKey, requestHash: idempotencyKey ? 'h' : '' });
  };
  const report = (taskId: string, at: number, r: Parameters<Store['reportTask']>[0]['report']) => store.reportTask({ taskId, report: r, hasResult: r.status === 'finished', now: iso(at) });
  const events = async (taskId: string) => (await store.taskEvents(taskId, { limit: 100 })).items;

  it('when a task is dispatched, runs, reports progress twice between heartbeats and finishes, then its log lists each of those once, and the heartbeats are counted, not listed', async () => {
    await registerWithHeartbeats('ev', T0);
    await dispatchAt('ev-1', 'ev', T0);
    await attempt(T0 + 10, () => 202); // delivered: the attempt is its record, not the log
    await report('ev-1', T0 + 20, { status: 'running' });
    await report('ev-1', T0 + 30, { status: 'running' }); // a heartbeat
    await report('ev-1', T0 + 40, { status: 'running', progress: 25, message: 'a quarter' });
    await report('ev-1', T0 + 50, { status: 'running', progress: 25 }); // a heartbeat: nothing changed
    await report('ev-1', T0 + 60, { status: 'running', progress: 50 });
    await report('ev-1', T0 + 70, { status: 'running', details: { rss: 1 } }); // a heartbeat with details
    await report('ev-1', T0 + 80, { status: 'finished', result: { ok: true } });
    await report('ev-1', T0 + 90, { status: 'finished', result: { ok: true } }); // the SDK's retry: changes nothing

    const log = await events('ev-1');
    expect(log.map((e) => [e.kind, e.status, e.source, e.progress, e.message, e.at])).toEqual([
      ['dispatched', 'queued', 'client', null, null, iso(T0)],
      ['running', 'running', 'agent', null, null, iso(T0 + 20)],
      ['progress', 'running', 'agent', 25, 'a quarter', iso(T0 + 40)],
      ['progress', 'running', 'agent', 50, 'a quarter', iso(T0 + 60)],
      ['finished', 'finished', 'agent', 100, 'a quarter', iso(T0 + 80)],
    ]);
    expect(log.every((e) => e.error === null && e.taskId === 'ev-1')).toBe(true);
    expect(log.map((e) => e.seq)).toEqual([...log.map((e) => e.seq)].sort((a, b) => a - b));
    const task = await store.getTask('ev-1');
    expect(task).toMatchObject({ heartbeatCount: 7, lastHeartbeatAt: iso(T0 + 80) });

    // Paged oldest first; another task's log is its own.
    const first = await store.taskEvents('ev-1', { limit: 2 });
    expect(first.items.map((e) => e.kind)).toEqual(['dispatched', 'running']);
    const second = await store.taskEvents('ev-1', { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((e) => e.kind)).toEqual(['progress', 'progress']);
    const third = await store.taskEvents('ev-1', { limit: 2, cursor: second.nextCursor! });
    expect(third).toEqual({ items: [expect.objectContaining({ kind: 'finished' })], nextCursor: null });
    expect(await events('nope')).toEqual([]);
  });

  it('when tasks are canceled (by the agent, past the grace, before delivery) or end by heartbeat timeout or a failed delivery, then each log ends as it did, and says who ended it', async () => {
    await registerWithHeartbeats('end', T0);
    await dispatchAt('by-agent', 'end', T0);
    await dispatchAt('by-grace', 'end', T0);
    await dispatchAt('silent', 'end', T0);
    await dispatchAt('undeliverable', 'end', T0);
    await attempt(T0 + 10, (d) => (d.taskId === 'undeliverable' ? 503 : 202));
    await dispatchAt('queued', 'end', T0 + 20, 'idem-1'); // stored through the idempotent path (on PostgreSQL, not the one-statement one)
    const notice = (task: TaskRecord, endpoint: string): NewDelivery => ({
      ...newDeliveryIds(), kind: 'task.cancel', eventType: 'CANCEL', agentId: 'end', taskId: task.taskId, targetUrl: `${endpoint}/${task.taskId}/cancel`, payload: '{}', orderKey: null, nextAttemptAt: T0 + 60_000_000, expiresAt: null, createdAt: iso(T0 + 100),
    });
    const cancel = (taskId: string, at: number) => store.cancelTask({ taskId, reason: 'no longer needed', now: iso(at), graceMs: 1000, notice });
    await report('by-agent', T0 + 50, { status: 'running' });
    await report('by-grace', T0 + 50, { status: 'running' });
    await cancel('by-agent', T0 + 100);
    await cancel('by-grace', T0 + 100);
    await cancel('queued', T0 + 100);
    await report('by-agent', T0 + 200, { status: 'canceled' });
    await store.expireTasks({ overdue: 'cancel', before: T0 + 5000, end: (t) => canceled(t, iso(T0 + 5000)), report: () => null }, 10);
    await store.expireTasks({ overdue: 'heartbeat', before: T0 + 10_000, end: (t) => failed(t, taskErrors.heartbeatTimeout(), iso(T0 + 10_000)), report: () => null }, 10);

    const said = async (taskId: string) => (await events(taskId)).map((e) => [e.kind, e.status, e.source, e.message, e.error?.code ?? null, e.at]);
    expect(await said('by-agent')).toEqual([
      ['dispatched', 'queued', 'client', null, null, iso(T0)],
      ['running', 'running', 'agent', null, null, iso(T0 + 50)],
      ['cancel_requested', 'canceling', 'client', 'no longer needed', null, iso(T0 + 100)],
      ['canceled', 'canceled', 'agent', null, null, iso(T0 + 200)],
    ]);
    expect(await said('by-grace')).toEqual([
      ['dispatched', 'queued', 'client', null, null, iso(T0)],
      ['running', 'running', 'agent', null, null, iso(T0 + 50)],
      ['cancel_requested', 'canceling', 'client', 'no longer needed', null, iso(T0 + 100)],
      ['canceled', 'canceled', 'agentkit', null, null, iso(T0 + 5000)],
    ]);
    expect(await said('queued')).toEqual([
      ['dispatched', 'queued', 'client', null, null, iso(T0 + 20)],
      ['cancel_requested', 'canceled', 'client', 'no longer needed', null, iso(T0 + 100)],
      ['canceled', 'canceled', 'client', null, null, iso(T0 + 100)],
    ]);
    expect(await said('silent')).toEqual([
      ['dispatched', 'queued', 'client', null, null, iso(T0)],
      ['failed', 'failed', 'agentkit', null, 'heartbeat_timeout', iso(T0 + 10_000)],
    ]);
    expect((await events('silent'))[1]!.error).toEqual(taskErrors.heartbeatTimeout());
    expect(await said('undeliverable')).toEqual([
      ['dispatched', 'queued', 'client', null, null, iso(T0)],
      ['failed', 'failed', 'agentkit', null, 'undeliverable', iso(T0 + 10)],
    ]);
  });

  it('when tasks are listed by dispatch time, then only those created in [after, before) come, newest first, paged', async () => {
    await register('w', T0, null);
    for (let i = 0; i < 5; i++) {
      const t = newTask({ taskId: `w-${i}`, agentId: 'w', taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: null, timeoutSeconds: null, opscoreMessage: null }, iso(T0 + i * 1000));
      const d: NewDelivery = { ...newDeliveryIds(), kind: 'task.delivery', eventType: 'TASK', agentId: 'w', taskId: t.taskId, targetUrl: 'http://127.0.0.1:9/w', payload: '{}', orderKey: null, nextAttemptAt: T0 + 60_000_000, expiresAt: null, createdAt: iso(T0) };
      await store.createTask({ task: t, delivery: () => d, idempotencyKey: null, requestHash: '' });
    }
    const filter = { createdAfter: iso(T0 + 1000), createdBefore: iso(T0 + 4000) };
    const first = await store.listTasks({ limit: 2 }, filter);
    expect(first.items.map((t) => t.taskId)).toEqual(['w-3', 'w-2']);
    const second = await store.listTasks({ limit: 2, cursor: first.nextCursor! }, filter);
    expect(second.items.map((t) => t.taskId)).toEqual(['w-1']);
    expect(second.nextCursor).toBeNull();
    expect((await store.listTasks({ limit: 10 }, { createdAfter: iso(T0 + 4000), agentId: 'w' })).items.map((t) => t.taskId)).toEqual(['w-4']);
  });
});
