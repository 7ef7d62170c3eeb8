// The SDK against Prism mocks of Ops-Core and AgentKit, both run with --errors: any request
// the SDK makes that breaks either spec gets a non-2xx answer, and the test fails on it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpsCoreClient } from '../../src/client/opscore.js';
import { createAgent, TaskFailure, type Agent, type TaskContext, type TaskEnvelope } from '../../src/sdk/index.js';
import { WebhookSigner } from '../../src/client/webhooks.js';
import { startPrism, type PrismMock } from '../support/prism.js';
import { eventually } from '../support/receiver.js';
import { captureLogger, fastRetry, type LogRecord } from './support/harness.js';

// Prism answers with the spec's examples: this is the example agent's id.
const AGENT_ID = '7b0c2f4e-4d7a-4c59-9a43-1b0f3c2d9e11';
const SECRET = 'whsec_cHJpc20tdGVzdC1zaWduaW5nLXNlY3JldA==';

interface Exchange {
  method: string;
  url: string;
  status: number;
  body: unknown;
}

describe('the SDK against the Prism mocks (--errors)', () => {
  let opsCore: PrismMock;
  let agentKit: PrismMock;
  let agent: Agent;
  let contactEndpoint: string;
  const exchanges: Exchange[] = [];
  const logs: LogRecord[] = [];

  const recordingFetch: typeof fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const text = await request.clone().text();
    const response = await fetch(request);
    exchanges.push({ method: request.method, url: request.url, status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined });
    return response;
  };

  const stateReports = () =>
    exchanges.filter((e) => e.url.startsWith(opsCore.baseUrl) && e.method === 'POST').map((e) => e.body as { state: string; details: Record<string, unknown> | null });

  async function deliver(overrides: Partial<TaskEnvelope>): Promise<TaskEnvelope> {
    const envelope: TaskEnvelope = {
      taskId: randomUUID(),
      agentId: AGENT_ID,
      task_name: 'echo',
      parameters: {},
      opscore_session_id: 'session-7',
      opscore_task_id: 'task-42',
      timeout_seconds: 60,
      deadline: new Date(Date.now() + 60_000).toISOString(),
      attempt: 1,
      dispatchedAt: new Date().toISOString(),
      ...overrides,
    };
    const body = JSON.stringify(envelope);
    const response = await fetch(contactEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...new WebhookSigner(SECRET).sign(`msg_${envelope.taskId}`, body) },
      body,
    });
    expect(response.status).toBe(202);
    return envelope;
  }

  beforeAll(async () => {
    [opsCore, agentKit] = await Promise.all([startPrism({ spec: 'opscore', errors: true }), startPrism({ spec: 'agentkit', errors: true })]);
    agent = createAgent({
      agentId: AGENT_ID,
      signingSecret: SECRET,
      name: 'echo-agent',
      version: '1.0.0',
      metadata: { owner: 'tests' },
      handlers: {
        echo: (parameters) => parameters,
        fail: () => {
          throw new TaskFailure('failed_on_purpose', 'no');
        },
        work: (_p, context: TaskContext) => {
          context.progress(50, 'half way');
          return { done: true };
        },
      },
      agentKitUrl: agentKit.baseUrl,
      agentKitApiKey: 'prism-key',
      opsCoreUrl: opsCore.baseUrl,
      opsCoreApiKey: 'prism-key',
      opsCoreRetry: { ...fastRetry, retryForMs: 2_000, notFoundRetryForMs: 0 },
      agentKitRetry: { ...fastRetry, retryForMs: 2_000 },
      env: {},
      fetch: recordingFetch,
      logger: captureLogger(logs),
    });
    ({ contactEndpoint } = await agent.start());
  });

  afterAll(async () => {
    await agent?.stop({ timeoutMs: 5_000 });
    await Promise.all([opsCore?.stop(), agentKit?.stop()]);
  });

  it('when tasks succeed, fail, report progress or are unknown, then every request the SDK makes is accepted by both specs', async () => {
    await deliver({ task_name: 'echo', parameters: { message: 'hello' } });
    await eventually(() => (stateReports().length >= 4 ? true : undefined), 10_000, 'echo states');
    await deliver({ task_name: 'fail', opscore_task_id: null, opscore_session_id: null, timeout_seconds: null, deadline: null });
    await eventually(() => (stateReports().length >= 7 ? true : undefined), 10_000, 'fail states');
    await deliver({ task_name: 'work' });
    await eventually(() => (stateReports().length >= 10 ? true : undefined), 10_000, 'work states');
    await deliver({ task_name: 'nope' });
    await eventually(() => (stateReports().length >= 12 ? true : undefined), 10_000, 'unknown-task states');
    expect(await agent.flushReports(10_000)).toBe(true);

    const refused = exchanges.filter((e) => e.status < 200 || e.status >= 300);
    expect(refused, `Prism refused: ${JSON.stringify(refused)}\n${opsCore.output().slice(-2_000)}${agentKit.output().slice(-2_000)}`).toEqual([]);
    expect(stateReports().map((s) => s.state)).toEqual(['idle', 'active', 'finished', 'idle', 'active', 'error', 'idle', 'active', 'finished', 'idle', 'error', 'idle']);
    expect(exchanges.filter((e) => e.url.includes('/reports')).map((e) => (e.body as { status: string }).status)).toEqual(
      expect.arrayContaining(['running', 'finished', 'failed']),
    );
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('when a report breaks the Ops-Core spec, then Prism refuses it (so the check above can fail)', async () => {
    const client = createOpsCoreClient({ baseUrl: opsCore.baseUrl, apiKey: 'prism-key' });
    const { response } = await client.POST('/v1/opscore/agent/{agent_id}/state', {
      params: { path: { agent_id: AGENT_ID } },
      // A timestamp without a date part: the spec's IsoTimestamp pattern refuses it.
      body: { agentId: AGENT_ID, state: 'idle', timestamp: '08:15' },
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
  });
});
