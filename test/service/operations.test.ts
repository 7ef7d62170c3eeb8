import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../support/receiver.js';
import { registration, startService, type TestService, WEBHOOK_SECRET } from '../support/service.js';

let ak: TestService;
let opsCore: Receiver;

beforeAll(async () => {
  opsCore = await new Receiver().start();
  ak = await startService({
    OPSCORE_WEBHOOK_URL: `${opsCore.url}/v1/opscore/internal/agent/notify`,
    OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  });
});
afterAll(async () => {
  await ak.stop();
  await opsCore.stop();
});

async function raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${ak.url}${path}`, {
    method,
    headers: { authorization: ak.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

function expectProblem(r: { status: number; type: string; body: Record<string, unknown> | null }, status: number) {
  expect(r.status).toBe(status);
  expect(r.type).toMatch(/^application\/problem\+json/);
  expect(r.body).toMatchObject({ status, title: expect.any(String), type: expect.stringMatching(/^urn:agentkit:problem:/) });
}

describe('POST /v1/agents', () => {
  it('when an agent registers for the first time, then 201 with the agent and a signing secret', async () => {
    const { data, response } = await ak.client.POST('/v1/agents', { body: registration({ agentId: 'agent-ops-1' }) });
    expect(response.status).toBe(201);
    expect(data).toMatchObject({ agentId: 'agent-ops-1', agentName: 'test-agent', capabilities: ['echo'], metadata: { team: 'qa' } });
    expect(data?.signingSecret).toMatch(/^whsec_/);
  });

  it('when the same agentId registers again, then 200, updated, and no secret unless rotated', async () => {
    const again = await ak.client.POST('/v1/agents', { body: registration({ agentId: 'agent-ops-1', version: '2.0.0' }) });
    expect(again.response.status).toBe(200);
    expect(again.data?.version).toBe('2.0.0');
    expect(again.data?.signingSecret).toBeUndefined();
    const rotated = await ak.client.POST('/v1/agents', { body: registration({ agentId: 'agent-ops-1', rotateSigningSecret: true }) });
    expect(rotated.response.status).toBe(200);
    expect(rotated.data?.signingSecret).toMatch(/^whsec_/);
  });

  it('when agentId is omitted, then the server assigns a UUID', async () => {
    const { data, response } = await ak.client.POST('/v1/agents', { body: registration() });
    expect(response.status).toBe(201);
    expect(data?.agentId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when the body is invalid, then 400 problem+json listing what is wrong', async () => {
    const r = await raw('POST', '/v1/agents', { version: '1', contactEndpoint: 'ftp://example.org' });
    expectProblem(r, 400);
    expect(JSON.stringify(r.body?.errors)).toMatch(/agentName/);
    expect(JSON.stringify(r.body?.errors)).toMatch(/contactEndpoint/);
  });

  it('when the body is not JSON, then 400; when it is text/plain, then 415', async () => {
    expectProblem(await raw('POST', '/v1/agents', '{"agentName":'), 400);
    expectProblem(await raw('POST', '/v1/agents', 'hello', { 'content-type': 'text/plain' }), 415);
  });

  it('when the body is larger than the limit, then 413', async () => {
    const r = await raw('POST', '/v1/agents', registration({ metadata: { blob: 'x'.repeat(1_100_000) } }));
    expectProblem(r, 413);
  });
});

describe('GET /v1/agents and /v1/agents/{agentId}', () => {
  it('when listing with a small page, then nextCursor walks every agent once', async () => {
    for (let i = 0; i < 5; i++) await ak.client.POST('/v1/agents', { body: registration({ agentId: `page-${i}`, capabilities: ['paged'] }) });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { data } = await ak.client.GET('/v1/agents', { params: { query: { capability: 'paged', limit: 2, ...(cursor ? { cursor } : {}) } } });
      seen.push(...(data?.items.map((a) => a.agentId) ?? []));
      cursor = data?.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  });

  it('when the cursor or limit is malformed, then 400', async () => {
    expectProblem(await raw('GET', '/v1/agents?cursor=!!'), 400);
    expectProblem(await raw('GET', '/v1/agents?cursor=abc'), 400);
    expectProblem(await raw('GET', '/v1/agents?limit=0'), 400);
    expectProblem(await raw('GET', '/v1/agents?limit=many'), 400);
    expectProblem(await raw('GET', '/v1/agents?unknown=1'), 400);
  });

  it('when getting a known agent, then 200; an unknown one, then 404; a malformed id, then 400', async () => {
    expect((await ak.client.GET('/v1/agents/{agentId}', { params: { path: { agentId: 'page-0' } } })).data?.agentId).toBe('page-0');
    expectProblem(await raw('GET', '/v1/agents/nobody'), 404);
    expectProblem(await raw('GET', `/v1/agents/${encodeURIComponent('bad id!')}`), 400);
  });
});

describe('DELETE /v1/agents/{agentId}', () => {
  it('when deregistering, then 204 and the agent is gone; again, then 404', async () => {
    await ak.client.POST('/v1/agents', { body: registration({ agentId: 'leaving' }) });
    const { response } = await ak.client.DELETE('/v1/agents/{agentId}', { params: { path: { agentId: 'leaving' } } });
    expect(response.status).toBe(204);
    expectProblem(await raw('GET', '/v1/agents/leaving'), 404);
    expectProblem(await raw('DELETE', '/v1/agents/leaving'), 404);
  });
});

describe('POST /v1/agents/{agentId}/run', () => {
  it('when dispatching to a known agent, then 202 with a queued task and its links', async () => {
    await ak.client.POST('/v1/agents', { body: registration({ agentId: 'runner' }) });
    const { data, response } = await ak.client.POST('/v1/agents/{agentId}/run', {
      params: { path: { agentId: 'runner' } },
      body: { task_name: 'echo', parameters: { a: 1 }, opscore_session_id: 's1', opscore_task_id: 't1' },
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe(`/v1/tasks/${data?.taskId}`);
    expect(data).toMatchObject({ agentId: 'runner', task_name: 'echo', status: 'queued', opscore_task_id: 't1' });
    expect(data?.links.self).toBe(`/v1/tasks/${data?.taskId}`);
  });

  it('when the agent is unknown, then 404; when task_name is missing, then 400', async () => {
    expectProblem(await raw('POST', '/v1/agents/ghost/run', { task_name: 'echo' }), 404);
    expectProblem(await raw('POST', '/v1/agents/runner/run', { parameters: {} }), 400);
    expectProblem(await raw('POST', '/v1/agents/runner/run', { task_name: 'echo', timeout_seconds: 0 }), 400);
  });
});

describe('tasks', () => {
  it('when the agent reports, then the task shows status, progress and result; a contradiction is 409', async () => {
    const { data: task } = await ak.client.POST('/v1/agents/{agentId}/run', { params: { path: { agentId: 'runner' } }, body: { task_name: 'echo' } });
    const taskId = task!.taskId;
    const running = await ak.client.POST('/v1/tasks/{taskId}/reports', { params: { path: { taskId } }, body: { status: 'running', progress: 40, message: 'working' } });
    expect(running.data).toMatchObject({ status: 'running', progress: 40, message: 'working' });
    const done = await ak.client.POST('/v1/tasks/{taskId}/reports', { params: { path: { taskId } }, body: { status: 'finished', result: { echoed: true } } });
    expect(done.data).toMatchObject({ status: 'finished', result: { echoed: true } });
    expect(done.data?.finishedAt).toBeTruthy();
    const again = await ak.client.POST('/v1/tasks/{taskId}/reports', { params: { path: { taskId } }, body: { status: 'finished', result: { echoed: true } } });
    expect(again.response.status).toBe(200);
    expectProblem(await raw('POST', `/v1/tasks/${taskId}/reports`, { status: 'failed', error: { message: 'no' } }), 409);
    const got = await ak.client.GET('/v1/tasks/{taskId}', { params: { path: { taskId } } });
    expect(got.data?.status).toBe('finished');
  });

  it('when listing tasks by agent and status, then only those, newest first', async () => {
    const { data } = await ak.client.GET('/v1/tasks', { params: { query: { agentId: 'runner', status: 'finished' } } });
    expect(data?.items.length).toBeGreaterThan(0);
    expect(data?.items.every((t) => t.agentId === 'runner' && t.status === 'finished')).toBe(true);
  });

  it('when the task id is not a UUID, then 400; unknown, then 404; a bad report, then 400', async () => {
    expectProblem(await raw('GET', '/v1/tasks/not-a-uuid'), 400);
    expectProblem(await raw('GET', '/v1/tasks/00000000-0000-4000-8000-000000000000'), 404);
    expectProblem(await raw('POST', '/v1/tasks/00000000-0000-4000-8000-000000000000/reports', { status: 'done' }), 400);
  });
});

describe('webhook deliveries', () => {
  it('when webhooks were sent, then the log lists them with attempts, and a succeeded one can be redelivered', async () => {
    await opsCore.waitFor(() => opsCore.requests.length > 0);
    const { data } = await ak.client.GET('/v1/webhook-deliveries', { params: { query: { kind: 'agent.lifecycle', status: 'succeeded' } } });
    const first = data?.items[0];
    expect(first).toMatchObject({ kind: 'agent.lifecycle', status: 'succeeded', lastStatusCode: 200 });
    expect(first?.attemptLog[0]).toMatchObject({ attempt: 1, statusCode: 200 });
    const again = await ak.client.POST('/v1/webhook-deliveries/{deliveryId}/redeliver', { params: { path: { deliveryId: first!.deliveryId } } });
    expect(again.response.status).toBe(202);
    expect(again.data?.status).toBe('pending');
    expectProblem(await raw('POST', '/v1/webhook-deliveries/dlv_nope/redeliver'), 404);
    expectProblem(await raw('GET', '/v1/webhook-deliveries?status=lost'), 400);
  });

  it('when one delivery is read by its id, then it comes with its attempt log; an unknown id is 404', async () => {
    await opsCore.waitFor(() => opsCore.requests.length > 0);
    const { data: page } = await ak.client.GET('/v1/webhook-deliveries', { params: { query: { kind: 'agent.lifecycle', status: 'succeeded' } } });
    const listed = page!.items[0]!;
    const { data, response } = await ak.client.GET('/v1/webhook-deliveries/{deliveryId}', { params: { path: { deliveryId: listed.deliveryId } } });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ deliveryId: listed.deliveryId, webhookId: listed.webhookId, kind: 'agent.lifecycle', attemptLog: expect.arrayContaining([expect.objectContaining({ attempt: 1, statusCode: 200 })]) });
    expectProblem(await raw('GET', '/v1/webhook-deliveries/dlv_nope'), 404);
  });
});

describe('health, metrics, docs', () => {
  it('when probing without a key, then healthz and readyz answer 200', async () => {
    expect((await fetch(`${ak.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${ak.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { store: 'ok', worker: 'ok' } });
  });

  it('when scraping /metrics, then the AgentKit series are there', async () => {
    const text = await (await fetch(`${ak.url}/metrics`)).text();
    for (const name of ['agentkit_http_requests_total', 'agentkit_tasks_dispatched_total', 'agentkit_delivery_attempts_total', 'agentkit_outbox_depth', 'agentkit_delivery_latency_seconds']) {
      expect(text).toContain(name);
    }
  });

  it('when a path is unknown, then 404 problem+json', async () => {
    expectProblem(await raw('GET', '/v1/nothing-here'), 404);
  });
});
