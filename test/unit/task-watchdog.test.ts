// The task watchdog with a test clock: it fails a taken task only once its deadline and the grace
// have passed, or once its agent was silent past the heartbeat timeout, and cancels a canceling
// task once the cancel grace passed; Ops-Core hears `error` or `canceled`.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { cancelNotice, endReport, taskDelivery } from '../../src/domain/messages.js';
import { TaskWatchdog } from '../../src/domain/task-watchdog.js';
import { newTask, type TaskRecord } from '../../src/domain/task.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
let store: SqliteStore;

afterEach(async () => {
  await store?.close();
});

async function takenTask(deadlineMs: number | null): Promise<TaskRecord> {
  const agent = { agentId: 'a-1', agentName: 'a', version: '1', capabilities: [], contactEndpoint: 'http://127.0.0.1:9/tasks', metadata: {} };
  await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent, candidateSecret: 'whsec_c2VjcmV0', rotateSecret: false, notification: null, now: iso(T0) });
  const task: TaskRecord = {
    ...newTask({ taskId: `t-${deadlineMs}`, agentId: 'a-1', taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: null, timeoutSeconds: deadlineMs === null ? null : 1, opscoreMessage: null }, iso(T0)),
    deadline: deadlineMs === null ? null : iso(deadlineMs),
  };
  await store.createTask({ task, delivery: (endpoint) => taskDelivery(task, endpoint, new Date(T0)), idempotencyKey: null, requestHash: '' });
  const [d] = await store.claimDeliveries(T0, 10, 'w', T0 + 60_000);
  await store.recordAttempt(d!.deliveryId, 'w', { attempt: 1, at: iso(T0), statusCode: 202, latencyMs: 1, error: null }, { outcome: 'succeeded' }, () => null);
  return task;
}

function watchdogAt(now: number, queued: () => void = () => {}) {
  return new TaskWatchdog({
    store,
    clock: { now: () => new Date(now) },
    logger: pino({ level: 'silent' }),
    endReport: endReport({ webhookUrl: null, apiUrl: 'http://opscore' }),
    graceMs: 30_000,
    queued,
  });
}

describe('TaskWatchdog', () => {
  it('when a taken task is past its deadline but within the grace, then it is left to its agent', async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const task = await takenTask(T0 + 1000);
    await watchdogAt(T0 + 1000 + 29_999).sweep();
    expect((await store.getTask(task.taskId))?.status).toBe('delivered');
  });

  it('when the grace has passed too, then the task fails with no outcome and its error report is queued', async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const task = await takenTask(T0 + 1000);
    let woken = 0;
    await watchdogAt(T0 + 1000 + 30_001, () => woken++).sweep();
    expect(await store.getTask(task.taskId)).toMatchObject({ status: 'failed', error: { code: 'timeout' }, finishedAt: iso(T0 + 31_001) });
    const reports = (await store.listDeliveries({ limit: 10 }, { kind: 'opscore.state' })).items;
    expect(reports.map((r) => [r.taskId, JSON.parse(r.payload).state])).toEqual([[task.taskId, 'error']]);
    expect(woken).toBe(1);
  });

  it('when a taken task has no deadline, then this watchdog never fails it', async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const task = await takenTask(null);
    await watchdogAt(T0 + 365 * 86_400_000).sweep();
    expect((await store.getTask(task.taskId))?.status).toBe('delivered');
  });
});

describe('TaskWatchdog: heartbeats and cancels', () => {
  async function agentWith(heartbeatIntervalSeconds: number | null) {
    const agent = { agentId: 'a-2', agentName: 'a', version: '1', capabilities: [], contactEndpoint: 'http://127.0.0.1:9/tasks', metadata: {}, heartbeatIntervalSeconds };
    await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent, candidateSecret: 'whsec_c2VjcmV0', rotateSecret: false, notification: null, now: iso(T0) });
  }

  async function deliveredTask(taskId: string): Promise<TaskRecord> {
    const task = newTask({ taskId, agentId: 'a-2', taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: null, timeoutSeconds: null, opscoreMessage: null }, iso(T0));
    await store.createTask({ task, delivery: (endpoint) => taskDelivery(task, endpoint, new Date(T0)), idempotencyKey: null, requestHash: '', missedHeartbeats: 3 });
    const [d] = await store.claimDeliveries(T0, 10, 'w', T0 + 60_000);
    await store.recordAttempt(d!.deliveryId, 'w', { attempt: 1, at: iso(T0), statusCode: 202, latencyMs: 1, error: null }, { outcome: 'succeeded' }, () => null);
    return task;
  }

  it('when an agent that declared heartbeats is silent past the timeout, then its task fails heartbeat_timeout and Ops-Core hears error; not a moment before', async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    await agentWith(2);
    const task = await deliveredTask('t-hb');
    await watchdogAt(T0 + 5_999).sweep();
    expect((await store.getTask(task.taskId))?.status).toBe('delivered');
    await watchdogAt(T0 + 6_001).sweep();
    expect(await store.getTask(task.taskId)).toMatchObject({ status: 'failed', error: { code: 'heartbeat_timeout' } });
    const reports = (await store.listDeliveries({ limit: 10 }, { kind: 'opscore.state' })).items;
    expect(reports.map((r) => JSON.parse(r.payload).state)).toEqual(['error']);
  });

  it('when an agent declared no heartbeats, then its task is never failed for silence', async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    await agentWith(null);
    const task = await deliveredTask('t-plain');
    await watchdogAt(T0 + 365 * 86_400_000).sweep();
    expect((await store.getTask(task.taskId))?.status).toBe('delivered');
  });

  it('when a canceling task is not confirmed within the cancel grace, then it ends canceled and Ops-Core hears canceled', async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    await agentWith(null);
    const task = await deliveredTask('t-cancel');
    await store.cancelTask({ taskId: task.taskId, reason: 'stop', now: iso(T0 + 10), graceMs: 1000, notice: (t, e) => cancelNotice(t, e, new Date(T0 + 10)) });
    await watchdogAt(T0 + 1009).sweep();
    expect((await store.getTask(task.taskId))?.status).toBe('canceling');
    await watchdogAt(T0 + 1011).sweep();
    expect(await store.getTask(task.taskId)).toMatchObject({ status: 'canceled', finishedAt: iso(T0 + 1011) });
    const reports = (await store.listDeliveries({ limit: 10 }, { kind: 'opscore.state' })).items;
    expect(reports.map((r) => [JSON.parse(r.payload).state, JSON.parse(r.payload).details.reason])).toEqual([['canceled', 'stop']]);
  });
});
