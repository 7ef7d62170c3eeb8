import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledSpecPath } from '../../src/spec-files.js';
import { eventually, Receiver } from '../support/receiver.js';
import { registration, startService, WEBHOOK_SECRET, type TestService } from '../support/service.js';

/**
 * The role table: every operation in the spec, called with every kind of credential. What each
 * may do comes from the spec's `security` scopes alone, so the test fails if the server and the
 * spec disagree. An agent's credential acts only for its own agent (agent B on agent A's things:
 * 403), and a registration key only registers new agents.
 */

const KEYS = { admin: 'role-admin-key', dispatcher: 'role-dispatcher-key', registration: 'role-registration-key' };

interface Operation {
  id: string;
  method: string;
  path: string;
  /** The roles the spec lets call it; null: no authentication. */
  roles: string[] | null;
}

function specOperations(): Operation[] {
  const spec = JSON.parse(readFileSync(bundledSpecPath('agentkit').replace(/\.yaml$/, '.json'), 'utf8')) as {
    security?: Array<Record<string, string[]>>;
    paths: Record<string, Record<string, { operationId?: string; security?: Array<Record<string, string[]>> }>>;
  };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!op.operationId) continue;
      const security = op.security ?? spec.security ?? [];
      ops.push({ id: op.operationId, method: method.toUpperCase(), path, roles: security.length === 0 ? null : security.flatMap((s) => s.bearerAuth ?? []) });
    }
  }
  return ops;
}

/** A's things, made fresh for each call (a call may deregister A or end its task). */
interface World {
  a: string;
  b: string;
  aToken: string;
  bToken: string;
  taskId: string;
  deliveryId: string;
}

let ak: TestService;
let sink: Receiver;
let n = 0;

async function admin<T>(path: string, method: string, body?: unknown): Promise<T> {
  const res = await fetch(`${ak.url}${path}`, { method, headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function world(): Promise<World> {
  n += 1;
  const a = `role-a-${n}`;
  const b = `role-b-${n}`;
  const ra = await admin<{ agentToken: string; registerDeliveryId: string }>('/v1/agents', 'POST', registration({ agentId: a, contactEndpoint: `${sink.url}/a` }));
  const rb = await admin<{ agentToken: string }>('/v1/agents', 'POST', registration({ agentId: b, contactEndpoint: `${sink.url}/b` }));
  const task = await admin<{ taskId: string }>(`/v1/agents/${a}/run`, 'POST', { task_name: 'echo', parameters: {} });
  // Redelivery needs a delivery that is no longer pending.
  await eventually(async () => ((await admin<{ status: string }>(`/v1/webhook-deliveries/${ra.registerDeliveryId}`, 'GET')).status !== 'pending' ? true : undefined), 10_000, 'the REGISTER delivery');
  return { a, b, aToken: ra.agentToken, bToken: rb.agentToken, taskId: task.taskId, deliveryId: ra.registerDeliveryId };
}

/** A valid request for each operation, aimed at agent A's things. */
function request(op: Operation, w: World, asRegistrationKey: boolean): { path: string; body?: unknown } {
  const fill = (p: string) => p.replace('{agentId}', w.a).replace('{taskId}', w.taskId).replace('{deliveryId}', w.deliveryId);
  switch (op.id) {
    case 'registerAgent':
    case 'registerAgentCompat':
      // A registration key may register only a new id: give it one (taking A's is checked apart).
      return { path: op.path, body: registration({ agentId: asRegistrationKey ? `${w.a}-new` : w.a, contactEndpoint: `${sink.url}/a` }) };
    case 'dispatchTask':
      return { path: fill(op.path), body: { task_name: 'echo', parameters: {} } };
    case 'reportTaskProgress':
      return { path: fill(op.path), body: { status: 'running' } };
    case 'redeliverFailedWebhookDeliveries':
      return { path: op.path, body: { since: '2020-01-01T00:00:00Z' } };
    case 'cancelTask':
    case 'rotateSigningSecret':
    case 'rotateAgentToken':
      return { path: fill(op.path), body: {} };
    default:
      if (op.method === 'GET' || op.method === 'DELETE' || op.id === 'redeliverWebhookDelivery') return { path: fill(op.path) };
      throw new Error(`the role table has no request for ${op.id}: add one`);
  }
}

type Credential = 'admin' | 'dispatcher' | 'registration key' | "agent A's" | "agent B's" | 'none' | 'wrong';
const CREDENTIALS: Credential[] = ['admin', 'dispatcher', 'registration key', "agent A's", "agent B's", 'none', 'wrong'];

function bearer(c: Credential, w: World): string | null {
  if (c === 'admin') return KEYS.admin;
  if (c === 'dispatcher') return KEYS.dispatcher;
  if (c === 'registration key') return KEYS.registration;
  if (c === "agent A's") return w.aToken;
  if (c === "agent B's") return w.bToken;
  if (c === 'wrong') return `${w.aToken.slice(0, -4)}AAAA`;
  return null;
}

/** What the spec says the call gets: allowed (any answer but 401/403), 403 or 401. */
function expected(op: Operation, c: Credential): 'allowed' | 403 | 401 {
  if (op.roles === null) return 'allowed';
  if (c === 'none' || c === 'wrong') return 401;
  const role = c === 'admin' ? 'admin' : c === 'dispatcher' ? 'dispatcher' : 'agent';
  if (!op.roles.includes(role)) return 403;
  if (op.id === 'getCredential') return 'allowed'; // every credential may ask who it is
  if (c === "agent B's") return 403; // A's things
  if (c === 'registration key') return op.id === 'registerAgent' || op.id === 'registerAgentCompat' ? 'allowed' : 403;
  return 'allowed';
}

beforeAll(async () => {
  sink = await new Receiver().start();
  ak = await startService({
    AGENTKIT_API_KEYS: `admin:${KEYS.admin},dispatcher:${KEYS.dispatcher},agent:${KEYS.registration}`,
    OPSCORE_WEBHOOK_URL: `${sink.url}/v1/opscore/internal/agent/notify`,
    OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  });
});

afterAll(async () => {
  await ak?.stop();
  await sink?.stop();
});

describe('roles: who may call what', () => {
  it('when every operation is called with every kind of credential, then each gets what the spec declares (2xx, 403 or 401)', async () => {
    const ops = specOperations();
    expect(ops.length).toBeGreaterThanOrEqual(16);
    const wrong: string[] = [];
    for (const op of ops) {
      for (const c of CREDENTIALS) {
        const w = await world();
        const { path, body } = request(op, w, c === 'registration key');
        const token = bearer(c, w);
        const res = await fetch(`${ak.url}${path}`, {
          method: op.method,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        const want = expected(op, c);
        const ok = want === 'allowed' ? res.status >= 200 && res.status < 300 : res.status === want;
        if (!ok) wrong.push(`${op.id} with the ${c} credential: expected ${want}, got ${res.status} ${text.slice(0, 200)}`);
        if (res.status === 401 || res.status === 403) expect(res.headers.get('content-type'), `${op.id} ${c}`).toMatch(/^application\/problem\+json/);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it("when agent B acts on agent A (reports on its task, deregisters it, re-registers its id) or A dispatches, then 403 and nothing changes", async () => {
    const w = await world();
    const call = (token: string, method: string, path: string, body?: unknown) =>
      fetch(`${ak.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

    const report = await call(w.bToken, 'POST', `/v1/tasks/${w.taskId}/reports`, { status: 'finished', result: { forged: true } });
    expect(report.status).toBe(403);
    expect(((await report.json()) as { detail: string }).detail).toMatch(/acts for its own agent only/);
    expect(await admin<{ status: string }>(`/v1/tasks/${w.taskId}`, 'GET')).toMatchObject({ status: 'delivered' });

    expect((await call(w.bToken, 'DELETE', `/v1/agents/${w.a}`)).status).toBe(403);
    expect((await call(w.bToken, 'POST', '/v1/agents', registration({ agentId: w.a, contactEndpoint: `${sink.url}/stolen` }))).status).toBe(403);
    const taken = await call(KEYS.registration, 'POST', '/v1/agents', registration({ agentId: w.a, contactEndpoint: `${sink.url}/stolen` }));
    expect(taken.status).toBe(403);
    expect(((await taken.json()) as { detail: string }).detail).toMatch(/registered already/);
    expect(await admin<{ contactEndpoint: string }>(`/v1/agents/${w.a}`, 'GET')).toMatchObject({ contactEndpoint: `${sink.url}/a` });

    const dispatch = await call(w.aToken, 'POST', `/v1/agents/${w.b}/run`, { task_name: 'echo', parameters: {} });
    expect(dispatch.status).toBe(403);
    expect(((await dispatch.json()) as { detail: string }).detail).toMatch(/role agent; this operation needs one of: admin, dispatcher/);

    // A's own credential does what an agent does for itself.
    expect((await call(w.aToken, 'POST', `/v1/tasks/${w.taskId}/reports`, { status: 'finished', result: { ok: true } })).status).toBe(200);
    expect((await call(w.aToken, 'DELETE', `/v1/agents/${w.a}`)).status).toBe(204);
    // Deregistered: its credential is gone with it.
    expect((await call(w.aToken, 'GET', `/v1/agents/${w.a}`)).status).toBe(401);
  });
});
