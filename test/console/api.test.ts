// The API operations the console reads (issue 14), over HTTP: who a credential is, the statistics'
// ETag, a task's deliveries and events, and the recovery's refusals (problem+json, never 5xx).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registration, startService, type TestService } from '../support/service.js';

const KEYS = { admin: 'api-admin-key', dispatcher: 'api-dispatcher-key' };
let ak: TestService;

beforeAll(async () => {
  ak = await startService({ AGENTKIT_API_KEYS: `admin:${KEYS.admin},dispatcher:${KEYS.dispatcher}` });
});
afterAll(async () => {
  await ak?.stop();
});

const call = async (key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${ak.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', etag: res.headers.get('etag'), json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
};

describe('GET /v1/whoami', () => {
  it('when each kind of key asks, then its role; an agentToken names its agent', async () => {
    expect((await call(KEYS.admin, 'GET', '/v1/whoami')).json).toEqual({ role: 'admin', agentId: null });
    expect((await call(KEYS.dispatcher, 'GET', '/v1/whoami')).json).toEqual({ role: 'dispatcher', agentId: null });
    const reg = await call(KEYS.admin, 'POST', '/v1/agents', registration({ agentId: 'who-1' }));
    expect((await call(reg.json!.agentToken as string, 'GET', '/v1/whoami')).json).toEqual({ role: 'agent', agentId: 'who-1' });
    const wrong = await call('nope', 'GET', '/v1/whoami');
    expect(wrong.status).toBe(401);
    expect(wrong.type).toContain('application/problem+json');
  });
});

describe('GET /v1/statistics', () => {
  it('when asked again with the ETag, then 304 until something changes', async () => {
    const first = await call(KEYS.dispatcher, 'GET', '/v1/statistics');
    expect(first.status).toBe(200);
    expect(first.etag).toMatch(/^"[\w-]+"$/);
    expect(first.json!.endedPerMinute).toHaveLength(60);
    expect((await call(KEYS.dispatcher, 'GET', '/v1/statistics', undefined, { 'If-None-Match': first.etag! })).status).toBe(304);
    await call(KEYS.admin, 'POST', '/v1/agents', registration({ agentId: 'stats-1' }));
    const changed = await call(KEYS.dispatcher, 'GET', '/v1/statistics', undefined, { 'If-None-Match': first.etag! });
    expect(changed.status).toBe(200);
    expect(changed.etag).not.toBe(first.etag);
  });
});

describe('GET /v1/tasks/{taskId}/deliveries', () => {
  it("when a task's deliveries are read, then its delivery; an unknown task is 404", async () => {
    await call(KEYS.admin, 'POST', '/v1/agents', registration({ agentId: 'deliv-1' }));
    const task = await call(KEYS.dispatcher, 'POST', '/v1/agents/deliv-1/run', { task_name: 'echo', parameters: {} });
    const list = await call(KEYS.dispatcher, 'GET', `/v1/tasks/${task.json!.taskId as string}/deliveries`);
    expect(list.status).toBe(200);
    expect((list.json!.items as Array<{ kind: string }>).map((d) => d.kind)).toEqual(['task.delivery']);
    const unknown = await call(KEYS.dispatcher, 'GET', '/v1/tasks/01a231b4-4200-7352-9d3e-262e140c2ce6/deliveries');
    expect(unknown.status).toBe(404);
    expect(unknown.type).toContain('application/problem+json');
  });
});

describe('GET /v1/tasks/{taskId}/events', () => {
  it("when the agent reports on its task, then the task's events list each report that changed something, oldest first, and sum up the heartbeats; its own agent may read them, another may not", async () => {
    const mine = await call(KEYS.admin, 'POST', '/v1/agents', registration({ agentId: 'events-1' }));
    const other = await call(KEYS.admin, 'POST', '/v1/agents', registration({ agentId: 'events-2' }));
    const task = await call(KEYS.dispatcher, 'POST', '/v1/agents/events-1/run', { task_name: 'echo', parameters: {} });
    const taskId = task.json!.taskId as string;
    const token = mine.json!.agentToken as string;
    for (const report of [{ status: 'running' }, { status: 'running' }, { status: 'running', progress: 40, message: 'reading' }, { status: 'running', progress: 40 }, { status: 'finished', result: 1 }]) {
      expect((await call(token, 'POST', `/v1/tasks/${taskId}/reports`, report)).status).toBe(200);
    }

    const events = await call(KEYS.dispatcher, 'GET', `/v1/tasks/${taskId}/events`);
    expect(events.status).toBe(200);
    const items = events.json!.items as Array<Record<string, unknown>>;
    expect(items.map((e) => [e.kind, e.source, e.progress, e.message])).toEqual([
      ['dispatched', 'client', null, null],
      ['running', 'agent', null, null],
      ['progress', 'agent', 40, 'reading'],
      ['finished', 'agent', 100, 'reading'],
    ]);
    expect(events.json!.nextCursor).toBeNull();
    expect(events.json!.heartbeats).toEqual({ count: 5, lastAt: (await call(KEYS.dispatcher, 'GET', `/v1/tasks/${taskId}`)).json!.lastHeartbeatAt });

    expect((await call(token, 'GET', `/v1/tasks/${taskId}/events`)).status).toBe(200);
    const forbidden = await call(other.json!.agentToken as string, 'GET', `/v1/tasks/${taskId}/events`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.type).toContain('application/problem+json');
    const paged = await call(KEYS.dispatcher, 'GET', `/v1/tasks/${taskId}/events?limit=3`);
    expect((paged.json!.items as unknown[]).length).toBe(3);
    const rest = await call(KEYS.dispatcher, 'GET', `/v1/tasks/${taskId}/events?limit=3&cursor=${paged.json!.nextCursor as string}`);
    expect((rest.json!.items as Array<{ kind: string }>).map((e) => e.kind)).toEqual(['finished']);
    expect((await call(KEYS.dispatcher, 'GET', `/v1/tasks/${taskId}/events?cursor=bm9wZQ`)).status).toBe(400);
    const unknown = await call(KEYS.dispatcher, 'GET', '/v1/tasks/01a231b4-4200-7352-9d3e-262e140c2ce6/events');
    expect(unknown.status).toBe(404);
    expect(unknown.type).toContain('application/problem+json');
  });
});

describe('GET /v1/tasks?createdAfter=&createdBefore=', () => {
  it('when tasks are filtered by dispatch time, then only those in the range; a time that is not a date-time is 400', async () => {
    await call(KEYS.admin, 'POST', '/v1/agents', registration({ agentId: 'time-1' }));
    const before = new Date().toISOString();
    const task = await call(KEYS.dispatcher, 'POST', '/v1/agents/time-1/run', { task_name: 'echo', parameters: {} });
    const since = await call(KEYS.dispatcher, 'GET', `/v1/tasks?agentId=time-1&createdAfter=${encodeURIComponent(before)}`);
    expect((since.json!.items as Array<{ taskId: string }>).map((t) => t.taskId)).toEqual([task.json!.taskId]);
    const earlier = await call(KEYS.dispatcher, 'GET', `/v1/tasks?agentId=time-1&createdBefore=${encodeURIComponent(before)}`);
    expect(earlier.json!.items).toEqual([]);
    const bad = await call(KEYS.dispatcher, 'GET', '/v1/tasks?createdAfter=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
  });
});

describe('POST /v1/webhook-deliveries/recover', () => {
  it('when until is not after since, then 400 problem+json; when since is still to come, then nothing is requeued', async () => {
    const bad = await call(KEYS.dispatcher, 'POST', '/v1/webhook-deliveries/recover', { since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' });
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    expect(bad.json!.detail).toContain('must be later than since');
    expect((await call(KEYS.dispatcher, 'POST', '/v1/webhook-deliveries/recover', { since: 'yesterday' })).status).toBe(400);
    expect((await call(KEYS.dispatcher, 'POST', '/v1/webhook-deliveries/recover', { since: '2026-01-01T00:00:00Z', extra: 1 })).status).toBe(400);
    const future = await call(KEYS.dispatcher, 'POST', '/v1/webhook-deliveries/recover', { since: '2999-01-01T00:00:00Z' });
    expect(future).toMatchObject({ status: 202, json: { requeued: 0, deliveryIds: [] } });
  });
});
