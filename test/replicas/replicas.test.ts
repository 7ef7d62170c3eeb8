import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, Receiver } from '../support/receiver.js';
import { startReplicas, type Replicas } from '../support/replicas.js';
import { FakeAgent } from './fake-agent.js';

/**
 * Several AgentKit processes on one PostgreSQL schema, as replicas behind a load
 * balancer without stickiness: every call goes to the next replica, round-robin.
 */

const API_KEY = 'replica-test-key';
const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const AGENTS = 200;
const TASKS = 1000;
/** Agents whose chain is REGISTER, DEREGISTER, REGISTER, each call through another replica. */
const REREGISTERED = 50;
const CONCURRENCY = 16;

let cluster: Replicas | null = null;
let opsCore: Receiver | null = null;
let agent: FakeAgent | null = null;

afterEach(async () => {
  await agent?.stop();
  await cluster?.stop();
  await opsCore?.stop();
  cluster = opsCore = agent = null;
});

function env(opsCoreUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AGENTKIT_API_KEYS: API_KEY,
    AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1',
    OPSCORE_WEBHOOK_URL: `${opsCoreUrl}/v1/opscore/internal/agent/notify`,
    OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    AGENTKIT_WEBHOOK_RETRY_SCHEDULE: '0,0.05,0.05,0.1,0.2,0.5,1,1,1,1,1,1,1,1,1',
    AGENTKIT_TASK_RETRY_SCHEDULE: '0,0.05,0.1,0.2,0.5,1,1,1,1,1,1,1,1,1,1,1,1',
    AGENTKIT_VALIDATE_RESPONSES: 'false',
    AGENTKIT_PG_POOL_SIZE: '5',
    ...extra,
  };
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as Record<string, unknown> | null };
}

/** Runs `fn` over 0..n-1 with at most `limit` calls in flight. */
async function inParallel(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** Ops-Core that refuses the first attempt of about a quarter of the webhooks (503), so retries and order mix. */
function startOpsCore(): Promise<Receiver> {
  const refusedOnce = new Set<string>();
  const answers: number[] = [];
  const receiver = new Receiver();
  let hang = false;
  receiver.answer((req, index) => {
    if (hang) return 'hang';
    const id = req.headers['webhook-id'] ?? '';
    const flaky = createHash('sha256').update(id).digest()[0]! % 4 === 0;
    const status = flaky && !refusedOnce.has(id) ? 503 : 200;
    if (status === 503) refusedOnce.add(id);
    answers[index] = status;
    return { status };
  });
  Object.assign(receiver, { answers, setHang: (on: boolean) => (hang = on) });
  return receiver.start();
}
const answersOf = (r: Receiver) => (r as unknown as { answers: number[] }).answers;
const setHang = (r: Receiver, on: boolean) => (r as unknown as { setHang: (on: boolean) => void }).setHang(on);

const registration = (agentId: string, contactEndpoint: string) => ({
  agentId,
  agentName: agentId,
  version: '1.0.0',
  capabilities: ['echo'],
  contactEndpoint,
  metadata: { test: 'replicas' },
});

/**
 * Registers AGENTS agents round-robin over the replicas; the first REREGISTERED of them then
 * leave and come back, each call through the next replica. Returns each agent's expected events.
 */
async function registerAll(urls: () => string[], endpoint: string, prefix: string): Promise<Map<string, string[]>> {
  const expected = new Map<string, string[]>();
  await inParallel(AGENTS, CONCURRENCY, async (i) => {
    const id = `${prefix}-${i}`;
    const at = (step: number) => urls()[(i + step) % urls().length]!;
    const events: string[] = [];
    const first = await call(at(0), 'POST', '/v1/agents', registration(id, endpoint));
    expect(first.status).toBe(201);
    events.push('REGISTER');
    if (i < REREGISTERED) {
      expect((await call(at(1), 'DELETE', `/v1/agents/${id}`)).status).toBe(204);
      events.push('DEREGISTER');
      expect((await call(at(2), 'POST', '/v1/agents', registration(id, endpoint))).status).toBe(201);
      events.push('REGISTER');
    }
    expected.set(id, events);
  });
  return expected;
}

/**
 * Checks what Ops-Core received: every expected event arrived and was accepted, each with
 * its own webhook-id, and per agent in call order, each event first sent only after the
 * previous one was accepted.
 */
function checkLifecycle(received: Receiver, expected: Map<string, string[]>): void {
  const answers = answersOf(received);
  const perAgent = new Map<string, { id: string; type: string; first: number; accepted: number[] }[]>();
  received.requests.forEach((r, index) => {
    const body = r.json as { event_type: string; agent_details: { agentId: string } };
    const agentId = body.agent_details.agentId;
    if (!expected.has(agentId)) return;
    const list = perAgent.get(agentId) ?? [];
    let entry = list.find((e) => e.id === r.headers['webhook-id']);
    if (!entry) {
      entry = { id: r.headers['webhook-id']!, type: body.event_type, first: index, accepted: [] };
      list.push(entry);
    }
    if (answers[index] === 200) entry.accepted.push(index);
    perAgent.set(agentId, list);
  });
  const allIds = new Set<string>();
  for (const [agentId, events] of expected) {
    const got = perAgent.get(agentId) ?? [];
    expect(got.map((e) => e.type), `events of ${agentId}`).toEqual(events);
    for (const e of got) {
      allIds.add(e.id);
      expect(e.accepted.length, `accepted deliveries of ${e.id}`).toBeGreaterThanOrEqual(1);
    }
    for (let k = 1; k < got.length; k++) {
      expect(got[k]!.first, `${agentId}: ${got[k]!.type} sent before ${got[k - 1]!.type} was accepted`).toBeGreaterThan(got[k - 1]!.accepted[0]!);
    }
  }
  expect(allIds.size).toBe([...expected.values()].reduce((n, e) => n + e.length, 0));
}

interface Dispatched {
  key: string;
  taskId: string;
}

/** Dispatches task `i` to the next live replica; a replica that fails is skipped and the same Idempotency-Key sent to the next. */
async function dispatch(i: number, urls: () => string[], agentId: string): Promise<Dispatched> {
  const key = `task-key-${i}`;
  const res = await withFailover(i, urls, (base) => call(base, 'POST', `/v1/agents/${agentId}/run`, { task_name: 'echo', parameters: { i } }, { 'idempotency-key': key }));
  if (res.status !== 202) throw new Error(`dispatch ${i}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
  return { key, taskId: String(res.json!.taskId) };
}

/**
 * What a client behind a load balancer does: a call that fails on the network or with a 5xx
 * goes again to the next live replica (safe: dispatch carries an Idempotency-Key, and
 * registration is an upsert by agentId).
 */
async function withFailover(i: number, urls: () => string[], fn: (base: string) => ReturnType<typeof call>): ReturnType<typeof call> {
  let last: unknown;
  for (let tries = 0; tries < 10; tries++) {
    const live = urls();
    try {
      const res = await fn(live[(i + tries) % live.length]!);
      if (res.status < 500) return res;
      last = new Error(`HTTP ${res.status} ${JSON.stringify(res.json)}`);
    } catch (err) {
      last = err; // the replica went away mid-call
    }
  }
  throw new Error(`call ${i}: no replica answered: ${String(last)}`);
}

function countBy(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}

async function statusCounts(c: Replicas, table: 'tasks' | 'deliveries'): Promise<Record<string, number>> {
  const rows = await c.db.query<{ k: string; n: string }>(
    table === 'tasks' ? 'SELECT status AS k, COUNT(*) AS n FROM tasks GROUP BY status' : "SELECT kind || ':' || status AS k, COUNT(*) AS n FROM deliveries GROUP BY kind, status",
  );
  return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
}

async function waitAllFinished(c: Replicas, total: number, timeoutMs: number): Promise<void> {
  await eventually(async () => ((await statusCounts(c, 'tasks')).finished === total ? true : undefined), timeoutMs, `${total} finished tasks`);
}

async function deliveryAttemptsOf(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('agentkit_delivery_attempts_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

const t0 = Date.now();
const phase = (name: string) => process.env.REPLICAS_TIMING && console.log(`[replicas] ${name} at ${Date.now() - t0} ms`);

describe('AgentKit replicas on one PostgreSQL database', () => {
  it('when two processes share the database, then 200 registrations and 1,000 tasks spread over both are each delivered by one process at a time, in order, and finished', { timeout: 120_000 }, async () => {
    opsCore = await startOpsCore();
    cluster = await startReplicas(2, env(opsCore.url, { AGENTKIT_DELIVERY_TIMEOUT_MS: '5000', AGENTKIT_LEASE_MS: '20000' }));
    const c = cluster;
    const urls = () => c.urls;
    agent = await new FakeAgent([...c.urls], API_KEY).start();
    const fake = agent;

    phase('started');
    const expected = await registerAll(urls, `${fake.url}/tasks`, 'two');
    phase('registered');
    const agentIds = [...expected.keys()].sort();
    const tasks: Dispatched[] = [];
    await inParallel(TASKS, CONCURRENCY, async (i) => {
      tasks[i] = await dispatch(i, urls, agentIds[i % agentIds.length]!);
    });

    phase('dispatched');
    // The same key through the other replica: the same task; with another body: refused.
    for (let i = 0; i < 20; i++) {
      const again = await call(c.urls[(i + 1) % 2]!, 'POST', `/v1/agents/${agentIds[i % agentIds.length]}/run`, { task_name: 'echo', parameters: { i } }, { 'idempotency-key': tasks[i]!.key });
      expect(again.status).toBe(202);
      expect(again.json!.taskId).toBe(tasks[i]!.taskId);
    }
    const clash = await call(c.urls[1]!, 'POST', `/v1/agents/${agentIds[0]}/run`, { task_name: 'other' }, { 'idempotency-key': tasks[0]!.key });
    expect([409, 422]).toContain(clash.status);

    await waitAllFinished(c, TASKS, 90_000);
    phase('finished');
    await opsCore.waitFor(() => answersOf(opsCore!).filter((s) => s === 200).length >= AGENTS + 2 * REREGISTERED, 30_000, 'every lifecycle webhook accepted');

    expect(new Set(tasks.map((t) => t.taskId)).size).toBe(TASKS);
    expect(await c.db.query('SELECT COUNT(*)::int AS n FROM tasks')).toEqual([{ n: TASKS }]);
    expect(new Set(fake.deliveries.map((d) => d.taskId))).toEqual(new Set(tasks.map((t) => t.taskId)));
    expect(await statusCounts(c, 'deliveries')).toEqual({ 'agent.lifecycle:succeeded': AGENTS + 2 * REREGISTERED, 'task.delivery:succeeded': TASKS });
    checkLifecycle(opsCore, expected);
    // One process at a time: no request went out that its sender did not record (a second
    // sender's attempt would be dropped by recordAttempt, leaving more receipts than attempts).
    const receipts = countBy([...fake.deliveries.map((d) => d.webhookId), ...opsCore.requests.map((r) => r.headers['webhook-id']!)]);
    const logged = await c.db.query<{ webhook_id: string; attempts: number }>('SELECT webhook_id, attempts FROM deliveries');
    expect(logged).toHaveLength(TASKS + AGENTS + 2 * REREGISTERED);
    expect(logged.filter((r) => (receipts.get(r.webhook_id) ?? 0) > r.attempts)).toEqual([]);
    expect(logged.filter((r) => (receipts.get(r.webhook_id) ?? 0) === 0)).toEqual([]);
    for (const url of c.urls) expect(await deliveryAttemptsOf(url), `delivery attempts made by ${url}`).toBeGreaterThan(0);
  });

  it('when one of three processes is SIGKILLed mid-run, then the others take its deliveries over and nothing is lost', { timeout: 150_000 }, async () => {
    opsCore = await startOpsCore();
    // Short lease so that the killed process's deliveries are taken over quickly.
    cluster = await startReplicas(3, env(opsCore.url, { AGENTKIT_DELIVERY_TIMEOUT_MS: '3000', AGENTKIT_LEASE_MS: '4000' }));
    const c = cluster;
    const live = [...c.urls];
    const urls = () => live;
    agent = await new FakeAgent(live, API_KEY).start();
    const fake = agent;

    phase('started 3');
    const expected = await registerAll(urls, `${fake.url}/tasks`, 'three');
    phase('registered 3');
    await opsCore.waitFor(() => answersOf(opsCore!).filter((s) => s === 200).length >= AGENTS + 2 * REREGISTERED, 30_000, 'every lifecycle webhook accepted');
    const agentIds = [...expected.keys()].sort();
    const tasks: Dispatched[] = [];
    const dispatchRange = (from: number, to: number) =>
      inParallel(to - from, CONCURRENCY, async (k) => {
        const i = from + k;
        tasks[i] = await dispatch(i, urls, agentIds[i % agentIds.length]!);
      });

    await dispatchRange(0, 400);
    phase('dispatched 400');
    // Agent and Ops-Core stop answering: deliveries pile up in flight, leased by all three.
    fake.hang(true);
    setHang(opsCore, true);
    const lateAgents = Array.from({ length: 20 }, (_, i) => `late-${i}`);
    const lateRegistered = Promise.all(lateAgents.map((id, i) => withFailover(i, urls, (base) => call(base, 'POST', '/v1/agents', registration(id, `${fake.url}/tasks`)))));
    const during = dispatchRange(400, 600);
    // Every process has task deliveries hanging at the agent: received there, and leased by it
    // (each sends at most its per-target share). A delivery leased but not yet received would
    // leave the agent nothing to see cut when its sender is killed.
    await eventually(async () => {
      const hanging = fake.hangingTaskIds;
      if (hanging.length < 6) return undefined;
      const owners = await c.db.query(
        "SELECT DISTINCT lease_owner FROM deliveries WHERE status = 'pending' AND kind = 'task.delivery' AND lease_owner IS NOT NULL AND task_id = ANY($1)",
        [hanging],
      );
      return owners.length === 3 ? true : undefined;
    }, 30_000, 'deliveries hanging at the agent from all three processes');
    const victim = c.processes[2]!;
    live.splice(live.indexOf(victim.url), 1);
    await victim.kill('SIGKILL');
    phase('killed');
    // Its unanswered deliveries show up as cut connections (before the others get answers).
    await eventually(() => (fake.cut.length > 0 ? true : undefined), 10_000, 'the killed process\'s deliveries to be cut');
    fake.hang(false);
    setHang(opsCore, false);
    // 201, or 200 when a call cut by the kill had already committed and the retry updated it.
    for (const r of await lateRegistered) expect([200, 201]).toContain(r.status);
    await during;
    await dispatchRange(600, TASKS);

    phase('dispatched all');
    await waitAllFinished(c, TASKS, 100_000);
    phase('all finished');
    // A delivery the killed process had in flight can have reached the agent (its task is then
    // finished) while its row stays leased to the dead process until the lease lapses and
    // another process takes it over: wait for that too, not only for the lifecycle webhooks.
    const nothingPending = async () => {
      const counts = await statusCounts(c, 'deliveries');
      return Object.keys(counts).some((k) => k.endsWith(':pending')) ? undefined : counts;
    };
    const counts = await eventually(nothingPending, 30_000, 'every delivery done (the killed process\'s leases taken over)');

    expect(new Set(tasks.map((t) => t.taskId)).size).toBe(TASKS);
    expect(await c.db.query('SELECT COUNT(*)::int AS n FROM tasks')).toEqual([{ n: TASKS }]);
    expect(new Set(fake.deliveries.map((d) => d.taskId))).toEqual(new Set(tasks.map((t) => t.taskId)));
    expect(Object.keys(counts).sort()).toEqual(['agent.lifecycle:succeeded', 'task.delivery:succeeded']);
    expect(counts['task.delivery:succeeded']).toBe(TASKS);
    expect(counts['agent.lifecycle:succeeded']).toBeGreaterThanOrEqual(AGENTS + 2 * REREGISTERED + lateAgents.length);

    // The killed process had deliveries in flight (their connections were cut); it never
    // recorded those attempts, so the agent saw more requests than the log holds: taken over.
    const receipts = countBy(fake.deliveries.map((d) => d.webhookId));
    const logged = await c.db.query<{ webhook_id: string; attempts: number }>(
      "SELECT webhook_id, attempts FROM deliveries WHERE kind = 'task.delivery' AND task_id = ANY($1)",
      [fake.cut],
    );
    expect(logged.filter((r) => (receipts.get(r.webhook_id) ?? 0) > r.attempts).length).toBeGreaterThan(0);

    // Each late agent's REGISTER reached Ops-Core and was accepted.
    const answers = answersOf(opsCore);
    const acceptedLate = new Set(
      opsCore.requests.flatMap((r, index) => {
        const id = (r.json as { agent_details: { agentId: string } }).agent_details.agentId;
        return id.startsWith('late-') && answers[index] === 200 ? [id] : [];
      }),
    );
    expect(acceptedLate).toEqual(new Set(lateAgents));
    checkLifecycle(opsCore, expected);
  });
});
