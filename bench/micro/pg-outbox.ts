/**
 * The PostgreSQL store's outbox path, in a fresh schema that is dropped afterwards: N dispatches
 * (default 8000, 50 at once); ms per `claimDeliveries` of 4 with that backlog when 0, 5 and 9 of
 * 10 targets are busy (the worker skips those); then the drain, claiming and recording every
 * delivery as a success with 32 in flight.
 * `node --import tsx bench/micro/pg-outbox.ts [backlog]` (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/test);
 * EXPLAIN=1 also prints the claim's plan as the planner picks it, EXPLAIN=ordered as the store runs it.
 */
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { taskDelivery } from '../../src/domain/messages.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { newTask, type TaskRecord } from '../../src/domain/task.js';

const n = Number(process.argv[2] ?? 8000);
const base = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bench_outbox_${process.pid}`;
const url = new URL(base);
url.searchParams.set('schema', schema);
const store = new PostgresStore({ url: url.toString() });
const targets = Array.from({ length: 10 }, (_, i) => `http://127.0.0.1:${20_000 + i}/`);
try {
  await store.migrate();
  const now = new Date();
  for (let i = 0; i < 10; i++) {
    const agent = { agentId: `agent-${i}`, agentName: 'a', version: '1', capabilities: [], contactEndpoint: `${targets[i]}tasks`, metadata: {} };
    await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent, candidateSecret: 'whsec_x', rotateSecret: false, notification: null, now: now.toISOString() });
  }
  const fillStart = performance.now();
  const fillCpu = process.cpuUsage();
  for (let b = 0; b < n / 50; b++) {
    await Promise.all(Array.from({ length: 50 }, async (_, j) => {
      const at = new Date();
      const agentId = `agent-${j % 10}`;
      const task: TaskRecord = newTask({ taskId: uuidv7(), agentId, taskName: 'echo', parameters: { message: 'hello' }, opscoreSessionId: 's', opscoreTaskId: 't', timeoutSeconds: null, opscoreMessage: null }, at.toISOString());
      await store.createTask({ task, delivery: (endpoint) => taskDelivery(task, endpoint, at), idempotencyKey: null, requestHash: '' });
    }));
  }
  const fillMs = performance.now() - fillStart;
  const cpu = process.cpuUsage(fillCpu);
  console.log(`createTask, 50 at once: ${Math.round(n / (fillMs / 1000))} tasks/s, ${((cpu.user + cpu.system) / n).toFixed(0)} µs of this process's CPU per task`);
  if (process.env.EXPLAIN) {
    const c = new pg.Client({ connectionString: base, options: `-c search_path=${schema}` });
    await c.connect();
    const sql = `EXPLAIN (ANALYZE, BUFFERS) SELECT d.seq FROM deliveries d
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1)
           AND (d.order_key IS NULL OR d.seq = (
             SELECT MIN(o.seq) FROM deliveries o WHERE o.order_key = d.order_key AND o.status = 'pending'))
           AND NOT EXISTS (SELECT 1 FROM unnest($2::text[]) s(t) WHERE left(d.target_url || '/', length(s.t)) = s.t)
         ORDER BY d.next_attempt_at, d.seq
         LIMIT 4
         FOR UPDATE OF d SKIP LOCKED`;
    // EXPLAIN=ordered: as the store's claim runs it (see ORDERED_WALK_SQL in the store).
    if (process.env.EXPLAIN === 'ordered') await c.query('SET enable_bitmapscan = off; SET enable_sort = off');
    for (const k of [0, 5]) console.log((await c.query(sql, [Date.now(), targets.slice(0, k)])).rows.map((r) => r['QUERY PLAN']).join('\n'));
    await c.end();
  }
  for (const busyCount of [0, 5, 9]) {
    const busy = targets.slice(0, busyCount);
    const rounds = 50;
    let claimMs = 0;
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const claimed = await store.claimDeliveries(Date.now(), 4, `owner-${busyCount}-${r}`, Date.now() + 60_000, busy);
      claimMs += performance.now() - t0;
      if (claimed.length === 0) throw new Error('nothing claimed');
      await store.releaseLeases(`owner-${busyCount}-${r}`);
    }
    console.log(`${busyCount} of 10 targets busy: ${(claimMs / rounds).toFixed(2)} ms per claim of 4, backlog ${n}`);
  }
  // Drain: claim batches of 4 and record each as a success, 32 in flight (the worker's default).
  const drainStart = performance.now();
  const drainCpu = process.cpuUsage();
  let recorded = 0;
  await Promise.all(Array.from({ length: 8 }, async (_, lane) => {
    for (;;) {
      const owner = `drain-${lane}`;
      const batch = await store.claimDeliveries(Date.now(), 4, owner, Date.now() + 60_000);
      if (batch.length === 0) return;
      await Promise.all(batch.map((d) => store.recordAttempt(d.deliveryId, owner, { attempt: 1, at: new Date().toISOString(), statusCode: 202, latencyMs: 1, error: null }, { outcome: 'succeeded' }, () => null)));
      recorded += batch.length;
    }
  }));
  const drainMs = performance.now() - drainStart;
  const dcpu = process.cpuUsage(drainCpu);
  console.log(`drain, claim of 4 + recordAttempt, 32 in flight: ${Math.round(recorded / (drainMs / 1000))} deliveries/s, ${((dcpu.user + dcpu.system) / recorded).toFixed(0)} µs of this process's CPU per delivery (${recorded} recorded)`);
} finally {
  await store.close();
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
