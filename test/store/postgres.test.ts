import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { newDeliveryIds } from '../../src/domain/ids.js';
import { openStore } from '../../src/store/index.js';
import { parsePostgresUrl, redactUrl } from '../../src/store/postgres/connection.js';
import { postgresMigrations } from '../../src/store/postgres/migrations.js';
import { BEGIN_ORDERED_WALK_SQL, claimSql, PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { NewDelivery } from '../../src/domain/delivery.js';
import { newTask, type TaskRecord } from '../../src/domain/task.js';
import type { Store } from '../../src/store/types.js';
import { freshSchema, PG_BASE_URL, type TestSchema } from '../support/postgres.js';
import { type StoreHarness, storeSuite } from './store-suite.js';

/** A fresh schema per test; every handle is its own pool on that schema, as a process would be. */
async function postgresHarness(options: { statementTimeoutMs?: number } = {}): Promise<StoreHarness & { db: TestSchema }> {
  const db = await freshSchema('agentkit_store');
  const handles: Store[] = [];
  return {
    db,
    async open() {
      const store = new PostgresStore({ url: db.url, poolSize: 4, ...options });
      handles.push(store);
      await store.migrate();
      return store;
    },
    async cleanup() {
      for (const s of handles) await s.close();
      await db.drop();
    },
  };
}

// The shared suite runs in one fresh schema for this file, emptied between tests (much
// faster than a schema per test: DDL is slow on a busy machine).
let suiteSchema: TestSchema | null = null;
afterAll(async () => {
  await suiteSchema?.drop();
});

async function suiteHarness(): Promise<StoreHarness> {
  suiteSchema ??= await freshSchema('agentkit_store');
  const db = suiteSchema;
  const handles: Store[] = [];
  return {
    async open() {
      const store = new PostgresStore({ url: db.url, poolSize: 4 });
      handles.push(store);
      await store.migrate();
      return store;
    },
    async cleanup() {
      for (const s of handles) await s.close();
      // DELETE, not TRUNCATE: on these few rows it is ten times faster.
      await db.query('DELETE FROM delivery_attempts; DELETE FROM deliveries; DELETE FROM tasks; DELETE FROM agent_capabilities; DELETE FROM agents');
    },
  };
}

storeSuite('PostgreSQL', suiteHarness);

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const agent = (agentId: string) => ({ agentId, agentName: agentId, version: '1', capabilities: ['echo'], contactEndpoint: 'http://127.0.0.1:9/t', metadata: {} });

function lifecycle(agentId: string, eventType: 'REGISTER' | 'DEREGISTER'): NewDelivery {
  return {
    ...newDeliveryIds(), kind: 'agent.lifecycle', eventType, agentId, taskId: null, targetUrl: 'http://127.0.0.1:9/notify',
    payload: JSON.stringify({ event_type: eventType }), orderKey: `lifecycle:${agentId}`, nextAttemptAt: T0, expiresAt: null, createdAt: iso(T0),
  };
}

function task(agentId: string, taskId: string): TaskRecord {
  return newTask({ taskId, agentId, taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: null, timeoutSeconds: null, opscoreMessage: null }, iso(T0));
}

function taskDelivery(t: TaskRecord): NewDelivery {
  return {
    ...newDeliveryIds(), kind: 'task.delivery', eventType: 'TASK', agentId: t.agentId, taskId: t.taskId, targetUrl: 'http://127.0.0.1:9/t',
    payload: '{}', orderKey: null, nextAttemptAt: T0, expiresAt: null, createdAt: iso(T0),
  };
}

describe('PostgreSQL store with several processes', () => {
  let h: Awaited<ReturnType<typeof postgresHarness>>;
  beforeAll(async () => {
    h = await postgresHarness();
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('when several processes migrate a fresh schema at once, then all succeed and the schema is made once', async () => {
    const db = await freshSchema('agentkit_migrate');
    const stores = Array.from({ length: 4 }, () => new PostgresStore({ url: db.url, poolSize: 1 }));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const versions = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions).toEqual(postgresMigrations.map((m) => ({ version: m.version })));
      const tables = await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = $1', [db.schema]);
      expect(Number(tables[0]!.n)).toBe(7); // with task_events (v7)
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await db.drop();
    }
  });

  it('when a process restarts, then leases held by others are kept (they lapse, they are not cleared)', async () => {
    const a = await h.open();
    await a.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agent('lease-keeper'), candidateSecret: 's', rotateSecret: false, notification: lifecycle('lease-keeper', 'REGISTER'), now: iso(T0) });
    expect(await a.claimDeliveries(T0, 10, 'A', T0 + 10_000)).toHaveLength(1);
    const restarted = await h.open();
    expect(await restarted.claimDeliveries(T0 + 1, 10, 'B', T0 + 20_000)).toEqual([]);
    expect(await restarted.claimDeliveries(T0 + 10_001, 10, 'B', T0 + 20_000)).toHaveLength(1);
  });

  it('when the same idempotency key reaches two processes at once, then one task is created and the other call replays it', async () => {
    const [a, b] = [await h.open(), await h.open()];
    await a.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agent('idem'), candidateSecret: 's', rotateSecret: false, notification: null, now: iso(T0) });
    for (let round = 0; round < 10; round++) {
      const key = `key-${round}`;
      const [ra, rb] = await Promise.all(
        [a, b].map((s, i) => {
          const t = task('idem', `idem-${round}-${i}`);
          return s.createTask({ task: t, delivery: () => taskDelivery(t), idempotencyKey: key, requestHash: 'same' });
        }),
      );
      const outcomes = [ra!.outcome, rb!.outcome].sort();
      expect(outcomes).toEqual(['created', 'replayed']);
      const ids = [ra, rb].map((r) => (r && 'task' in r ? r.task.taskId : null));
      expect(ids[0]).toBe(ids[1]);
    }
    const rows = await h.db.query<{ n: string }>("SELECT COUNT(*) AS n FROM deliveries WHERE agent_id = 'idem'");
    expect(Number(rows[0]!.n)).toBe(10);
  });

  it('when one agent is registered and deregistered through different processes, then its notifications are queued in call order', async () => {
    const [a, b, c] = [await h.open(), await h.open(), await h.open()];
    const handles = [a, b, c];
    const expected = new Map<string, string[]>();
    await Promise.all(
      Array.from({ length: 12 }, async (_, n) => {
        const id = `ordered-${n}`;
        const events: string[] = [];
        for (let step = 0; step < 5; step++) {
          const s = handles[(n + step) % 3]!;
          if (step % 2 === 0) {
            await s.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agent(id), candidateSecret: 's', rotateSecret: false, notification: lifecycle(id, 'REGISTER'), now: iso(T0) });
            events.push('REGISTER');
          } else {
            await s.deregisterAgent({ agentId: id, notification: () => lifecycle(id, 'DEREGISTER'), endReport: () => null, now: iso(T0) });
            events.push('DEREGISTER');
          }
        }
        expected.set(id, events);
      }),
    );
    const rows = await h.db.query<{ agent_id: string; event_type: string }>(
      "SELECT agent_id, event_type FROM deliveries WHERE agent_id LIKE 'ordered-%' ORDER BY seq",
    );
    for (const [id, events] of expected) expect(rows.filter((r) => r.agent_id === id).map((r) => r.event_type)).toEqual(events);
  });

  it('when an agent is deregistered through one process while tasks are dispatched to it through another, then no dispatched task is left queued', async () => {
    const [a, b] = [await h.open(), await h.open()];
    for (let round = 0; round < 10; round++) {
      const id = `leaving-${round}`;
      await a.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agent(id), candidateSecret: 's', rotateSecret: false, notification: null, now: iso(T0) });
      const dispatch = (i: number) => {
        const t = task(id, `leaving-${round}-${i}`);
        return a.createTask({ task: t, delivery: () => taskDelivery(t), idempotencyKey: null, requestHash: '' });
      };
      // A stream of dispatches, with the deregistration starting in the middle of it.
      const dispatches = Array.from({ length: 10 }, (_, i) => dispatch(i));
      await dispatches[0];
      const leaving = b.deregisterAgent({ agentId: id, notification: () => null, endReport: () => null, now: iso(T0) });
      for (let i = 10; i < 40; i++) dispatches.push(dispatch(i));
      const outcomes = (await Promise.all(dispatches)).map((r) => r.outcome);
      expect(await leaving).not.toBeNull();
      expect(outcomes.every((o) => o === 'created' || o === 'agent-not-found'), outcomes.join()).toBe(true);
      // A dispatch stored before the deregistration was failed by it; none was stored after it.
      const rows = await h.db.query<{ status: string; n: string }>('SELECT status, COUNT(*) AS n FROM tasks WHERE agent_id = $1 GROUP BY status', [id]);
      expect(rows.filter((r) => r.status !== 'failed')).toEqual([]);
      expect(rows.reduce((n, r) => n + Number(r.n), 0)).toBe(outcomes.filter((o) => o === 'created').length);
      const deliveries = await h.db.query<{ status: string }>("SELECT status FROM deliveries WHERE agent_id = $1 AND kind = 'task.delivery'", [id]);
      expect(deliveries.filter((d) => d.status === 'pending')).toEqual([]);
    }
  });

  it('when a backlog grew faster than the statistics, then a claim walks the due index in order and stops at its limit (no bitmap scan and sort of every due row)', async () => {
    const own = await postgresHarness(); // a schema of its own: nothing else due in it
    onTestFinished(() => own.cleanup());
    const store = await own.open();
    // 5,000 due deliveries to 10 targets, inserted at once: autovacuum has not analyzed them.
    await own.db.query(
      `INSERT INTO deliveries (delivery_id, webhook_id, kind, event_type, agent_id, target_url, payload, status, next_attempt_at, created_at, updated_at)
       SELECT 'dlv_plan_' || i, 'msg_plan_' || i, 'task.delivery', 'TASK', 'plan-agent', 'http://127.0.0.1:' || (20000 + i % 10) || '/t', '{}', 'pending', ${T0} + i, 'x', 'x'
       FROM generate_series(1, 5000) AS i`,
    );
    const c = new pg.Client({ connectionString: PG_BASE_URL, options: `-c search_path=${own.db.schema}` });
    await c.connect();
    try {
      for (const skip of [false, true]) {
        await c.query(BEGIN_ORDERED_WALK_SQL);
        const args = skip ? [T0 + 10_000, 4, 'A', T0 + 60_000, ['http://127.0.0.1:20001/']] : [T0 + 10_000, 4, 'A', T0 + 60_000];
        const plan = (await c.query(`EXPLAIN ${claimSql(skip)}`, args)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
        await c.query('ROLLBACK');
        expect(plan, plan).toContain('Index Scan using deliveries_due on deliveries d');
        expect(plan, plan).not.toMatch(/Bitmap|Sort Key: d\.next_attempt_at/);
      }
    } finally {
      await c.end();
    }
    const claimed = await store.claimDeliveries(T0 + 10_000, 4, 'A', T0 + 60_000, ['http://127.0.0.1:20001/']);
    expect(claimed.map((d) => d.deliveryId)).toEqual(['dlv_plan_2', 'dlv_plan_3', 'dlv_plan_4', 'dlv_plan_5']);
  });

  it("when another transaction holds a task's lock, then recording its delivery's success waits for it before locking the delivery (deregistration's lock order)", async () => {
    const own = await postgresHarness(); // a schema of its own: the claim below finds only this task's delivery
    onTestFinished(() => own.cleanup());
    const store = await own.open();
    await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agent('lock-order'), candidateSecret: 's', rotateSecret: false, notification: null, now: iso(T0) });
    const t = task('lock-order', 'lock-order-1');
    const delivery = taskDelivery(t);
    await store.createTask({ task: t, delivery: () => delivery, idempotencyKey: null, requestHash: '' });
    expect(await store.claimDeliveries(T0, 1, 'A', T0 + 60_000)).toHaveLength(1);
    const connect = async () => {
      const c = new pg.Client({ connectionString: PG_BASE_URL, options: `-c search_path=${own.db.schema}` });
      await c.connect();
      return c;
    };
    const [holder, prober] = [await connect(), await connect()];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM tasks WHERE task_id = $1 FOR UPDATE', [t.taskId]);
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const recording = store.recordAttempt(delivery.deliveryId, 'A', { attempt: 1, at: iso(T0 + 5), statusCode: 202, latencyMs: 5, error: null }, { outcome: 'succeeded' }, () => null);
      // Wait until the recording statement is blocked by the holder.
      for (let i = 0; ; i++) {
        const waiting = await prober.query('SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [holderPid]);
        if (waiting.rowCount! > 0) break;
        if (i > 500) throw new Error('the recording statement never waited for the task lock');
        await new Promise((r) => setTimeout(r, 10));
      }
      // It waits holding nothing on the delivery: another transaction can lock it without waiting.
      await prober.query('BEGIN');
      await expect(prober.query('SELECT 1 FROM deliveries WHERE delivery_id = $1 FOR UPDATE NOWAIT', [delivery.deliveryId])).resolves.toMatchObject({ rowCount: 1 });
      await prober.query('ROLLBACK');
      await holder.query('COMMIT');
      await recording;
      expect(await store.getDelivery(delivery.deliveryId)).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(await store.getTask(t.taskId)).toMatchObject({ status: 'delivered', deliveredAt: iso(T0 + 5) });
    } finally {
      await holder.end();
      await prober.end();
    }
  });

  it('when the same new agent registers through two processes at once, then exactly one call creates it', async () => {
    const [a, b] = [await h.open(), await h.open()];
    for (let round = 0; round < 10; round++) {
      const id = `twin-${round}`;
      const results = await Promise.all(
        [a, b].map((s, i) => s.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent: agent(id), candidateSecret: `secret-${i}`, rotateSecret: false, notification: lifecycle(id, 'REGISTER'), now: iso(T0) })),
      );
      expect(results.map((r) => r!.created).sort()).toEqual([false, true]);
      const creator = results.find((r) => r!.created)!;
      expect(results.find((r) => !r!.created)!.issuedSecret).toBeNull();
      expect((await a.getAgentContact(id))?.secrets.current).toBe(creator.issuedSecret);
    }
  });
});

describe('PostgreSQL store configuration', () => {
  it('when a statement waits longer than the statement timeout, then it fails instead of hanging', async () => {
    const th = await postgresHarness({ statementTimeoutMs: 300 });
    const locker = new pg.Client({ connectionString: PG_BASE_URL });
    try {
      const store = await th.open();
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${th.db.schema}".agents IN ACCESS EXCLUSIVE MODE`);
      const started = Date.now();
      await expect(store.getAgent('a1')).rejects.toMatchObject({ code: '57014' });
      expect(Date.now() - started).toBeLessThan(5000);
      await locker.query('ROLLBACK');
      await expect(store.getAgent('a1')).resolves.toBeNull();
    } finally {
      await locker.end();
      await th.cleanup();
    }
  });

  it('when the server cannot be reached, then ping and openStore fail (so /readyz answers 503 and start fails)', async () => {
    const store = new PostgresStore({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 2000 });
    await expect(store.ping()).rejects.toThrow();
    await store.close();
    await expect(openStore({ database: 'postgres://postgres@127.0.0.1:1/test', sqliteSynchronous: 'NORMAL' })).rejects.toThrow();
  });

  it('when openStore gets a postgres:// or postgresql:// URL, then it opens a migrated PostgreSQL store in the named schema', async () => {
    const db = await freshSchema('agentkit_open');
    try {
      for (const url of [db.url, db.url.replace(/^postgres:/, 'postgresql:')]) {
        const store = await openStore({ ...loadConfig({ AGENTKIT_API_KEYS: 'k', AGENTKIT_DB: url, AGENTKIT_PG_POOL_SIZE: '2' }) });
        expect(store).toBeInstanceOf(PostgresStore);
        await store.ping();
        await store.close();
      }
      expect(await db.query('SELECT version FROM schema_migrations')).toHaveLength(postgresMigrations.length);
    } finally {
      await db.drop();
    }
  });

  it('when the URL names a schema, then it is taken from ?schema= or from options=-c search_path=', () => {
    expect(parsePostgresUrl('postgres://u:p@h:5432/db?schema=run_1&sslmode=disable')).toEqual({
      connectionString: 'postgres://u:p@h:5432/db?sslmode=disable',
      schema: 'run_1',
      options: '-c search_path=run_1',
    });
    expect(parsePostgresUrl('postgresql://h/db?options=-c%20search_path%3Dother%2Cpublic')).toMatchObject({ schema: 'other', options: '-c search_path=other,public' });
    expect(parsePostgresUrl('postgres://h/db')).toMatchObject({ schema: null, options: undefined });
    expect(() => parsePostgresUrl('postgres://h/db?schema=bad;name')).toThrow(ConfigError);
    expect(redactUrl('postgres://user:secret@h/db')).toBe('postgres://user:***@h/db');
  });

  it('when the pool, statement timeout and lease are configured, then the config carries them and checks them', () => {
    const defaults = loadConfig({ AGENTKIT_API_KEYS: 'k' });
    expect(defaults).toMatchObject({ pgPoolSize: 10, pgStatementTimeoutMs: 30_000, leaseMs: 40_000 });
    expect(loadConfig({ AGENTKIT_API_KEYS: 'k', AGENTKIT_DELIVERY_TIMEOUT_MS: '2000' }).leaseMs).toBe(32_000);
    expect(loadConfig({ AGENTKIT_API_KEYS: 'k', AGENTKIT_PG_POOL_SIZE: '3', AGENTKIT_PG_STATEMENT_TIMEOUT_MS: '0', AGENTKIT_LEASE_MS: '15000' })).toMatchObject({
      pgPoolSize: 3,
      pgStatementTimeoutMs: 0,
      leaseMs: 15_000,
    });
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'k', AGENTKIT_PG_POOL_SIZE: '0' })).toThrow(/AGENTKIT_PG_POOL_SIZE/);
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'k', AGENTKIT_LEASE_MS: '5000' })).toThrow(/AGENTKIT_LEASE_MS.*AGENTKIT_DELIVERY_TIMEOUT_MS/);
  });
});
