// Contract: the typed AgentKit client (src/client/agentkit.ts) against a Prism mock of
// generated/openapi/agentkit.yaml. Every operation of the spec is called and answers with the
// spec's examples; requests that break the spec are refused. Prism runs with --errors, so an
// example that does not match its own schema would turn into a 500 here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentKitClient, type AgentKitClient } from '../../src/client/agentkit.js';
import { startPrism, type PrismMock } from '../support/prism.js';
import { example, examples, matchOperation, operationObject, operations } from './spec.js';

const agentId = '7b0c2f4e-4d7a-4c59-9a43-1b0f3c2d9e11';
const taskId = '5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22';
const deliveryId = '01JDX8Q3W5K2M7N9P4R6T8V0XY';
const apiKey = 'contract-test-key';

let mock: PrismMock;
let client: AgentKitClient;
/** Every answer the typed client got, by operation: proves below that no operation was left out. */
const answered: { operationId: string; status: number }[] = [];

beforeAll(async () => {
  mock = await startPrism({ spec: 'agentkit', errors: true });
  client = createAgentKitClient({
    baseUrl: mock.baseUrl,
    apiKey,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const response = await fetch(request);
      const operation = matchOperation('agentkit', request.method, new URL(request.url).pathname);
      if (operation) answered.push({ operationId: operation.operationId, status: response.status });
      return response;
    },
  });
});

afterAll(async () => {
  await mock?.stop();
});

/** A request outside the typed client, for requests that break the spec on purpose. */
async function send(method: string, path: string, options: { body?: string; contentType?: string; authorization?: string | null; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization !== null) headers.authorization = options.authorization ?? `Bearer ${apiKey}`;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${mock.baseUrl}${path}`, { method, headers, ...(options.body !== undefined ? { body: options.body } : {}) });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: text ? JSON.parse(text) : undefined,
    violations: violationMessages(response.headers.get('sl-violations')),
  };
}

/** Prism says in its `sl-violations` header which rules the request broke: their messages, one a line. */
function violationMessages(header: string | null): string {
  const parsed: unknown = JSON.parse(header ?? '[]');
  if (!Array.isArray(parsed)) return '';
  return parsed.map((violation: { message?: unknown }) => String(violation.message)).join('\n');
}

describe('POST /v1/agents', () => {
  it('when a new agent registers, then 201 with the stored agent and its signing secret', async () => {
    const { data, error, response } = await client.POST('/v1/agents', {
      body: {
        agentName: 'echo-agent',
        version: '1.0.0',
        capabilities: ['echo', 'sleep', 'fail'],
        contactEndpoint: 'http://127.0.0.1:9000/tasks',
        metadata: { owner: 'platform-team' },
        rotateSigningSecret: false,
      },
      headers: { Prefer: 'code=201' },
    });

    expect(error).toBeUndefined();
    expect(response.status).toBe(201);
    expect(data?.agentId).toBe(agentId);
    expect(data?.signingSecret).toMatch(/^whsec_/);
    expect(data).toEqual(example('agentkit', 'registerAgent', '201'));
  });

  it('when a known agentId registers again, then 200 with the updated agent and no new secret', async () => {
    const { data, response } = await client.POST('/v1/agents', {
      body: {
        agentId,
        agentName: 'echo-agent',
        version: '1.1.0',
        capabilities: ['echo'],
        contactEndpoint: 'http://127.0.0.1:9000/tasks',
        metadata: {},
        rotateSigningSecret: false,
      },
      headers: { Prefer: 'code=200' },
    });

    expect(response.status).toBe(200);
    expect(data?.version).toBe('1.1.0');
    expect(data?.signingSecret).toBeUndefined();
    expect(data).toEqual(example('agentkit', 'registerAgent', '200'));
  });

  // Prism answers an invalid request with 422 when the operation documents one (registration does:
  // an internal contactEndpoint), else 400; AgentKit itself answers these 400 (test/service).
  const PRISM_INVALID_REGISTRATION = 422;

  it('when required fields are missing, then the mock refuses it with problem+json naming them (422, as Prism answers once the operation documents 422; AgentKit answers 400)', async () => {
    const answer = await send('POST', '/v1/agents', { body: JSON.stringify({ agentName: 'echo-agent' }) });

    expect(answer.status).toBe(PRISM_INVALID_REGISTRATION);
    expect(answer.contentType).toContain('application/problem+json');
    expect(answer.body).toMatchObject({ status: PRISM_INVALID_REGISTRATION });
    expect(answer.violations).toContain("'version'");
    expect(answer.violations).toContain("'contactEndpoint'");
  });

  it.each([
    ['not-a-url', 'contactEndpoint'],
    ['ftp://127.0.0.1/tasks', 'contactEndpoint'],
  ])('when contactEndpoint is %s, then refused', async (contactEndpoint, field) => {
    const answer = await send('POST', '/v1/agents', { body: JSON.stringify({ agentName: 'a', version: '1', contactEndpoint }) });

    expect(answer.status).toBe(PRISM_INVALID_REGISTRATION);
    expect(answer.violations).toContain(field);
  });

  it('when the body has a property the spec does not define, then refused', async () => {
    const answer = await send('POST', '/v1/agents', {
      body: JSON.stringify({ agentName: 'a', version: '1', contactEndpoint: 'http://127.0.0.1:9000/tasks', colour: 'blue' }),
    });

    expect(answer.status).toBe(PRISM_INVALID_REGISTRATION);
    expect(answer.violations).toContain("'colour'");
  });

  it('when the body is not JSON, then 415', async () => {
    const answer = await send('POST', '/v1/agents', { body: 'agentName=a', contentType: 'text/plain' });

    expect(answer.status).toBe(415);
    expect(answer.body).toMatchObject({ status: 415 });
  });
});

describe('GET /v1/agents', () => {
  it('when agents are listed by capability, then one page of agents', async () => {
    const { data, response } = await client.GET('/v1/agents', { params: { query: { capability: 'echo', limit: 10 } } });

    expect(response.status).toBe(200);
    expect(data?.items[0]?.capabilities).toContain('echo');
    expect(data?.nextCursor).toBeNull();
    expect(data).toEqual(example('agentkit', 'listAgents', '200'));
  });

  it('when limit is above 100, then 400', async () => {
    const answer = await send('GET', '/v1/agents?limit=1000');

    expect(answer.status).toBe(400);
    expect(answer.violations).toContain('limit');
  });
});

describe('GET /v1/agents/{agentId}', () => {
  it('when the agent is read, then the agent', async () => {
    const { data, response } = await client.GET('/v1/agents/{agentId}', { params: { path: { agentId } } });

    expect(response.status).toBe(200);
    expect(data?.contactEndpoint).toBe('http://127.0.0.1:9000/tasks');
    expect(data).toEqual(example('agentkit', 'getAgent', '200'));
  });

  it('when the agent is unknown, then a typed 404 problem', async () => {
    const { data, error, response } = await client.GET('/v1/agents/{agentId}', {
      params: { path: { agentId: 'no-such-agent' } },
      headers: { Prefer: 'code=404' },
    });

    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(error?.status).toBe(404);
    expect(error?.type).toBe('urn:agentkit:problem:not-found');
  });

  it('when the agentId breaks its pattern, then a typed 400 problem', async () => {
    const { error, response } = await client.GET('/v1/agents/{agentId}', { params: { path: { agentId: '-starts-with-a-dash' } } });

    expect(response.status).toBe(400);
    expect(error?.title).toBe('Request validation failed');
  });
});

describe('DELETE /v1/agents/{agentId}', () => {
  it('when the agent is deregistered, then 204 without a body', async () => {
    const { data, error, response } = await client.DELETE('/v1/agents/{agentId}', { params: { path: { agentId } } });

    expect(error).toBeUndefined();
    expect(response.status).toBe(204);
    expect(data).toBeUndefined();
  });
});

describe('POST /v1/agents/{agentId}/run', () => {
  it('when a task is dispatched with an Idempotency-Key, then 202 with the queued task and its links', async () => {
    const { data, response } = await client.POST('/v1/agents/{agentId}/run', {
      params: { path: { agentId }, header: { 'Idempotency-Key': 'dispatch-42' } },
      body: { task_name: 'echo', parameters: { message: 'hello' }, opscore_session_id: 'session-7', opscore_task_id: 'task-42', timeout_seconds: 60 },
    });

    expect(response.status).toBe(202);
    expect(data?.taskId).toBe(taskId);
    expect(data?.status).toBe('queued');
    expect(data?.links.self).toBe(`/v1/tasks/${taskId}`);
    expect(response.headers.get('location')).toBeTruthy();
    expect(data).toEqual(example('agentkit', 'dispatchTask', '202'));
  });

  it('when Ops-Core\'s dispatcher sends its message envelope, then the mock accepts it too (202)', async () => {
    const { data, response } = await client.POST('/v1/agents/{agentId}/run', {
      params: { path: { agentId } },
      body: examples('agentkit', 'dispatchTask', 'request').opscoreMessage as { senderId: string; messageType: string; payload: Record<string, unknown> },
    });

    expect(response.status).toBe(202);
    expect(data?.status).toBe('queued');
  });

  it('when the body mixes both shapes (parameters and payload), then 400', async () => {
    const answer = await send('POST', `/v1/agents/${agentId}/run`, { body: JSON.stringify({ task_name: 'echo', parameters: {}, senderId: 's', messageType: 'm', payload: {} }) });

    expect(answer.status).toBe(400);
  });

  it('when task_name is missing, then 400', async () => {
    const answer = await send('POST', `/v1/agents/${agentId}/run`, { body: JSON.stringify({ parameters: {} }) });

    expect(answer.status).toBe(400);
    expect(answer.violations).toContain("'task_name'");
  });

  it('when timeout_seconds is 0, then 400', async () => {
    const answer = await send('POST', `/v1/agents/${agentId}/run`, { body: JSON.stringify({ task_name: 'echo', timeout_seconds: 0 }) });

    expect(answer.status).toBe(400);
    expect(answer.violations).toContain('timeout_seconds');
  });

  it('when the Idempotency-Key holds a space, then 400', async () => {
    const answer = await send('POST', `/v1/agents/${agentId}/run`, {
      body: JSON.stringify({ task_name: 'echo' }),
      headers: { 'Idempotency-Key': 'two words' },
    });

    expect(answer.status).toBe(400);
    expect(answer.violations.toLowerCase()).toContain('idempotency-key');
  });
});

describe('GET /v1/tasks', () => {
  it('when tasks are listed by agent and status, then one page of tasks', async () => {
    const { data, response } = await client.GET('/v1/tasks', { params: { query: { agentId, status: 'finished', limit: 5 } } });

    expect(response.status).toBe(200);
    expect(data?.items).toEqual([]);
    expect(data?.nextCursor).toBeNull();
  });

  it('when the status filter is not a task status, then 400', async () => {
    const answer = await send('GET', '/v1/tasks?status=bogus');

    expect(answer.status).toBe(400);
    expect(answer.violations).toContain('status');
  });
});

describe('GET /v1/tasks/{taskId}', () => {
  it('when a task is read, then the task with its result', async () => {
    const { data, response } = await client.GET('/v1/tasks/{taskId}', { params: { path: { taskId } } });

    expect(response.status).toBe(200);
    expect(data?.status).toBe('finished');
    expect(data?.result).toEqual({ message: 'hello' });
    expect(data).toEqual(example('agentkit', 'getTask', '200'));
  });

  it('when the taskId is not a UUID, then 400', async () => {
    const answer = await send('GET', '/v1/tasks/not-a-uuid');

    expect(answer.status).toBe(400);
    expect(answer.violations).toContain('uuid');
  });
});

describe('POST /v1/tasks/{taskId}/reports', () => {
  it.each([
    ['running', { status: 'running', progress: 10, message: 'started' }],
    ['finished', { status: 'finished', result: { message: 'hello' } }],
    ['failed', { status: 'failed', error: { code: 'handler_error', message: 'something broke' } }],
  ] as const)('when the agent reports %s, then 200 with the task', async (_status, body) => {
    const { data, response } = await client.POST('/v1/tasks/{taskId}/reports', { params: { path: { taskId } }, body });

    expect(response.status).toBe(200);
    expect(data?.taskId).toBe(taskId);
    expect(data).toEqual(example('agentkit', 'reportTaskProgress', '200'));
  });

  it('when the reported status is not running, finished or failed, then 400', async () => {
    const answer = await send('POST', `/v1/tasks/${taskId}/reports`, { body: JSON.stringify({ status: 'done' }) });

    expect(answer.status).toBe(400);
    expect(answer.violations).toContain('status');
  });

  it('when progress is above 100, then 400', async () => {
    const answer = await send('POST', `/v1/tasks/${taskId}/reports`, { body: JSON.stringify({ status: 'running', progress: 150 }) });

    expect(answer.status).toBe(400);
    expect(answer.violations).toContain('progress');
  });
});

describe('POST /v1/tasks/{taskId}/cancel', () => {
  it('when a queued task is canceled, then 200 with the canceled task', async () => {
    const { data, response } = await client.POST('/v1/tasks/{taskId}/cancel', { params: { path: { taskId } }, body: { reason: 'The workflow was aborted' } });

    expect(response.status).toBe(200);
    expect(data?.status).toBe('canceled');
    expect(data).toEqual(example('agentkit', 'cancelTask', '200'));
  });

  it('when a running task is canceled, then 202 with the task canceling', async () => {
    const { data, response } = await client.POST('/v1/tasks/{taskId}/cancel', { params: { path: { taskId } }, body: {}, headers: { Prefer: 'code=202' } });

    expect(response.status).toBe(202);
    expect(data?.status).toBe('canceling');
    expect(data).toEqual(example('agentkit', 'cancelTask', '202'));
  });

  it('when the reason is empty, then 400', async () => {
    const answer = await send('POST', `/v1/tasks/${taskId}/cancel`, { body: JSON.stringify({ reason: '' }) });

    expect(answer.status).toBe(400);
    expect(answer.violations).toContain('reason');
  });
});

describe('GET /v1/webhook-deliveries', () => {
  it('when failed lifecycle deliveries are listed, then the page shows them with their last error', async () => {
    const { data, response } = await client.GET('/v1/webhook-deliveries', { params: { query: { status: 'failed', kind: 'agent.lifecycle' } } });

    expect(response.status).toBe(200);
    expect(data?.items[0]?.status).toBe('failed');
    expect(data?.items[0]?.lastStatusCode).toBe(400);
    expect(data).toEqual(example('agentkit', 'listWebhookDeliveries', '200'));
  });
});

describe('GET /v1/webhook-deliveries/{deliveryId}', () => {
  it('when one delivery is read, then the delivery with its attempt log', async () => {
    const { data, response } = await client.GET('/v1/webhook-deliveries/{deliveryId}', { params: { path: { deliveryId } } });

    expect(response.status).toBe(200);
    expect(data).toEqual(example('agentkit', 'getWebhookDelivery', '200'));
    expect(data?.attemptLog[0]?.statusCode).toBe(400);
  });
});

describe('POST /v1/webhook-deliveries/{deliveryId}/redeliver', () => {
  it('when a failed delivery is redelivered, then 202 with the delivery', async () => {
    const { data, response } = await client.POST('/v1/webhook-deliveries/{deliveryId}/redeliver', { params: { path: { deliveryId } } });

    expect(response.status).toBe(202);
    expect(data?.deliveryId).toBe(deliveryId);
    expect(data?.webhookId).toBe(`msg_${deliveryId}`);
  });

  it('when the delivery is still pending, then a typed 409 problem', async () => {
    const { error, response } = await client.POST('/v1/webhook-deliveries/{deliveryId}/redeliver', {
      params: { path: { deliveryId } },
      headers: { Prefer: 'code=409' },
    });

    expect(response.status).toBe(409);
    expect(error?.type).toBe('urn:agentkit:problem:conflict');
  });
});

describe('GET /health (what Ops-Core polls)', () => {
  it('when Ops-Core polls it without a key, then the mock answers 200 {"status":"ok"}', async () => {
    const answer = await send('GET', '/health', { authorization: null });

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
  });

  it('when the typed client asks, then 200 ok, or a typed 503 when the store is down', async () => {
    const ok = await client.GET('/health');
    expect(ok.response.status).toBe(200);
    expect(ok.data?.status).toBe('ok');

    const down = await client.GET('/health', { headers: { Prefer: 'code=503' } });
    expect(down.response.status).toBe(503);
    expect(down.error?.status).toBe('unavailable');
  });
});

describe('POST /v1/agents/register (the original route)', () => {
  const body = { agentName: 'echo-agent', version: '1.0.0', capabilities: ['echo'], contactEndpoint: 'http://127.0.0.1:9000/tasks', metadata: {} };

  it('when Ops-Core\'s fixture registers there, then 201 in the original envelope with data.agentId', async () => {
    const { data, response } = await client.POST('/v1/agents/register', { body, headers: { Prefer: 'code=201' } });

    expect(response.status).toBe(201);
    expect(data).toMatchObject({ status: 'success', data: { agentId } });
    expect(data).toEqual(example('agentkit', 'registerAgentCompat', '201'));
  });

  it('when the agent was known, then 200 with the same envelope', async () => {
    const { data, response } = await client.POST('/v1/agents/register', { body: { ...body, agentId }, headers: { Prefer: 'code=200' } });

    expect(response.status).toBe(200);
    expect(data?.message).toMatch(/updated/);
  });
});

describe('GET /healthz and GET /readyz', () => {
  it('when health is asked without a bearer key, then 200 ok', async () => {
    const answer = await send('GET', '/healthz', { authorization: null });

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
  });

  it('when the typed client asks for health, then 200 ok', async () => {
    const { data, response } = await client.GET('/healthz');

    expect(response.status).toBe(200);
    expect(data?.status).toBe('ok');
  });

  it('when the service is ready, then 200 with every check ok', async () => {
    const { data, response } = await client.GET('/readyz');

    expect(response.status).toBe(200);
    expect(data?.checks).toEqual({ store: 'ok', worker: 'ok' });
  });

  it('when the store fails, then a typed 503 that names it', async () => {
    const { error, response } = await client.GET('/readyz', { headers: { Prefer: 'code=503' } });

    expect(response.status).toBe(503);
    expect(error?.status).toBe('unready');
    expect(error?.checks.store).toBe('failing');
  });
});

describe('Bearer API-key security', () => {
  const pathValues: Record<string, string> = { agentId, taskId, deliveryId };
  const secured = operations('agentkit').filter((operation) => {
    const security = operationObject('agentkit', operation.operationId).security;
    return !(Array.isArray(security) && security.length === 0);
  });

  it('when the spec is read, then every operation but the health probes needs a bearer key', () => {
    expect(secured.map((operation) => operation.operationId).sort()).toEqual(
      operations('agentkit')
        .map((operation) => operation.operationId)
        .filter((id) => !['getHealth', 'getReadiness', 'getServiceHealth'].includes(id))
        .sort(),
    );
  });

  it.each(secured.map((operation) => [operation.operationId, operation] as const))(
    'when %s is called without Authorization, then 401 problem+json',
    async (operationId, operation) => {
      const path = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => pathValues[name] ?? 'x');
      const requestExample = operation.method === 'POST' ? Object.values(examples('agentkit', operationId, 'request'))[0] : undefined;
      const body = operation.method === 'POST' ? JSON.stringify(requestExample ?? {}) : undefined;

      const answer = await send(operation.method, path, { authorization: null, ...(body !== undefined ? { body } : {}) });

      expect(answer.status).toBe(401);
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ status: 401, type: 'urn:agentkit:problem:unauthorized' });
    },
  );

  it('when the Authorization header uses another scheme, then 401', async () => {
    const answer = await send('GET', '/v1/agents', { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` });

    expect(answer.status).toBe(401);
  });
});

describe("rotating an agent's secrets (POST /v1/agents/{agentId}/signing-secret/rotate, …/agent-token/rotate)", () => {
  it('when the signing secret is rotated, then 200 with the new secret and until when the old one signs', async () => {
    const { data, response } = await client.POST('/v1/agents/{agentId}/signing-secret/rotate', { params: { path: { agentId: 'agent-1' } }, body: { graceSeconds: 3600 } });

    expect(response.status).toBe(200);
    expect(data?.signingSecret).toMatch(/^whsec_/);
    expect(data).toEqual(example('agentkit', 'rotateSigningSecret', '200'));
  });

  it('when the credential is rotated, then 200 with the new agentToken', async () => {
    const { data, response } = await client.POST('/v1/agents/{agentId}/agent-token/rotate', { params: { path: { agentId: 'agent-1' } }, body: {} });

    expect(response.status).toBe(200);
    expect(data?.agentToken).toMatch(/^akt\./);
    expect(data).toEqual(example('agentkit', 'rotateAgentToken', '200'));
  });

  it('when the grace period is negative, then 400', async () => {
    const answer = await send('POST', '/v1/agents/agent-1/signing-secret/rotate', { body: JSON.stringify({ graceSeconds: -1 }) });

    expect(answer.status).toBe(400);
    expect(answer.violations).toContain('graceSeconds');
  });
});

describe('the console operations (GET /v1/whoami, GET /v1/statistics, GET /v1/tasks/{taskId}/deliveries and /events, POST /v1/webhook-deliveries/recover)', () => {
  it('when the credential asks who it is, then its role', async () => {
    const { data, response } = await client.GET('/v1/whoami');

    expect(response.status).toBe(200);
    expect(data).toEqual(example('agentkit', 'getCredential', '200'));
  });

  it('when the statistics are read, then the counts by status and the minutes of the last hour', async () => {
    const { data, response } = await client.GET('/v1/statistics');

    expect(response.status).toBe(200);
    expect(data?.tasksByStatus.finished).toBe(12);
    expect(data).toEqual(example('agentkit', 'getStatistics', '200'));
  });

  it("when a task's deliveries are read, then each with its attempts", async () => {
    const { data, response } = await client.GET('/v1/tasks/{taskId}/deliveries', { params: { path: { taskId } } });

    expect(response.status).toBe(200);
    expect(data?.items[0]?.attemptLog.map((a) => a.statusCode)).toEqual([503, 202]);
  });

  it("when a task's events are read, then its log oldest first and its heartbeats summed up", async () => {
    const { data, response } = await client.GET('/v1/tasks/{taskId}/events', { params: { path: { taskId } } });

    expect(response.status).toBe(200);
    expect(data?.items.map((e) => e.kind)).toEqual(['dispatched', 'running', 'progress', 'finished']);
    expect(data?.heartbeats.count).toBe(5);
    expect(data).toEqual(example('agentkit', 'listTaskEvents', '200'));
  });

  it('when failed deliveries are recovered since a time, then 202 with how many were requeued', async () => {
    const { data, response } = await client.POST('/v1/webhook-deliveries/recover', { body: { since: '2026-11-24T08:00:00Z', kind: 'agent.lifecycle' } });

    expect(response.status).toBe(202);
    expect(data?.requeued).toBe(3);
  });

  it('when the recovery has no since, then 400', async () => {
    const answer = await send('POST', '/v1/webhook-deliveries/recover', { body: JSON.stringify({ kind: 'agent.lifecycle' }) });

    expect(answer.status).toBe(400);
  });
});

describe('coverage of the spec', () => {
  // Runs last (vitest runs a file's tests in order): a new operation without a test fails here.
  it('when every test above has run, then each operation answered each of its documented 2xx statuses', () => {
    const expected = operations('agentkit').flatMap((operation) =>
      operation.statuses.filter((status) => status.startsWith('2')).map((status) => `${operation.operationId} ${status}`),
    );
    const seen = new Set(answered.map((answer) => `${answer.operationId} ${answer.status}`));

    expect(expected.length).toBeGreaterThanOrEqual(13);
    expect(expected.filter((key) => !seen.has(key))).toEqual([]);
  });
});
