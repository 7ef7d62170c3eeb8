import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newDeliveryIds } from '../../src/domain/ids.js';
import { InvalidCursorError } from '../../src/store/cursor.js';
import type { AgentDetails, RegisteredDetails } from '../../src/domain/agent.js';
import type { DeliveryRecord, EndReport, NewDelivery } from '../../src/domain/delivery.js';
import { cancelNotice } from '../../src/domain/messages.js';
import { canceled, failed, newTask as dispatchedTask, taskErrors, type TaskRecord } from '../../src/domain/task.js';
import type { ExpiryRule, Store } from '../../src/store/types.js';

/**
 * One database for one test: `open()` gives a migrated handle on it (call it again for a
 * second handle, as a second process would have); `cleanup()` closes every handle and
 * removes the database (file or schema).
 */
export interface StoreHarness {
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
/** A failure that reports nothing to Ops-Core. */
const noReport: EndReport = () => null;
const iso = (ms: number) => new Date(ms).toISOString();
const LEASE = 60_000;

async function taskCount(store: Store): Promise<number> {
  return Object.values((await store.counts()).tasks).reduce((a, b) => a + b, 0);
}

type AgentTerms = AgentDetails & Partial<RegisteredDetails>;

function agentDetails(agentId: string, over: Partial<AgentTerms> = {}): AgentTerms {
  return {
    agentId,
    agentName: `name-${agentId}`,
    version: '1.0.0',
    capabilities: ['echo'],
    contactEndpoint: `http://127.0.0.1:9/${agentId}`,
    metadata: { team: 'qa', nested: { b: 1, a: [1, 2] } },
    ...over,
  };
}

function lifecycle(agentId: string, eventType: 'REGISTER' | 'DEREGISTER', at = T0): NewDelivery {
  return {
    ...newDeliveryIds(),
    kind: 'agent.lifecycle',
    eventType,
    agentId,
    taskId: null,
    targetUrl: 'http://127.0.0.1:9/notify',
    payload: JSON.stringify({ event_type: eventType, agent_details: { agentId } }),
    orderKey: `lifecycle:${agentId}`,
    nextAttemptAt: at,
    expiresAt: null,
    createdAt: iso(at),
  };
}

function stateReport(task: Pick<TaskRecord, 'taskId' | 'agentId'>, at = T0): NewDelivery {
  return {
    ...newDeliveryIds(),
    kind: 'opscore.state',
    eventType: 'STATE',
    agentId: task.agentId,
    taskId: task.taskId,
    targetUrl: `http://127.0.0.1:9/v1/opscore/agent/${task.agentId}/state`,
    payload: JSON.stringify({ agentId: task.agentId, state: 'error', details: { taskId: task.taskId } }),
    orderKey: `state:${task.agentId}`,
    nextAttemptAt: at,
    expiresAt: null,
    createdAt: iso(at),
  };
}

function unordered(agentId: string, at = T0): NewDelivery {
  return { ...lifecycle(agentId, 'REGISTER', at), orderKey: null };
}

let taskCounter = 0;
function newTask(agentId: string, over: Partial<TaskRecord> = {}): TaskRecord {
  taskCounter += 1;
  const fields = {
    taskId: `task-${process.pid}-${taskCounter}-${Math.random().toString(36).slice(2, 8)}`,
    agentId,
    taskName: 'echo',
    parameters: { message: 'hi', n: taskCounter },
    opscoreSessionId: 'session-1',
    opscoreTaskId: `ops-${taskCounter}`,
    timeoutSeconds: null,
    opscoreMessage: null,
  };
  return { ...dispatchedTask(fields, iso(T0)), ...over };
}

function taskDelivery(task: TaskRecord, at = T0): NewDelivery {
  return {
    ...newDeliveryIds(),
    kind: 'task.delivery',
    eventType: 'TASK',
    agentId: task.agentId,
    taskId: task.taskId,
    targetUrl: `http://127.0.0.1:9/${task.agentId}`,
    payload: JSON.stringify({ taskId: task.taskId, agentId: task.agentId, task_name: task.taskName }),
    orderKey: null,
    nextAttemptAt: at,
    expiresAt: task.deadline === null ? null : Date.parse(task.deadline),
    createdAt: iso(at),
  };
}

const attemptAt = (ms: number, statusCode: number | null = 200, error: string | null = null) => ({
  attempt: 1,
  at: iso(ms),
  statusCode,
  latencyMs: 12.5,
  error,
});

/** The shared behaviour of every Store implementation. */
export function storeSuite(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`${name} store`, () => {
    let h: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      h = await makeHarness();
      store = await h.open();
    });

    afterEach(async () => {
      await h.cleanup();
    });

    async function register(agentId: string, over: Partial<AgentTerms> = {}, notify = true, now = iso(T0)) {
      return store.registerAgent({
        agent: agentDetails(agentId, over),
        candidateSecret: `whsec_${agentId}_${now}`,
        rotateSecret: false,
        notification: notify ? lifecycle(agentId, 'REGISTER') : null,
        restartReport: (t) => ({ ...stateReport(t), orderKey: `lifecycle:${t.agentId}` }),
        tokenHash: null,
        onlyIfNew: false,
        now,
      });
    }

    async function dispatch(agentId: string, key: string | null = null, hash = 'hash-1', over: Partial<TaskRecord> = {}) {
      const task = newTask(agentId, over);
      const delivery = taskDelivery(task);
      return { task, delivery, result: await store.createTask({ task, delivery: () => delivery, idempotencyKey: key, requestHash: hash, missedHeartbeats: 3 }) };
    }

    /** Claims what is due at `at` and records each claimed task delivery as answered 202. */
    async function deliverDue(at: number): Promise<string[]> {
      const claimed = (await store.claimDeliveries(at, 100, 'A', at + LEASE)).filter((d) => d.kind === 'task.delivery');
      for (const d of claimed) await store.recordAttempt(d.deliveryId, 'A', attemptAt(at, 202), { outcome: 'succeeded' }, noReport);
      return claimed.map((d) => d.taskId!);
    }

    const report = (taskId: string, status: 'running' | 'finished' | 'failed' | 'canceled', at: number, details?: Record<string, unknown>) =>
      store.reportTask({ taskId, report: { status, ...(details ? { details } : {}) }, hasResult: false, now: iso(at) });

    async function allDeliveries(): Promise<DeliveryRecord[]> {
      return (await store.listDeliveries({ limit: 1000 }, {})).items.reverse();
    }

    describe('migrate and ping', () => {
      it('when migrated again and pinged, then both succeed and the data stays', async () => {
        await register('a1');
        await store.migrate();
        await expect(store.ping()).resolves.toBeUndefined();
        expect((await store.counts()).agents).toBe(1);
      });
    });

    describe('registerAgent', () => {
      it('when the agent is new, then it is stored with a fresh secret and its REGISTER is queued', async () => {
        const note = lifecycle('a1', 'REGISTER');
        const res = await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agentDetails('a1'), candidateSecret: 'whsec_first', rotateSecret: false, notification: note, now: iso(T0) });
        expect(res!.created).toBe(true);
        expect(res!.issuedSecret).toBe('whsec_first');
        expect(res!.agent).toEqual({ ...agentDetails('a1'), heartbeatIntervalSeconds: null, maxConcurrentTasks: null, activeTasks: 0, lastSeenAt: iso(T0), registeredAt: iso(T0), updatedAt: iso(T0) });
        expect(await store.getAgent('a1')).toEqual(res!.agent);
        expect(await store.getAgentContact('a1')).toEqual({ contactEndpoint: 'http://127.0.0.1:9/a1', secrets: { current: 'whsec_first', previous: null, previousUntil: null } });
        const d = await store.getDelivery(note.deliveryId);
        expect(d).toMatchObject({ ...note, status: 'pending', attempts: 0, retryBase: 0, lastStatusCode: null, lastError: null, attemptLog: [] });
        expect((await store.counts()).agents).toBe(1);
      });

      it('when the agent registers again, then it is updated, keeps its secret and first registration time, and notifies again', async () => {
        await register('a1');
        const later = iso(T0 + 5000);
        const res = await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false,
          agent: agentDetails('a1', { version: '2.0.0', capabilities: ['other'], contactEndpoint: 'http://127.0.0.1:9/new' }),
          candidateSecret: 'whsec_unused',
          rotateSecret: false,
          notification: lifecycle('a1', 'REGISTER'),
          now: later,
        });
        expect(res!.created).toBe(false);
        expect(res!.issuedSecret).toBeNull();
        expect(res!.agent).toMatchObject({ version: '2.0.0', capabilities: ['other'], registeredAt: iso(T0), updatedAt: later });
        expect(await store.getAgentContact('a1')).toEqual({ contactEndpoint: 'http://127.0.0.1:9/new', secrets: { current: `whsec_a1_${iso(T0)}`, previous: null, previousUntil: null } });
        expect((await store.listAgents({ limit: 10 }, { capability: 'echo' })).items).toEqual([]);
        expect((await store.listAgents({ limit: 10 }, { capability: 'other' })).items.map((a) => a.agentId)).toEqual(['a1']);
        expect((await allDeliveries()).map((d) => d.eventType)).toEqual(['REGISTER', 'REGISTER']);
        expect((await store.counts()).agents).toBe(1);
      });

      it('when the secret is rotated, then the new secret is issued and used', async () => {
        await register('a1');
        const res = await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agentDetails('a1'), candidateSecret: 'whsec_rotated', rotateSecret: true, notification: null, now: iso(T0 + 1) });
        expect(res!.issuedSecret).toBe('whsec_rotated');
        expect((await store.getAgentContact('a1'))?.secrets.current).toBe('whsec_rotated');
      });

      it('when a registration may only create and the id exists, then it changes nothing and answers null; a new id registers', async () => {
        await register('a1');
        const input = { restartReport: () => null, tokenHash: 'f'.repeat(64), onlyIfNew: true, agent: agentDetails('a1', {}), candidateSecret: 'whsec_thief', rotateSecret: true, notification: lifecycle('a1', 'REGISTER'), now: iso(T0 + 1) };
        expect(await store.registerAgent(input)).toBeNull();
        expect((await store.getAgentContact('a1'))?.secrets.current).toBe(`whsec_a1_${iso(T0)}`);
        expect(await store.agentTokenHashes('a1')).toBeNull();
        expect((await allDeliveries()).length).toBe(1);
        expect((await store.registerAgent({ ...input, agent: agentDetails('a2', {}) }))?.created).toBe(true);
      });

      it("when a registration issues a credential, then its digest is kept (and replaced by the next, kept when none is issued) until the agent is deregistered", async () => {
        const base = { restartReport: () => null, onlyIfNew: false, agent: agentDetails('a1', {}), candidateSecret: 'whsec_c', rotateSecret: false, notification: null, now: iso(T0) };
        await store.registerAgent({ ...base, tokenHash: 'a'.repeat(64) });
        expect((await store.agentTokenHashes('a1'))?.current).toBe('a'.repeat(64));
        await store.registerAgent({ ...base, tokenHash: null });
        expect((await store.agentTokenHashes('a1'))?.current).toBe('a'.repeat(64));
        await store.registerAgent({ ...base, tokenHash: 'b'.repeat(64) });
        expect((await store.agentTokenHashes('a1'))?.current).toBe('b'.repeat(64));
        await store.deregisterAgent({ agentId: 'a1', notification: () => null, endReport: () => null, now: iso(T0 + 1) });
        expect(await store.agentTokenHashes('a1')).toBeNull();
        expect(await store.agentTokenHashes('nobody')).toBeNull();
      });

      it('when a signing secret or a credential is rotated with a grace period, then the replaced one is kept until then; with none, it is dropped; a registration that issues one drops it', async () => {
        const base = { restartReport: () => null, onlyIfNew: false, agent: agentDetails('a1', {}), candidateSecret: 'whsec_one', rotateSecret: false, notification: null, now: iso(T0) };
        await store.registerAgent({ ...base, tokenHash: 'a'.repeat(64) });
        const rotated = await store.rotateAgentSecret({ agentId: 'a1', kind: 'signing-secret', value: 'whsec_two', previousUntil: T0 + 1000, now: iso(T0 + 1) });
        expect(rotated).toMatchObject({ agentId: 'a1', updatedAt: iso(T0 + 1) });
        expect((await store.getAgentContact('a1'))?.secrets).toEqual({ current: 'whsec_two', previous: 'whsec_one', previousUntil: T0 + 1000 });
        await store.rotateAgentSecret({ agentId: 'a1', kind: 'agent-token', value: 'b'.repeat(64), previousUntil: T0 + 2000, now: iso(T0 + 2) });
        expect(await store.agentTokenHashes('a1')).toEqual({ current: 'b'.repeat(64), previous: 'a'.repeat(64), previousUntil: T0 + 2000 });
        // Each kind keeps its own pair.
        expect((await store.getAgentContact('a1'))?.secrets).toEqual({ current: 'whsec_two', previous: 'whsec_one', previousUntil: T0 + 1000 });
        await store.rotateAgentSecret({ agentId: 'a1', kind: 'signing-secret', value: 'whsec_three', previousUntil: null, now: iso(T0 + 3) });
        expect((await store.getAgentContact('a1'))?.secrets).toEqual({ current: 'whsec_three', previous: null, previousUntil: null });
        await store.registerAgent({ ...base, tokenHash: 'c'.repeat(64), candidateSecret: 'whsec_four', rotateSecret: true });
        expect(await store.agentTokenHashes('a1')).toEqual({ current: 'c'.repeat(64), previous: null, previousUntil: null });
        expect(await store.rotateAgentSecret({ agentId: 'nobody', kind: 'agent-token', value: 'd'.repeat(64), previousUntil: null, now: iso(T0) })).toBeNull();
      });

      it('when there is no notification (webhooks off), then nothing is queued', async () => {
        await register('a1', {}, false);
        expect(await allDeliveries()).toEqual([]);
        expect(await store.outboxDepth()).toEqual({ 'agent.lifecycle': 0, 'task.delivery': 0, 'task.cancel': 0, 'opscore.state': 0 });
      });

      it('when the agent is unknown, then reads answer null', async () => {
        expect(await store.getAgent('nobody')).toBeNull();
        expect(await store.getAgentContact('nobody')).toBeNull();
      });
    });

    describe('listAgents', () => {
      it('when paged, then agents come in registration order, each once, with a cursor until the last page', async () => {
        for (const id of ['a1', 'a2', 'a3', 'a4', 'a5']) await register(id);
        const seen: string[] = [];
        let cursor: string | undefined;
        const cursors: (string | null)[] = [];
        do {
          const page = await store.listAgents({ limit: 2, cursor }, {});
          seen.push(...page.items.map((a) => a.agentId));
          cursors.push(page.nextCursor);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(seen).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
        expect(cursors.map((c) => c === null)).toEqual([false, false, true]);
      });

      it('when a page is exactly full at the end, then there is no next cursor', async () => {
        for (const id of ['a1', 'a2']) await register(id);
        expect((await store.listAgents({ limit: 2 }, {})).nextCursor).toBeNull();
      });

      it('when filtered by capability, then only agents with it come back, paged', async () => {
        await register('a1', { capabilities: ['echo', 'sum'] });
        await register('a2', { capabilities: ['sum'] });
        await register('a3', { capabilities: ['echo'] });
        await register('a4', { capabilities: ['sum', 'echo'] });
        const first = await store.listAgents({ limit: 2 }, { capability: 'sum' });
        expect(first.items.map((a) => a.agentId)).toEqual(['a1', 'a2']);
        const second = await store.listAgents({ limit: 2, cursor: first.nextCursor! }, { capability: 'sum' });
        expect(second.items.map((a) => a.agentId)).toEqual(['a4']);
        expect(second.nextCursor).toBeNull();
        expect((await store.listAgents({ limit: 10 }, { capability: 'none' })).items).toEqual([]);
      });

      it('when the cursor was not made by the store, then InvalidCursorError is thrown', async () => {
        await expect(store.listAgents({ limit: 2, cursor: 'not-a-cursor!' }, {})).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.listTasks({ limit: 2, cursor: Buffer.from('x1').toString('base64url') }, {})).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.listDeliveries({ limit: 2, cursor: 'AAAA' }, {})).rejects.toBeInstanceOf(InvalidCursorError);
      });
    });

    describe('deregisterAgent', () => {
      it('when the agent is unknown, then null comes back and nothing is queued', async () => {
        const res = await store.deregisterAgent({ agentId: 'nobody', notification: () => lifecycle('nobody', 'DEREGISTER'), endReport: stateReport, now: iso(T0) });
        expect(res).toBeNull();
        expect(await allDeliveries()).toEqual([]);
      });

      it('when the agent had queued tasks, then they fail, their deliveries fail, and each gets a state report after the DEREGISTER', async () => {
        await register('a1', { capabilities: ['echo'] });
        const queued1 = await dispatch('a1');
        const queued2 = await dispatch('a1');
        const running = await dispatch('a1');
        await store.reportTask({ taskId: running.task.taskId, report: { status: 'running' }, hasResult: false, now: iso(T0 + 1) });
        await register('other');
        const otherTask = await dispatch('other');

        const now = iso(T0 + 10);
        const res = await store.deregisterAgent({ agentId: 'a1', notification: (a) => lifecycle(a.agentId, 'DEREGISTER'), endReport: (t) => stateReport(t), now });
        expect(res?.agent.agentId).toBe('a1');
        expect(res?.failedTasks.map((t) => t.taskId)).toEqual([queued1.task.taskId, queued2.task.taskId]);
        for (const t of res!.failedTasks) {
          expect(t).toMatchObject({ status: 'failed', finishedAt: now, updatedAt: now, error: { code: 'agent_deregistered' } });
          expect(t.error?.message).toContain('a1');
        }
        expect(await store.getAgent('a1')).toBeNull();
        expect(await store.getAgentContact('a1')).toBeNull();
        expect((await store.listAgents({ limit: 10 }, { capability: 'echo' })).items.map((a) => a.agentId)).toEqual(['other']);
        expect((await store.getTask(running.task.taskId))?.status).toBe('running');
        expect((await store.getTask(otherTask.task.taskId))?.status).toBe('queued');
        const d1 = await store.getDelivery(queued1.delivery.deliveryId);
        expect(d1).toMatchObject({ status: 'failed', lastError: 'Agent deregistered', updatedAt: now });
        expect((await store.getDelivery(running.delivery.deliveryId))?.status).toBe('pending');
        const kinds = (await allDeliveries()).filter((d) => d.agentId === 'a1').map((d) => `${d.eventType}:${d.taskId ?? ''}`);
        expect(kinds.slice(-3)).toEqual(['DEREGISTER:', `STATE:${queued1.task.taskId}`, `STATE:${queued2.task.taskId}`]);
      });

      it('when the agent registers again after leaving, then it is a new agent with a new secret', async () => {
        await register('a1');
        await store.deregisterAgent({ agentId: 'a1', notification: () => null, endReport: () => null, now: iso(T0 + 1) });
        const again = await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agentDetails('a1'), candidateSecret: 'whsec_second', rotateSecret: false, notification: null, now: iso(T0 + 2) });
        expect(again).toMatchObject({ created: true, issuedSecret: 'whsec_second', agent: { registeredAt: iso(T0 + 2) } });
      });
    });

    describe('createTask and idempotency', () => {
      it('when the agent exists, then the task and its delivery are stored', async () => {
        await register('a1', {}, false);
        const { task, delivery, result } = await dispatch('a1', null, 'h', { timeoutSeconds: 30, deadline: iso(T0 + 30_000) });
        expect(result).toEqual({ outcome: 'created', task });
        expect(await store.getTask(task.taskId)).toEqual(task);
        expect(await store.getDelivery(delivery.deliveryId)).toMatchObject({ ...delivery, status: 'pending', attempts: 0 });
        expect(await taskCount(store)).toBe(1);
        expect((await store.outboxDepth())['task.delivery']).toBe(1);
      });

      it('when the agent does not exist, then nothing is stored', async () => {
        const { result } = await dispatch('nobody');
        expect(result).toEqual({ outcome: 'agent-not-found' });
        expect(await taskCount(store)).toBe(0);
        expect(await allDeliveries()).toEqual([]);
      });

      it('when a key is used again with the same body, then the first task is replayed and nothing new is queued', async () => {
        await register('a1', {}, false);
        const first = await dispatch('a1', 'key-1', 'hash-A');
        const again = await dispatch('a1', 'key-1', 'hash-A');
        expect(again.result).toEqual({ outcome: 'replayed', task: first.task });
        expect(await taskCount(store)).toBe(1);
        expect((await allDeliveries()).length).toBe(1);
      });

      it('when a key is used again with a different body, then it is a conflict', async () => {
        await register('a1', {}, false);
        await dispatch('a1', 'key-1', 'hash-A');
        expect((await dispatch('a1', 'key-1', 'hash-B')).result).toEqual({ outcome: 'idempotency-conflict' });
        expect(await taskCount(store)).toBe(1);
      });

      it('when the same key is used for another agent or no key is given, then new tasks are created', async () => {
        await register('a1', {}, false);
        await register('a2', {}, false);
        await dispatch('a1', 'key-1');
        expect((await dispatch('a2', 'key-1')).result.outcome).toBe('created');
        expect((await dispatch('a1')).result.outcome).toBe('created');
        expect((await dispatch('a1')).result.outcome).toBe('created');
        expect(await taskCount(store)).toBe(4);
      });

      it('when the key was used before the agent left, then it still replays', async () => {
        await register('a1', {}, false);
        const first = await dispatch('a1', 'key-1', 'hash-A');
        await store.deregisterAgent({ agentId: 'a1', notification: () => null, endReport: () => null, now: iso(T0 + 1) });
        const again = await dispatch('a1', 'key-1', 'hash-A');
        expect(again.result.outcome).toBe('replayed');
        expect(again.result.outcome === 'replayed' && again.result.task.taskId).toBe(first.task.taskId);
      });
    });

    describe('listTasks', () => {
      it('when paged and filtered, then tasks come newest first, matching the filter', async () => {
        await register('a1', {}, false);
        await register('a2', {}, false);
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await dispatch(i % 2 === 0 ? 'a1' : 'a2')).task.taskId);
        await store.reportTask({ taskId: ids[4]!, report: { status: 'finished' }, hasResult: false, now: iso(T0 + 1) });
        const p1 = await store.listTasks({ limit: 2 }, {});
        const p2 = await store.listTasks({ limit: 2, cursor: p1.nextCursor! }, {});
        const p3 = await store.listTasks({ limit: 2, cursor: p2.nextCursor! }, {});
        expect([...p1.items, ...p2.items, ...p3.items].map((t) => t.taskId)).toEqual([...ids].reverse());
        expect(p3.nextCursor).toBeNull();
        expect((await store.listTasks({ limit: 10 }, { agentId: 'a1' })).items.map((t) => t.taskId)).toEqual([ids[4], ids[2], ids[0]]);
        expect((await store.listTasks({ limit: 10 }, { agentId: 'a1', status: 'queued' })).items.map((t) => t.taskId)).toEqual([ids[2], ids[0]]);
        expect((await store.listTasks({ limit: 10 }, { status: 'finished' })).items.map((t) => t.taskId)).toEqual([ids[4]]);
      });
    });

    describe('reportTask', () => {
      it('when the task is unknown, then not-found', async () => {
        expect(await store.reportTask({ taskId: 'nope', report: { status: 'running' }, hasResult: false, now: iso(T0) })).toEqual({ outcome: 'not-found' });
      });

      it('when progress, then the result, are reported, then the task runs and finishes with them', async () => {
        await register('a1', {}, false);
        const { task } = await dispatch('a1');
        const running = await store.reportTask({ taskId: task.taskId, report: { status: 'running', progress: 40, message: 'working' }, hasResult: false, now: iso(T0 + 1) });
        expect(running).toMatchObject({ outcome: 'updated', task: { status: 'running', progress: 40, message: 'working', deliveredAt: iso(T0 + 1), finishedAt: null } });
        const done = await store.reportTask({ taskId: task.taskId, report: { status: 'finished', result: { sum: 3, list: [null] } }, hasResult: true, now: iso(T0 + 2) });
        expect(done).toMatchObject({ outcome: 'updated', task: { status: 'finished', progress: 100, message: 'working', result: { sum: 3, list: [null] }, error: null, deliveredAt: iso(T0 + 1), finishedAt: iso(T0 + 2), updatedAt: iso(T0 + 2) } });
        expect((await store.getTask(task.taskId))?.result).toEqual({ sum: 3, list: [null] });
      });

      it('when a null result is reported, then null is kept (not "no result")', async () => {
        await register('a1', {}, false);
        const { task } = await dispatch('a1');
        await store.reportTask({ taskId: task.taskId, report: { status: 'finished', result: null }, hasResult: true, now: iso(T0 + 1) });
        const stored = await store.getTask(task.taskId);
        expect(stored?.result).toBeNull();
        const other = (await dispatch('a1')).task;
        await store.reportTask({ taskId: other.taskId, report: { status: 'finished' }, hasResult: false, now: iso(T0 + 1) });
        expect((await store.getTask(other.taskId))?.result).toBeUndefined();
      });

      it('when a failure is reported without an error, then a default error is stored', async () => {
        await register('a1', {}, false);
        const { task } = await dispatch('a1');
        const res = await store.reportTask({ taskId: task.taskId, report: { status: 'failed' }, hasResult: false, now: iso(T0 + 1) });
        expect(res).toMatchObject({ outcome: 'updated', task: { status: 'failed', error: { code: 'failed' }, finishedAt: iso(T0 + 1) } });
        const withError = (await dispatch('a1')).task;
        const res2 = await store.reportTask({ taskId: withError.taskId, report: { status: 'failed', error: { code: 'boom', message: 'it broke' } }, hasResult: false, now: iso(T0 + 1) });
        expect(res2.outcome === 'updated' && res2.task.error).toEqual({ code: 'boom', message: 'it broke' });
      });

      it('when the task already ended, then the same end is accepted unchanged and another end is a conflict', async () => {
        await register('a1', {}, false);
        const { task } = await dispatch('a1');
        await store.reportTask({ taskId: task.taskId, report: { status: 'finished', result: 1 }, hasResult: true, now: iso(T0 + 1) });
        const same = await store.reportTask({ taskId: task.taskId, report: { status: 'finished', result: 2 }, hasResult: true, now: iso(T0 + 2) });
        expect(same).toMatchObject({ outcome: 'updated', task: { result: 1, finishedAt: iso(T0 + 1) } });
        expect(await store.reportTask({ taskId: task.taskId, report: { status: 'failed' }, hasResult: false, now: iso(T0 + 3) })).toMatchObject({ outcome: 'conflict', task: { status: 'finished' } });
        expect(await store.reportTask({ taskId: task.taskId, report: { status: 'running' }, hasResult: false, now: iso(T0 + 3) })).toMatchObject({ outcome: 'conflict' });
      });
    });

    describe('claimDeliveries', () => {
      it('when an order key has several pending deliveries, then only its lowest one is claimable until it ends', async () => {
        const first = lifecycle('a1', 'REGISTER');
        await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agentDetails('a1'), candidateSecret: 's', rotateSecret: false, notification: first, now: iso(T0) });
        const second = lifecycle('a1', 'DEREGISTER');
        await store.deregisterAgent({ agentId: 'a1', notification: () => second, endReport: () => null, now: iso(T0) });
        await register('a2', {}, false);
        const task = await dispatch('a2');

        const claimed = await store.claimDeliveries(T0, 10, 'owner-A', T0 + LEASE);
        expect(claimed.map((d) => d.deliveryId).sort()).toEqual([first.deliveryId, task.delivery.deliveryId].sort());
        expect(await store.claimDeliveries(T0, 10, 'owner-A', T0 + LEASE)).toEqual([]);

        await store.recordAttempt(first.deliveryId, 'owner-A', attemptAt(T0 + 5), { outcome: 'succeeded' }, noReport);
        const next = await store.claimDeliveries(T0 + 10, 10, 'owner-A', T0 + LEASE);
        expect(next.map((d) => d.deliveryId)).toEqual([second.deliveryId]);
      });

      it('when the lowest of an order key waits for a retry, then the later ones wait too', async () => {
        const r1 = lifecycle('a1', 'REGISTER');
        const r2 = lifecycle('a1', 'REGISTER');
        await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agentDetails('a1'), candidateSecret: 's', rotateSecret: false, notification: r1, now: iso(T0) });
        await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agentDetails('a1'), candidateSecret: 's', rotateSecret: false, notification: r2, now: iso(T0) });
        await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        await store.recordAttempt(r1.deliveryId, 'A', attemptAt(T0, 503, 'HTTP 503'), { outcome: 'retry', nextAttemptAt: T0 + 1000 }, noReport);
        expect(await store.claimDeliveries(T0 + 500, 10, 'A', T0 + LEASE)).toEqual([]);
        expect(await store.nextDueAt(T0 + 500)).toBe(T0);
        expect((await store.claimDeliveries(T0 + 1000, 10, 'A', T0 + LEASE)).map((d) => d.deliveryId)).toEqual([r1.deliveryId]);
      });

      it('when the lowest of an order key failed for good, then the next one is claimable', async () => {
        await register('a1');
        const r2 = lifecycle('a1', 'REGISTER');
        await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agentDetails('a1'), candidateSecret: 's', rotateSecret: false, notification: r2, now: iso(T0) });
        const [first] = await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        await store.recordAttempt(first!.deliveryId, 'A', attemptAt(T0, 410, 'HTTP 410'), { outcome: 'failed' }, noReport);
        expect((await store.claimDeliveries(T0, 10, 'A', T0 + LEASE)).map((d) => d.deliveryId)).toEqual([r2.deliveryId]);
      });

      it('when deliveries are due at different times, then only due ones come, earliest first, up to the limit', async () => {
        await register('a1', {}, false);
        const lateTask = newTask('a1');
        const late = await store.createTask({ task: lateTask, delivery: () => taskDelivery(lateTask, T0 + 5000), idempotencyKey: null, requestHash: 'h' });
        expect(late.outcome).toBe('created');
        const ids: string[] = [];
        for (const at of [T0 + 300, T0 + 100, T0 + 200]) {
          const t = newTask('a1');
          const d = taskDelivery(t, at);
          await store.createTask({ task: t, delivery: () => d, idempotencyKey: null, requestHash: 'h' });
          ids.push(d.deliveryId);
        }
        const claimed = await store.claimDeliveries(T0 + 1000, 2, 'A', T0 + LEASE);
        expect(claimed.map((d) => d.deliveryId)).toEqual([ids[1], ids[2]]);
        expect(claimed.every((d) => d.attemptLog.length === 0 && d.status === 'pending')).toBe(true);
        expect((await store.claimDeliveries(T0 + 1000, 10, 'A', T0 + LEASE)).map((d) => d.deliveryId)).toEqual([ids[0]]);
        expect(await store.claimDeliveries(T0 + 1000, 10, 'A', T0 + LEASE)).toEqual([]);
        expect(await store.nextDueAt(T0 + 1000)).toBe(T0 + 5000);
      });

      it('when a delivery is leased by one owner, then another owner cannot claim it until the lease lapses', async () => {
        const other = await h.open();
        await register('a1', {}, false);
        const { delivery } = await dispatch('a1');
        expect((await store.claimDeliveries(T0, 10, 'A', T0 + 1000)).map((d) => d.deliveryId)).toEqual([delivery.deliveryId]);
        expect(await other.claimDeliveries(T0 + 999, 10, 'B', T0 + 5000)).toEqual([]);
        expect(await other.nextDueAt(T0 + 999)).toBeNull();
        expect(await other.nextDueAt(T0 + 1001)).toBe(T0);
        expect((await other.claimDeliveries(T0 + 1001, 10, 'B', T0 + 5000)).map((d) => d.deliveryId)).toEqual([delivery.deliveryId]);
      });

      it('when two owners claim at the same time through separate handles, then no delivery goes to both', async () => {
        const other = await h.open();
        await register('a1', {}, false);
        const all = new Set<string>();
        for (let i = 0; i < 40; i++) all.add((await dispatch('a1')).delivery.deliveryId);
        const takeAll = async (s: Store, owner: string) => {
          const got: string[] = [];
          for (;;) {
            const batch = await s.claimDeliveries(T0, 3, owner, T0 + LEASE);
            if (batch.length === 0) return got;
            got.push(...batch.map((d) => d.deliveryId));
          }
        };
        const [a, b] = await Promise.all([takeAll(store, 'A'), takeAll(other, 'B')]);
        expect(new Set([...a, ...b]).size).toBe(a.length + b.length);
        expect(new Set([...a, ...b])).toEqual(all);
      });

      it('when targets are to be skipped, then deliveries to them stay for later, matched by URL prefix', async () => {
        await register('a1', { contactEndpoint: 'http://10.0.0.5:8000/tasks' }, false);
        await register('a2', { contactEndpoint: 'http://10.0.0.50:8000/tasks' }, false);
        const t1 = newTask('a1');
        const toBusy = { ...taskDelivery(t1), targetUrl: 'http://10.0.0.5:8000/tasks' };
        await store.createTask({ task: t1, delivery: () => toBusy, idempotencyKey: null, requestHash: 'h' });
        const t2 = newTask('a2');
        const toOther = { ...taskDelivery(t2), targetUrl: 'http://10.0.0.50:8000/tasks' };
        await store.createTask({ task: t2, delivery: () => toOther, idempotencyKey: null, requestHash: 'h' });
        const claimed = await store.claimDeliveries(T0, 10, 'A', T0 + LEASE, ['http://10.0.0.5:8000/']);
        expect(claimed.map((d) => d.deliveryId)).toEqual([toOther.deliveryId]);
        expect((await store.claimDeliveries(T0, 10, 'A', T0 + LEASE, [])).map((d) => d.deliveryId)).toEqual([toBusy.deliveryId]);
      });

      it('when leases are released, then another owner can claim at once', async () => {
        await register('a1', {}, false);
        const { delivery } = await dispatch('a1');
        await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        await store.releaseLeases('someone-else');
        expect(await store.claimDeliveries(T0, 10, 'B', T0 + LEASE)).toEqual([]);
        await store.releaseLeases('A');
        expect((await store.claimDeliveries(T0, 10, 'B', T0 + LEASE)).map((d) => d.deliveryId)).toEqual([delivery.deliveryId]);
      });
    });

    describe('recordAttempt', () => {
      it('when an attempt will be retried, then it is logged, the lease ends and the next attempt waits', async () => {
        await register('a1');
        const [d] = await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        await store.recordAttempt(d!.deliveryId, 'A', attemptAt(T0 + 1, 503, 'HTTP 503: busy'), { outcome: 'retry', nextAttemptAt: T0 + 5000 }, noReport);
        const after = await store.getDelivery(d!.deliveryId);
        expect(after).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: T0 + 5000, lastStatusCode: 503, lastError: 'HTTP 503: busy', lastLatencyMs: 12.5, updatedAt: iso(T0 + 1) });
        expect(after?.attemptLog).toEqual([{ attempt: 1, at: iso(T0 + 1), statusCode: 503, latencyMs: 12.5, error: 'HTTP 503: busy' }]);
        expect(await store.claimDeliveries(T0 + 4999, 10, 'B', T0 + LEASE)).toEqual([]);
        expect((await store.claimDeliveries(T0 + 5000, 10, 'B', T0 + LEASE)).map((x) => x.attempts)).toEqual([1]);
      });

      it('when the lease lapsed and another owner took over, then the first owner\'s late attempt is ignored', async () => {
        const other = await h.open();
        await register('a1', {}, false);
        const { delivery, task } = await dispatch('a1');
        await store.claimDeliveries(T0, 10, 'A', T0 + 1000);
        await other.claimDeliveries(T0 + 2000, 10, 'B', T0 + LEASE);
        await store.recordAttempt(delivery.deliveryId, 'A', attemptAt(T0 + 2500), { outcome: 'succeeded' }, noReport);
        expect(await store.getDelivery(delivery.deliveryId)).toMatchObject({ status: 'pending', attempts: 0, attemptLog: [] });
        expect((await store.getTask(task.taskId))?.status).toBe('queued');
        await other.recordAttempt(delivery.deliveryId, 'B', attemptAt(T0 + 2600), { outcome: 'succeeded' }, noReport);
        expect(await store.getDelivery(delivery.deliveryId)).toMatchObject({ status: 'succeeded', attempts: 1 });
        expect(await store.getTask(task.taskId)).toMatchObject({ status: 'delivered', deliveredAt: iso(T0 + 2600) });
      });

      it('when a task delivery succeeds, then the task is delivered (but a task the agent already reported keeps its status)', async () => {
        await register('a1', {}, false);
        const a = await dispatch('a1');
        const b = await dispatch('a1');
        await store.reportTask({ taskId: b.task.taskId, report: { status: 'finished' }, hasResult: false, now: iso(T0 + 1) });
        await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        await store.recordAttempt(a.delivery.deliveryId, 'A', attemptAt(T0 + 2), { outcome: 'succeeded' }, noReport);
        await store.recordAttempt(b.delivery.deliveryId, 'A', attemptAt(T0 + 2), { outcome: 'succeeded' }, noReport);
        expect(await store.getTask(a.task.taskId)).toMatchObject({ status: 'delivered', deliveredAt: iso(T0 + 2), updatedAt: iso(T0 + 2) });
        expect(await store.getTask(b.task.taskId)).toMatchObject({ status: 'finished', deliveredAt: iso(T0 + 1) });
        expect(await store.outboxDepth()).toEqual({ 'agent.lifecycle': 0, 'task.delivery': 0, 'task.cancel': 0, 'opscore.state': 0 });
      });

      it('when a task delivery fails for good, then the task fails and its state report is queued, unless the agent reported first', async () => {
        await register('a1', {}, false);
        const a = await dispatch('a1');
        const b = await dispatch('a1');
        await store.reportTask({ taskId: b.task.taskId, report: { status: 'running' }, hasResult: false, now: iso(T0 + 1) });
        await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        const error = { code: 'undeliverable', message: 'gave up' };
        const reportA = stateReport(a.task);
        await store.recordAttempt(a.delivery.deliveryId, 'A', attemptAt(T0 + 2, 500, 'HTTP 500'), { outcome: 'failed', taskError: error }, () => reportA);
        await store.recordAttempt(b.delivery.deliveryId, 'A', attemptAt(T0 + 2, 500, 'HTTP 500'), { outcome: 'failed', taskError: error }, () => stateReport(b.task));
        expect(await store.getTask(a.task.taskId)).toMatchObject({ status: 'failed', error, finishedAt: iso(T0 + 2) });
        expect((await store.getTask(b.task.taskId))?.status).toBe('running');
        expect(await store.getDelivery(a.delivery.deliveryId)).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 500 });
        const reports = (await store.listDeliveries({ limit: 10 }, { kind: 'opscore.state' })).items;
        expect(reports.map((d) => d.deliveryId)).toEqual([reportA.deliveryId]);
        expect(await store.outboxDepth()).toEqual({ 'agent.lifecycle': 0, 'task.delivery': 0, 'task.cancel': 0, 'opscore.state': 1 });
      });

      it('when the delivery is unknown or no longer pending, then recording does nothing', async () => {
        await expect(store.recordAttempt('dlv_unknown', 'A', attemptAt(T0), { outcome: 'succeeded' }, noReport)).resolves.toBeUndefined();
        await register('a1');
        const [d] = await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        await store.recordAttempt(d!.deliveryId, 'A', attemptAt(T0), { outcome: 'succeeded' }, noReport);
        await store.recordAttempt(d!.deliveryId, 'A', attemptAt(T0 + 1, 500), { outcome: 'failed' }, noReport);
        expect(await store.getDelivery(d!.deliveryId)).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 200 });
      });
    });

    describe('redeliver', () => {
      it('when the delivery is unknown or still pending, then not-found or conflict', async () => {
        expect(await store.redeliver('dlv_nope', T0, iso(T0))).toEqual({ outcome: 'not-found' });
        await register('a1');
        const [d] = await allDeliveries();
        expect(await store.redeliver(d!.deliveryId, T0, iso(T0))).toMatchObject({ outcome: 'conflict' });
      });

      it('when a finished webhook is redelivered, then it is pending again with a fresh retry budget and its log kept', async () => {
        await register('a1');
        const [d] = await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        await store.recordAttempt(d!.deliveryId, 'A', attemptAt(T0, 503), { outcome: 'retry', nextAttemptAt: T0 + 10 }, noReport);
        await store.claimDeliveries(T0 + 10, 10, 'A', T0 + LEASE);
        await store.recordAttempt(d!.deliveryId, 'A', { ...attemptAt(T0 + 10, 400, 'HTTP 400') }, { outcome: 'failed' }, noReport);
        const res = await store.redeliver(d!.deliveryId, T0 + 100, iso(T0 + 100));
        expect(res.outcome).toBe('requeued');
        const again = res.outcome === 'requeued' ? res.delivery : null;
        expect(again).toMatchObject({ status: 'pending', attempts: 2, retryBase: 2, nextAttemptAt: T0 + 100, expiresAt: null, updatedAt: iso(T0 + 100) });
        expect(again?.attemptLog.map((a) => a.statusCode)).toEqual([503, 400]);
        const [claimed] = await store.claimDeliveries(T0 + 100, 10, 'B', T0 + LEASE);
        expect(claimed?.deliveryId).toBe(d!.deliveryId);
        await store.recordAttempt(d!.deliveryId, 'B', attemptAt(T0 + 101), { outcome: 'succeeded' }, noReport);
        expect((await store.getDelivery(d!.deliveryId))?.attemptLog.map((a) => a.attempt)).toEqual([1, 2, 3]);
      });

      it('when a failed task delivery is redelivered after its task ended, then it is a conflict; while still queued, it is requeued', async () => {
        await register('a1', {}, false);
        const a = await dispatch('a1');
        const b = await dispatch('a1');
        await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        const error = { code: 'undeliverable', message: 'gave up' };
        await store.recordAttempt(a.delivery.deliveryId, 'A', attemptAt(T0, 500), { outcome: 'failed', taskError: error }, () => null);
        await store.recordAttempt(b.delivery.deliveryId, 'A', attemptAt(T0, 500), { outcome: 'failed' }, noReport);
        expect(await store.redeliver(a.delivery.deliveryId, T0, iso(T0))).toMatchObject({ outcome: 'conflict', reason: expect.stringContaining('failed') });
        expect(await store.redeliver(b.delivery.deliveryId, T0, iso(T0))).toMatchObject({ outcome: 'requeued', delivery: { status: 'pending', retryBase: 1 } });
      });

      it('when a succeeded task delivery is redelivered, then it is requeued while the task runs and a conflict once it finished', async () => {
        await register('a1', {}, false);
        const a = await dispatch('a1');
        await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        await store.recordAttempt(a.delivery.deliveryId, 'A', attemptAt(T0), { outcome: 'succeeded' }, noReport);
        await store.reportTask({ taskId: a.task.taskId, report: { status: 'running' }, hasResult: false, now: iso(T0 + 1) });
        expect(await store.redeliver(a.delivery.deliveryId, T0 + 2, iso(T0 + 2))).toMatchObject({ outcome: 'requeued' });
        await store.claimDeliveries(T0 + 2, 10, 'A', T0 + LEASE);
        await store.recordAttempt(a.delivery.deliveryId, 'A', attemptAt(T0 + 3), { outcome: 'succeeded' }, noReport);
        await store.reportTask({ taskId: a.task.taskId, report: { status: 'finished' }, hasResult: false, now: iso(T0 + 4) });
        expect(await store.redeliver(a.delivery.deliveryId, T0 + 5, iso(T0 + 5))).toMatchObject({ outcome: 'conflict', reason: expect.stringContaining('finished') });
      });
    });

    describe('listDeliveries and outboxDepth', () => {
      it('when filtered and paged, then deliveries come newest first with their attempt logs', async () => {
        await register('a1');
        await register('a2');
        const t = await dispatch('a1');
        const [first] = await store.claimDeliveries(T0, 1, 'A', T0 + LEASE);
        await store.recordAttempt(first!.deliveryId, 'A', attemptAt(T0), { outcome: 'succeeded' }, noReport);
        const p1 = await store.listDeliveries({ limit: 2 }, {});
        const p2 = await store.listDeliveries({ limit: 2, cursor: p1.nextCursor! }, {});
        expect([...p1.items, ...p2.items].map((d) => d.eventType)).toEqual(['TASK', 'REGISTER', 'REGISTER']);
        expect(p2.nextCursor).toBeNull();
        expect(p2.items[0]?.attemptLog).toHaveLength(1);
        expect((await store.listDeliveries({ limit: 10 }, { kind: 'task.delivery' })).items.map((d) => d.deliveryId)).toEqual([t.delivery.deliveryId]);
        expect((await store.listDeliveries({ limit: 10 }, { agentId: 'a2' })).items.map((d) => d.agentId)).toEqual(['a2']);
        expect((await store.listDeliveries({ limit: 10 }, { status: 'succeeded' })).items.map((d) => d.deliveryId)).toEqual([first!.deliveryId]);
        expect((await store.listDeliveries({ limit: 10 }, { status: 'pending', agentId: 'a1' })).items.map((d) => d.kind)).toEqual(['task.delivery']);
        expect(await store.getDelivery('dlv_nope')).toBeNull();
      });

      it('when deliveries of each kind are pending, then outboxDepth counts them by kind', async () => {
        await register('a1');
        await register('a2');
        const { task } = await dispatch('a1');
        await dispatch('a1');
        await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        await store.recordAttempt((await allDeliveries())[2]!.deliveryId, 'A', attemptAt(T0), { outcome: 'failed', taskError: { message: 'x' } }, () => stateReport(task));
        expect(await store.outboxDepth()).toEqual({ 'agent.lifecycle': 2, 'task.delivery': 1, 'task.cancel': 0, 'opscore.state': 1 });
      });
    });

    describe('expireOverdueTasks', () => {
      it('when delivered or running tasks pass their deadline without an outcome, then only those fail, each with its report', async () => {
        await register('a1', {}, false);
        const deadline = iso(T0 + 1000);
        const delivered = await dispatch('a1', null, 'h', { deadline });
        const running = await dispatch('a1', null, 'h', { deadline });
        const queued = await dispatch('a1', null, 'h', { deadline });
        const finished = await dispatch('a1', null, 'h', { deadline });
        const later = await dispatch('a1', null, 'h', { deadline: iso(T0 + 60_000) });
        const noDeadline = await dispatch('a1');
        await store.claimDeliveries(T0, 10, 'A', T0 + LEASE);
        for (const t of [delivered, running, finished, later, noDeadline]) {
          await store.recordAttempt(t.delivery.deliveryId, 'A', attemptAt(T0 + 1), { outcome: 'succeeded' }, noReport);
        }
        await store.reportTask({ taskId: running.task.taskId, report: { status: 'running' }, hasResult: false, now: iso(T0 + 2) });
        await store.reportTask({ taskId: finished.task.taskId, report: { status: 'finished', result: 1 }, hasResult: true, now: iso(T0 + 2) });
        const error = { code: 'timeout', message: 'no outcome' };
        const rule = (now: number): ExpiryRule => ({ overdue: 'deadline', before: T0 + 5000, end: (t) => failed(t, error, iso(now)), report: (t) => stateReport(t) });
        const ended = await store.expireTasks(rule(T0 + 35_000), 100);
        expect(ended.map((t) => t.taskId).sort()).toEqual([delivered.task.taskId, running.task.taskId].sort());
        for (const t of [delivered, running]) {
          expect(await store.getTask(t.task.taskId)).toMatchObject({ status: 'failed', error, finishedAt: iso(T0 + 35_000) });
        }
        expect((await store.getTask(queued.task.taskId))?.status).toBe('queued');
        expect((await store.getTask(finished.task.taskId))?.status).toBe('finished');
        expect((await store.getTask(later.task.taskId))?.status).toBe('delivered');
        expect((await store.getTask(noDeadline.task.taskId))?.status).toBe('delivered');
        expect((await store.outboxDepth())['opscore.state']).toBe(2);
        expect(await store.expireTasks(rule(T0 + 36_000), 100)).toEqual([]);
      });
    });

    describe('capacity (maxConcurrentTasks)', () => {
      it('when an agent with a limit of 2 is sent 4 tasks, then 2 go out and each end lets the next waiting one through, in dispatch order', async () => {
        await register('a1', { maxConcurrentTasks: 2 }, false);
        const tasks = [];
        for (let i = 0; i < 4; i++) tasks.push((await dispatch('a1')).task);
        expect((await store.getAgent('a1'))?.activeTasks).toBe(2);
        expect((await allDeliveries()).map((d) => d.waitingForSlot)).toEqual([false, false, true, true]);
        expect(await deliverDue(T0)).toEqual([tasks[0]!.taskId, tasks[1]!.taskId]);
        expect(await deliverDue(T0 + 10)).toEqual([]);
        // What waits for a slot is never due: the worker does not wake for it.
        expect(await store.nextDueAt(T0 + 10)).toBeNull();

        await report(tasks[0]!.taskId, 'finished', T0 + 20);
        expect(await deliverDue(T0 + 20)).toEqual([tasks[2]!.taskId]);
        await report(tasks[1]!.taskId, 'failed', T0 + 30);
        expect(await deliverDue(T0 + 30)).toEqual([tasks[3]!.taskId]);
        expect((await store.getAgent('a1'))?.activeTasks).toBe(2);
        await report(tasks[2]!.taskId, 'finished', T0 + 40);
        await report(tasks[3]!.taskId, 'finished', T0 + 40);
        expect((await store.getAgent('a1'))?.activeTasks).toBe(0);
      });

      it('when a waiting task is canceled, then it is never sent and the slot goes to the next one', async () => {
        await register('a1', { maxConcurrentTasks: 1 }, false);
        const [first, waiting, next] = [(await dispatch('a1')).task, (await dispatch('a1')).task, (await dispatch('a1')).task];
        expect(await store.cancelTask({ taskId: waiting.taskId, reason: 'no longer needed', now: iso(T0 + 1), graceMs: 1000, notice: (t, e) => cancelNotice(t, e, new Date(T0 + 1)) })).toMatchObject({ outcome: 'canceled', task: { status: 'canceled', cancelReason: 'no longer needed' } });
        expect(await deliverDue(T0 + 2)).toEqual([first.taskId]);
        await report(first.taskId, 'finished', T0 + 3);
        expect(await deliverDue(T0 + 4)).toEqual([next.taskId]);
        expect((await allDeliveries()).find((d) => d.taskId === waiting.taskId)).toMatchObject({ status: 'canceled', waitingForSlot: false });
      });

      it('when the deadline of a task waiting for a slot passes, then the waiting rule fails it and its delivery, and it never goes out', async () => {
        await register('a1', { maxConcurrentTasks: 1 }, false);
        const first = (await dispatch('a1')).task;
        const waiting = (await dispatch('a1', null, 'h', { deadline: iso(T0 + 1000) })).task;
        const later = (await dispatch('a1', null, 'h', { deadline: iso(T0 + 60_000) })).task;
        const rule = (before: number): ExpiryRule => ({ overdue: 'waiting', before, end: (t) => failed(t, taskErrors.notDeliveredInTime(t.agentId), iso(before)), report: (t) => stateReport(t) });
        // The delivery's expiresAt is the deadline (what the domain's taskDelivery sets).
        expect(await store.expireTasks(rule(T0 + 999), 10)).toEqual([]);
        expect((await store.expireTasks(rule(T0 + 1001), 10)).map((t) => t.taskId)).toEqual([waiting.taskId]);
        expect(await store.getTask(waiting.taskId)).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
        expect((await allDeliveries()).find((d) => d.taskId === waiting.taskId)).toMatchObject({ status: 'failed', waitingForSlot: false });
        await deliverDue(T0 + 1002);
        await report(first.taskId, 'finished', T0 + 1003);
        expect(await deliverDue(T0 + 1004)).toEqual([later.taskId]);
      });

      it('when an agent has no limit, then none of its tasks waits and none holds a slot', async () => {
        await register('a1', {}, false);
        for (let i = 0; i < 3; i++) await dispatch('a1');
        expect((await deliverDue(T0)).length).toBe(3);
        expect((await store.getAgent('a1'))?.activeTasks).toBe(0);
      });

      it('when another handle dispatches to the same limited agent at the same time, then the limit holds across both', async () => {
        const other = await h.open();
        await register('a1', { maxConcurrentTasks: 2 }, false);
        const dispatchOn = (s: Store) => {
          const task = newTask('a1');
          return s.createTask({ task, delivery: () => taskDelivery(task), idempotencyKey: null, requestHash: '', missedHeartbeats: 3 });
        };
        await Promise.all(Array.from({ length: 10 }, (_, i) => dispatchOn(i % 2 === 0 ? store : other)));
        expect((await store.getAgent('a1'))?.activeTasks).toBe(2);
        expect((await deliverDue(T0)).length).toBe(2);
        expect((await allDeliveries()).filter((d) => d.waitingForSlot)).toHaveLength(8);
      });

      it('when the agent re-registers with a higher limit, then waiting tasks go out up to it', async () => {
        await register('a1', { maxConcurrentTasks: 1 }, false);
        for (let i = 0; i < 3; i++) await dispatch('a1');
        await register('a1', { maxConcurrentTasks: 3 }, false, iso(T0 + 5));
        expect((await store.getAgent('a1'))?.activeTasks).toBe(3);
        expect((await deliverDue(T0 + 5)).length).toBe(3);
      });
    });

    describe('queue cap (maxQueuedTasks)', () => {
      const capped = (agentId: string, cap: number | null, s: Store = store, key: string | null = null) => {
        const task = newTask(agentId);
        return s.createTask({ task, delivery: () => taskDelivery(task), idempotencyKey: key, requestHash: 'h', missedHeartbeats: 3, maxQueuedTasks: cap });
      };

      it('when an agent has as many untaken tasks as the cap, then the next dispatch stores nothing; a delivered, canceled or waiting task counts as it should', async () => {
        await register('a1', {}, false);
        await register('a2', {}, false);
        const first = await capped('a1', 3);
        await capped('a1', 3);
        await capped('a1', 3, store, 'key-3');
        expect(await capped('a1', 3)).toEqual({ outcome: 'queue-full', queued: 3 });
        expect(await capped('a1', 3, store, 'key-4')).toEqual({ outcome: 'queue-full', queued: 3 });
        // A replay is not a new task.
        expect((await capped('a1', 3, store, 'key-3')).outcome).toBe('replayed');
        expect(await taskCount(store)).toBe(3);
        expect((await capped('a2', 3)).outcome).toBe('created');
        expect((await capped('a1', null)).outcome).toBe('created');
        // Taken off the queue: one delivered, one canceled.
        const firstTask = first.outcome === 'created' ? first.task : null;
        await store.cancelTask({ taskId: firstTask!.taskId, reason: null, now: iso(T0 + 1), graceMs: 1000, notice: (t, e) => cancelNotice(t, e, new Date(T0 + 1)) });
        expect((await capped('a1', 4)).outcome).toBe('created');
        expect(await capped('a1', 4)).toEqual({ outcome: 'queue-full', queued: 4 });
        expect((await deliverDue(T0 + 2)).length).toBe(5);
        expect((await capped('a1', 1)).outcome).toBe('created');
        expect(await capped('a1', 1)).toEqual({ outcome: 'queue-full', queued: 1 });
      });

      it('when tasks wait for a slot of a limited agent, then they count as queued until they go out', async () => {
        await register('a1', { maxConcurrentTasks: 1 }, false);
        const running = await capped('a1', 2);
        await capped('a1', 2);
        expect((await capped('a1', 2)).outcome).toBe('queue-full');
        await deliverDue(T0);
        expect((await capped('a1', 2)).outcome).toBe('created');
        expect((await capped('a1', 2)).outcome).toBe('queue-full');
        await report(running.outcome === 'created' ? running.task.taskId : '', 'finished', T0 + 1);
        await deliverDue(T0 + 2);
        expect((await capped('a1', 2)).outcome).toBe('created');
      });

      it('when the agent deregisters, then its failed untaken tasks leave the queue', async () => {
        await register('a1', {}, false);
        await capped('a1', 1);
        await store.deregisterAgent({ agentId: 'a1', notification: () => null, endReport: () => null, now: iso(T0 + 1) });
        await register('a1', {}, false, iso(T0 + 2));
        expect((await capped('a1', 1)).outcome).toBe('created');
      });
    });

    describe('heartbeats', () => {
      it('when an agent declared heartbeats, then its taken task is due one timeout after delivery and after each report, and fails once silent past it', async () => {
        await register('a1', { heartbeatIntervalSeconds: 1 }, false);
        const { task, result } = await dispatch('a1');
        expect(result).toMatchObject({ outcome: 'created', task: { heartbeatTimeoutMs: 3000 } });
        await deliverDue(T0 + 10);
        expect((await store.getTask(task.taskId))?.heartbeatDueAt).toBe(T0 + 10 + 3000);
        await report(task.taskId, 'running', T0 + 2000, { step: 'embedding' });
        expect(await store.getTask(task.taskId)).toMatchObject({ status: 'running', heartbeatDueAt: T0 + 5000, lastHeartbeatAt: iso(T0 + 2000), heartbeat: { step: 'embedding' } });
        expect((await store.getAgent('a1'))?.lastSeenAt).toBe(iso(T0 + 2000));
        const rule = (before: number): ExpiryRule => ({ overdue: 'heartbeat', before, end: (t) => failed(t, taskErrors.heartbeatTimeout(), iso(before)), report: (t) => stateReport(t) });
        expect(await store.expireTasks(rule(T0 + 4999), 10)).toEqual([]);
        expect((await store.expireTasks(rule(T0 + 5001), 10)).map((t) => t.taskId)).toEqual([task.taskId]);
        expect(await store.getTask(task.taskId)).toMatchObject({ status: 'failed', error: { code: 'heartbeat_timeout' }, heartbeatDueAt: null });
        expect((await store.outboxDepth())['opscore.state']).toBe(1);
      });

      it('when AgentKit starts again, then every taken task with a heartbeat gets a full window from then (its own absence is not the agent\'s silence)', async () => {
        await register('a1', { heartbeatIntervalSeconds: 1 }, false);
        await register('a2', {}, false);
        const { task } = await dispatch('a1');
        const plain = (await dispatch('a2')).task;
        await deliverDue(T0);
        expect((await store.getTask(task.taskId))?.heartbeatDueAt).toBe(T0 + 3000);
        expect(await store.renewHeartbeats(T0 + 60_000)).toBe(1);
        expect((await store.getTask(task.taskId))?.heartbeatDueAt).toBe(T0 + 63_000);
        expect((await store.getTask(plain.taskId))?.heartbeatDueAt).toBeNull();
        // A window already longer is left as it is.
        expect(await store.renewHeartbeats(T0 + 1000)).toBe(0);
        const rule: ExpiryRule = { overdue: 'heartbeat', before: T0 + 62_000, end: (t) => failed(t, taskErrors.heartbeatTimeout(), iso(T0 + 62_000)), report: (t) => stateReport(t) };
        expect(await store.expireTasks(rule, 10)).toEqual([]);
      });

      it('when an agent that declared heartbeats registers again, then the tasks it had end at once (agent_restarted, canceled if canceling), reported before its REGISTER', async () => {
        await register('a1', { heartbeatIntervalSeconds: 5 }, false);
        const delivered = (await dispatch('a1')).task;
        const canceling = (await dispatch('a1')).task;
        const running = (await dispatch('a1')).task;
        await deliverDue(T0);
        const queued = (await dispatch('a1')).task;
        await store.reportTask({ taskId: running.taskId, report: { status: 'running' }, hasResult: false, now: iso(T0 + 1) });
        await store.cancelTask({ taskId: canceling.taskId, reason: null, now: iso(T0 + 1), graceMs: 1000, notice: (t, e) => cancelNotice(t, e, new Date(T0 + 1)) });
        const again = await register('a1', { heartbeatIntervalSeconds: 5 }, true, iso(T0 + 2));
        expect(again!.endedTasks.map((t) => [t.taskId, t.status]).sort()).toEqual([[delivered.taskId, 'failed'], [canceling.taskId, 'canceled'], [running.taskId, 'failed']].sort());
        expect((await store.getTask(delivered.taskId))?.error?.code).toBe('agent_restarted');
        expect((await store.getTask(queued.taskId))?.status).toBe('queued');
        const lifecycleOrder = (await allDeliveries()).filter((d) => d.orderKey === 'lifecycle:a1').map((d) => d.kind);
        expect(lifecycleOrder).toEqual(['opscore.state', 'opscore.state', 'opscore.state', 'agent.lifecycle']);
      });

      it('when an agent without heartbeats registers again, then its delivered tasks are left alone', async () => {
        await register('a1', {}, false);
        const { task } = await dispatch('a1');
        await deliverDue(T0);
        expect((await register('a1', {}, false, iso(T0 + 1)))!.endedTasks).toEqual([]);
        expect((await store.getTask(task.taskId))?.status).toBe('delivered');
      });

      it('when an agent declared no heartbeats, then its tasks are never due for one', async () => {
        await register('a1', {}, false);
        const { task } = await dispatch('a1');
        await deliverDue(T0);
        expect((await store.getTask(task.taskId))?.heartbeatDueAt).toBeNull();
        const rule: ExpiryRule = { overdue: 'heartbeat', before: T0 + 86_400_000, end: (t) => failed(t, taskErrors.heartbeatTimeout(), iso(T0)), report: noReport };
        expect(await store.expireTasks(rule, 10)).toEqual([]);
      });
    });

    describe('cancelTask', () => {
      const cancel = (taskId: string, at: number, graceMs = 1000) =>
        store.cancelTask({ taskId, reason: 'stop', now: iso(at), graceMs, notice: (t, endpoint) => cancelNotice(t, endpoint, new Date(at)) });

      it('when the task is unknown, then not-found', async () => {
        expect(await cancel('nope', T0)).toEqual({ outcome: 'not-found' });
      });

      it('when a queued task is canceled, twice, then it is canceled at once, its delivery too, and never claimed', async () => {
        await register('a1', {}, false);
        const { task } = await dispatch('a1');
        const first = await cancel(task.taskId, T0 + 1);
        expect(first).toMatchObject({ outcome: 'canceled', task: { status: 'canceled', cancelRequestedAt: iso(T0 + 1), finishedAt: iso(T0 + 1) } });
        expect(await cancel(task.taskId, T0 + 2)).toEqual(first);
        expect(await store.claimDeliveries(T0 + 3, 10, 'A', T0 + LEASE)).toEqual([]);
        expect((await allDeliveries())[0]).toMatchObject({ kind: 'task.delivery', status: 'canceled' });
      });

      it('when a delivered task is canceled, twice, then it is canceling with one notice to its agent, and ends when the agent says canceled', async () => {
        await register('a1', {}, false);
        const { task } = await dispatch('a1');
        await deliverDue(T0);
        expect(await cancel(task.taskId, T0 + 1)).toMatchObject({ outcome: 'canceling', task: { status: 'canceling', cancelDueAt: T0 + 1001 } });
        expect(await cancel(task.taskId, T0 + 2)).toMatchObject({ outcome: 'canceling', task: { status: 'canceling', cancelRequestedAt: iso(T0 + 1) } });
        const notices = (await allDeliveries()).filter((d) => d.kind === 'task.cancel');
        expect(notices).toHaveLength(1);
        expect(notices[0]).toMatchObject({ targetUrl: `http://127.0.0.1:9/a1/${task.taskId}/cancel`, taskId: task.taskId, expiresAt: T0 + 1001 });
        expect(await report(task.taskId, 'running', T0 + 3)).toMatchObject({ outcome: 'updated', task: { status: 'canceling' } });
        expect(await report(task.taskId, 'canceled', T0 + 4)).toMatchObject({ outcome: 'updated', task: { status: 'canceled', finishedAt: iso(T0 + 4) } });
      });

      it('when the agent does not confirm within the grace, then the cancel rule ends it canceled, and a late outcome is a recorded conflict', async () => {
        await register('a1', { maxConcurrentTasks: 1 }, false);
        const { task } = await dispatch('a1');
        const next = (await dispatch('a1')).task;
        await deliverDue(T0);
        await cancel(task.taskId, T0 + 1);
        const rule = (before: number): ExpiryRule => ({ overdue: 'cancel', before, end: (t) => canceled(t, iso(before)), report: (t) => stateReport(t) });
        expect(await store.expireTasks(rule(T0 + 1000), 10)).toEqual([]);
        expect((await store.expireTasks(rule(T0 + 1002), 10)).map((t) => t.taskId)).toEqual([task.taskId]);
        expect(await report(task.taskId, 'finished', T0 + 2000)).toMatchObject({ outcome: 'conflict', task: { status: 'canceled' } });
        expect(await store.getTask(task.taskId)).toMatchObject({ status: 'canceled', lateOutcome: { status: 'finished', at: iso(T0 + 2000) } });
        // Its slot went to the waiting task.
        expect(await deliverDue(T0 + 2001)).toEqual([next.taskId]);
      });

      it('when the task already finished, then a conflict, and it stays finished', async () => {
        await register('a1', {}, false);
        const { task } = await dispatch('a1');
        await report(task.taskId, 'finished', T0 + 1);
        expect(await cancel(task.taskId, T0 + 2)).toMatchObject({ outcome: 'conflict' });
        expect((await store.getTask(task.taskId))?.status).toBe('finished');
      });
    });
  });
}
