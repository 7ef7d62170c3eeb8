// Contract: the typed Ops-Core client (src/client/opscore.ts) against a Prism mock of
// generated/openapi/opscore.yaml: health, notify, POST and GET state answer with the spec's
// examples; a missing bearer key and bodies Ops-Core would refuse are refused, with FastAPI's
// error bodies. Prism runs with --errors, so an example that breaks its schema becomes a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpsCoreClient, type OpsCoreClient, type OpsCoreComponents } from '../../src/client/opscore.js';
import { WebhookSigner } from '../../src/client/webhooks.js';
import { startPrism, type PrismMock } from '../support/prism.js';
import { example, matchOperation, operations } from './spec.js';

const agentId = '7b0c2f4e-4d7a-4c59-9a43-1b0f3c2d9e11';
const apiKey = 'opscore-contract-key';

let mock: PrismMock;
let client: OpsCoreClient;
const answered: { operationId: string; status: number }[] = [];

beforeAll(async () => {
  mock = await startPrism({ spec: 'opscore', errors: true });
  client = createOpsCoreClient({
    baseUrl: mock.baseUrl,
    apiKey,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const response = await fetch(request);
      const operation = matchOperation('opscore', request.method, new URL(request.url).pathname);
      if (operation) answered.push({ operationId: operation.operationId, status: response.status });
      return response;
    },
  });
});

afterAll(async () => {
  await mock?.stop();
});

/** A request outside the typed client, for requests that break the spec on purpose. */
async function send(method: string, path: string, options: { body?: unknown; authorization?: string | null } = {}) {
  const headers: Record<string, string> = {};
  if (options.authorization !== null) headers.authorization = options.authorization ?? `Bearer ${apiKey}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${mock.baseUrl}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  const parsed: unknown = JSON.parse(response.headers.get('sl-violations') ?? '[]');
  return {
    status: response.status,
    body: text ? JSON.parse(text) : undefined,
    violations: Array.isArray(parsed) ? parsed.map((violation: { message?: unknown }) => String(violation.message)).join('\n') : '',
  };
}

const registration: OpsCoreComponents['schemas']['AgentNotificationPayload'] = {
  event_type: 'REGISTER',
  agent_details: {
    agentId,
    agentName: 'echo-agent',
    version: '1.0.0',
    capabilities: ['echo', 'sleep', 'fail'],
    contactEndpoint: 'http://127.0.0.1:9000/tasks',
    metadata: { owner: 'platform-team' },
  },
};

describe('GET /health', () => {
  it('when Ops-Core is asked for its health, then 200 {"status":"ok"}', async () => {
    const { data, response } = await client.GET('/health');

    expect(response.status).toBe(200);
    expect(data?.status).toBe('ok');
  });
});

describe('POST /v1/opscore/internal/agent/notify', () => {
  it('when AgentKit sends a signed REGISTER, then 200 with a success status', async () => {
    const signed = new WebhookSigner('opscore-webhook-secret').sign('msg_contract1', JSON.stringify(registration));

    const { data, response } = await client.POST('/v1/opscore/internal/agent/notify', {
      params: { header: { 'X-AgentKit-Timestamp': signed['x-agentkit-timestamp'], 'X-AgentKit-Signature': signed['x-agentkit-signature'] } },
      body: registration,
    });

    expect(response.status).toBe(200);
    expect(data?.status).toBe('success');
    expect(data).toEqual(example('opscore', 'notifyAgentLifecycle', '200'));
  });

  it('when a DEREGISTER is sent without signature headers, then 200 too (Ops-Core does not check them yet)', async () => {
    const { data, response } = await client.POST('/v1/opscore/internal/agent/notify', {
      body: { ...registration, event_type: 'DEREGISTER' },
    });

    expect(response.status).toBe(200);
    expect(data?.status).toBe('success');
  });

  it('when agent_details lacks agentId, then 422 with a FastAPI validation body', async () => {
    const { agentId: _omitted, ...details } = registration.agent_details;

    const answer = await send('POST', '/v1/opscore/internal/agent/notify', { body: { event_type: 'REGISTER', agent_details: details }, authorization: null });

    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ detail: [{ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) }] });
    expect(answer.violations).toContain("'agentId'");
  });

  it('when contactEndpoint is not an http(s) URL, then 422', async () => {
    const answer = await send('POST', '/v1/opscore/internal/agent/notify', {
      body: { ...registration, agent_details: { ...registration.agent_details, contactEndpoint: 'ftp://127.0.0.1/tasks' } },
      authorization: null,
    });

    expect(answer.status).toBe(422);
    expect(answer.violations).toContain('contactEndpoint');
  });

  it('when the X-AgentKit-Signature is not hex, then 422', async () => {
    const answer = await fetch(`${mock.baseUrl}/v1/opscore/internal/agent/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-agentkit-timestamp': '1795508100', 'x-agentkit-signature': 'not-hex' },
      body: JSON.stringify(registration),
    });

    expect(answer.status).toBe(422);
    expect(answer.headers.get('sl-violations')?.toLowerCase()).toContain('x-agentkit-signature');
  });
});

describe('POST /v1/opscore/agent/{agent_id}/state', () => {
  it('when an agent reports idle, then 202 with a success status', async () => {
    const { data, response } = await client.POST('/v1/opscore/agent/{agent_id}/state', {
      params: { path: { agent_id: agentId } },
      body: { agentId, state: 'idle', timestamp: '2026-11-24T08:15:00.200Z', details: null },
    });

    expect(response.status).toBe(202);
    expect(data?.status).toBe('success');
    expect(data).toEqual(example('opscore', 'updateAgentState', '202'));
  });

  it('when an agent reports finished with task details, then 202', async () => {
    const { response } = await client.POST('/v1/opscore/agent/{agent_id}/state', {
      params: { path: { agent_id: agentId } },
      body: { agentId, state: 'finished', timestamp: '2026-11-24T08:15:00.123Z', details: { taskId: '5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22', result: { message: 'hello' } } },
    });

    expect(response.status).toBe(202);
  });

  it('when the agent is not registered with Ops-Core, then a typed 404', async () => {
    const { error, response } = await client.POST('/v1/opscore/agent/{agent_id}/state', {
      params: { path: { agent_id: 'unknown-agent' } },
      body: { agentId: 'unknown-agent', state: 'idle', timestamp: '2026-11-24T08:15:00.200Z' },
      headers: { Prefer: 'code=404' },
    });

    expect(response.status).toBe(404);
    expect(error?.detail).toContain('not found');
  });

  it('when the bearer key is missing, then 401 {"detail": ...}', async () => {
    const answer = await send('POST', `/v1/opscore/agent/${agentId}/state`, {
      body: { agentId, state: 'idle', timestamp: '2026-11-24T08:15:00.200Z' },
      authorization: null,
    });

    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ detail: 'Invalid or missing API key' });
  });

  it('when the body has no state, then 422 naming it', async () => {
    const answer = await send('POST', `/v1/opscore/agent/${agentId}/state`, { body: { agentId, timestamp: '2026-11-24T08:15:00.200Z' } });

    expect(answer.status).toBe(422);
    expect(answer.body).toEqual(example('opscore', 'updateAgentState', '422'));
    expect(answer.violations).toContain("'state'");
  });

  it('when the body has no timestamp, then 422 naming it', async () => {
    const answer = await send('POST', `/v1/opscore/agent/${agentId}/state`, { body: { agentId, state: 'idle' } });

    expect(answer.status).toBe(422);
    expect(answer.violations).toContain("'timestamp'");
  });
});

describe('GET /v1/opscore/agent/{agent_id}/state', () => {
  it("when an agent's state is read, then 200 with the state", async () => {
    const { data, response } = await client.GET('/v1/opscore/agent/{agent_id}/state', { params: { path: { agent_id: agentId } } });

    expect(response.status).toBe(200);
    expect(data?.state).toBe('idle');
    expect(data?.details).toBeNull();
    expect(data).toEqual(example('opscore', 'getAgentState', '200'));
  });

  it('when the bearer key is missing, then 401', async () => {
    const answer = await send('GET', `/v1/opscore/agent/${agentId}/state`, { authorization: null });

    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ detail: 'Invalid or missing API key' });
  });

  it('when no state is known, then a typed 404', async () => {
    const { error, response } = await client.GET('/v1/opscore/agent/{agent_id}/state', {
      params: { path: { agent_id: agentId } },
      headers: { Prefer: 'code=404' },
    });

    expect(response.status).toBe(404);
    expect(error?.detail).toBeTypeOf('string');
  });
});

describe('coverage of the spec', () => {
  // Runs last (vitest runs a file's tests in order): a new operation without a test fails here.
  it('when every test above has run, then each operation answered each of its documented 2xx statuses', () => {
    const expected = operations('opscore').flatMap((operation) =>
      operation.statuses.filter((status) => status.startsWith('2')).map((status) => `${operation.operationId} ${status}`),
    );
    const seen = new Set(answered.map((answer) => `${answer.operationId} ${answer.status}`));

    expect(expected).toHaveLength(4);
    expect(expected.filter((key) => !seen.has(key))).toEqual([]);
  });
});
