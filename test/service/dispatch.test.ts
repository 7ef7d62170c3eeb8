import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookVerifier } from '../../src/client/webhooks.js';
import { eventually, Receiver } from '../support/receiver.js';
import { registration, startService, type TestService } from '../support/service.js';

let agent: Receiver;
let opsCore: Receiver;
let ak: TestService;

async function setup(env: Record<string, string> = {}) {
  agent = await new Receiver().start();
  opsCore = await new Receiver().start();
  opsCore.answer(() => ({ status: 202, body: '{"status":"success","message":null}' }));
  ak = await startService({ OPSCORE_API_URL: opsCore.url, OPSCORE_API_KEY: 'ops-key', AGENTKIT_TASK_RETRY_SCHEDULE: '0,0.05,0.05', ...env });
  const { data } = await ak.client.POST('/v1/agents', { body: registration({ agentId: 'worker-1', contactEndpoint: `${agent.url}/tasks` }) });
  return data!.signingSecret!;
}

afterEach(async () => {
  await ak?.stop();
  await agent?.stop();
  await opsCore?.stop();
});

const dispatch = (body: { task_name: string; parameters?: Record<string, unknown>; timeout_seconds?: number; opscore_task_id?: string; opscore_session_id?: string }, key?: string) =>
  ak.client.POST('/v1/agents/{agentId}/run', {
    params: { path: { agentId: 'worker-1' }, ...(key ? { header: { 'Idempotency-Key': key } } : {}) },
    body,
  });

async function taskStatus(taskId: string, status: string) {
  return eventually(async () => {
    const { data } = await ak.client.GET('/v1/tasks/{taskId}', { params: { path: { taskId } } });
    return data?.status === status ? data : undefined;
  }, 10_000, `task ${taskId} to be ${status}`);
}

describe('task delivery to the agent', () => {
  it('when a task is dispatched, then the agent receives the envelope signed with its secret and the task becomes delivered', async () => {
    const secret = await setup();
    agent.answer(() => ({ status: 202 }));
    const { data: task } = await dispatch({ task_name: 'echo', parameters: { msg: 'hi' }, opscore_task_id: 't-1', opscore_session_id: 's-1', timeout_seconds: 30 });
    await agent.waitFor(() => agent.requests.length === 1);
    const req = agent.requests[0]!;
    expect(req.path).toBe('/tasks');
    new WebhookVerifier(secret).verify(req.rawBody, req.headers);
    // Checked apart from our own verifier too: the standardwebhooks library, and the X-AgentKit rule with node:crypto.
    expect(() => new Webhook(secret).verify(req.rawBody, req.headers)).not.toThrow();
    const xSignature = createHmac('sha256', secret).update(`${req.headers['x-agentkit-timestamp']}.${req.rawBody}`).digest('hex');
    expect(req.headers['x-agentkit-signature']).toBe(xSignature);
    expect(req.json).toMatchObject({ taskId: task!.taskId, agentId: 'worker-1', task_name: 'echo', parameters: { msg: 'hi' }, opscore_task_id: 't-1', opscore_session_id: 's-1', timeout_seconds: 30, attempt: 1 });
    expect((req.json as { deadline: string }).deadline).toBeTruthy();
    const delivered = await taskStatus(task!.taskId, 'delivered');
    expect(delivered.deliveredAt).toBeTruthy();
  });

  it('when the agent fails twice with 503, then the third attempt delivers with the same webhook-id', async () => {
    await setup();
    agent.answer((_r, i) => (i < 2 ? { status: 503 } : { status: 202 }));
    const { data: task } = await dispatch({ task_name: 'echo' });
    await taskStatus(task!.taskId, 'delivered');
    expect(agent.requests.map((r) => (r.json as { attempt: number }).attempt)).toEqual([1, 2, 3]);
    expect(new Set(agent.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it('when the agent is unreachable for the whole budget, then the task fails and AgentKit reports error to Ops-Core naming the task', async () => {
    await setup();
    await agent.stop();
    const { data: task } = await dispatch({ task_name: 'echo', opscore_task_id: 't-9', opscore_session_id: 's-9' });
    const failed = await taskStatus(task!.taskId, 'failed');
    expect(failed.error).toMatchObject({ code: 'undeliverable' });
    await opsCore.waitFor(() => opsCore.requests.length === 1);
    const report = opsCore.requests[0]!;
    expect(report.path).toBe('/v1/opscore/agent/worker-1/state');
    expect(report.headers.authorization).toBe('Bearer ops-key');
    expect(report.json).toMatchObject({
      agentId: 'worker-1',
      state: 'error',
      details: { taskId: task!.taskId, task_name: 'echo', opscore_task_id: 't-9', opscore_session_id: 's-9' },
    });
  });

  it('when the agent cannot be reached before timeout_seconds, then the task fails as timed out', async () => {
    await setup({ AGENTKIT_TASK_RETRY_SCHEDULE: '0,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3' });
    agent.answer(() => ({ status: 503 }));
    const started = Date.now();
    const { data: task } = await dispatch({ task_name: 'echo', timeout_seconds: 1 });
    const failed = await taskStatus(task!.taskId, 'failed');
    expect(failed.error).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
    await opsCore.waitFor(() => opsCore.requests.length === 1);
    expect(opsCore.requests[0]!.json).toMatchObject({ state: 'error', details: { taskId: task!.taskId } });
  });

  it('when the agent refuses with 400, then the task fails at once', async () => {
    await setup();
    agent.answer(() => ({ status: 400, body: '{"title":"bad"}' }));
    const { data: task } = await dispatch({ task_name: 'echo' });
    const failed = await taskStatus(task!.taskId, 'failed');
    expect(failed.error).toMatchObject({ code: 'refused' });
    expect(agent.requests).toHaveLength(1);
  });

  it('when Ops-Core answers 404 to the error report at first (agent not known yet), then AgentKit retries until it lands', async () => {
    await setup({ AGENTKIT_WEBHOOK_RETRY_SCHEDULE: '0,0.05,0.05,0.05,0.05' });
    await agent.stop();
    opsCore.answer((_r, i) => (i < 2 ? { status: 404, body: '{"detail":"Agent not found"}' } : { status: 202 }));
    await dispatch({ task_name: 'echo' });
    await opsCore.waitFor(() => opsCore.requests.length === 3);
    const { data } = await ak.client.GET('/v1/webhook-deliveries', { params: { query: { kind: 'opscore.state' } } });
    await eventually(async () => {
      const { data: d } = await ak.client.GET('/v1/webhook-deliveries', { params: { query: { kind: 'opscore.state', status: 'succeeded' } } });
      return d?.items.length === 1 ? true : undefined;
    });
    expect(data?.items[0]?.kind).toBe('opscore.state');
  });

  it('when the agent deregisters with tasks still queued, then those tasks fail and error is reported for each', async () => {
    await setup();
    agent.answer(() => 'hang');
    await agent.stop();
    // The agent is down, so the tasks stay queued while retrying.
    await ak.stop();
    ak = await startService({ OPSCORE_API_URL: opsCore.url, OPSCORE_API_KEY: 'ops-key', AGENTKIT_TASK_RETRY_SCHEDULE: '0,60' });
    await ak.client.POST('/v1/agents', { body: registration({ agentId: 'worker-1', contactEndpoint: 'http://127.0.0.1:9/tasks' }) });
    const a = await dispatch({ task_name: 'one' });
    const b = await dispatch({ task_name: 'two' });
    await ak.client.DELETE('/v1/agents/{agentId}', { params: { path: { agentId: 'worker-1' } } });
    for (const t of [a.data!, b.data!]) {
      const failed = await taskStatus(t.taskId, 'failed');
      expect(failed.error).toMatchObject({ code: 'agent_deregistered' });
    }
    await opsCore.waitFor(() => opsCore.requests.length === 2);
    expect(opsCore.requests.map((r) => (r.json as { details: { task_name: string } }).details.task_name).sort()).toEqual(['one', 'two']);
  });
});

describe('tasks the agent took but never finished', () => {
  it('when a delivered task passes its deadline with no outcome from the agent, then AgentKit fails it and reports error to Ops-Core', async () => {
    await setup({ AGENTKIT_TASK_OUTCOME_GRACE_MS: '200' });
    agent.answer(() => ({ status: 202 })); // accepts, then (as if it crashed) never reports
    const { data: task } = await dispatch({ task_name: 'echo', timeout_seconds: 1, opscore_task_id: 't-lost' });
    await taskStatus(task!.taskId, 'delivered');
    const failed = await taskStatus(task!.taskId, 'failed');
    expect(failed.error).toMatchObject({ code: 'timeout' });
    await opsCore.waitFor(() => opsCore.requests.length === 1);
    expect(opsCore.requests[0]!.json).toMatchObject({ agentId: 'worker-1', state: 'error', details: { taskId: task!.taskId, opscore_task_id: 't-lost' } });
  });

  it('when the agent reports its outcome in time, then the watchdog leaves the task alone', async () => {
    await setup({ AGENTKIT_TASK_OUTCOME_GRACE_MS: '0' });
    agent.answer(() => ({ status: 202 }));
    const { data: task } = await dispatch({ task_name: 'echo', timeout_seconds: 1 });
    await taskStatus(task!.taskId, 'delivered');
    await ak.client.POST('/v1/tasks/{taskId}/reports', { params: { path: { taskId: task!.taskId } }, body: { status: 'finished', result: 'ok' } });
    // Well past the deadline, the task is still finished and nothing was reported by AgentKit.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await ak.client.GET('/v1/tasks/{taskId}', { params: { path: { taskId: task!.taskId } } })).data?.status).toBe('finished');
    expect(opsCore.requests).toHaveLength(0);
  });
});

describe('Idempotency-Key', () => {
  it('when the same key comes with the same body, then the same task is returned and only one is delivered', async () => {
    await setup();
    agent.answer(() => ({ status: 202 }));
    const first = await dispatch({ task_name: 'echo', parameters: { a: 1, b: 2 } }, 'key-1');
    const second = await dispatch({ task_name: 'echo', parameters: { b: 2, a: 1 } }, 'key-1');
    expect(second.response.status).toBe(202);
    expect(second.data?.taskId).toBe(first.data?.taskId);
    await taskStatus(first.data!.taskId, 'delivered');
    const { data } = await ak.client.GET('/v1/tasks', { params: { query: { agentId: 'worker-1' } } });
    expect(data?.items).toHaveLength(1);
    expect(agent.requests).toHaveLength(1);
  });

  it('when the same key comes with a different body, then 409 problem+json and nothing new is stored', async () => {
    await setup();
    await dispatch({ task_name: 'echo' }, 'key-2');
    const res = await fetch(`${ak.url}/v1/agents/worker-1/run`, {
      method: 'POST',
      headers: { authorization: ak.auth, 'content-type': 'application/json', 'idempotency-key': 'key-2' },
      body: JSON.stringify({ task_name: 'other' }),
    });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(Object.values((await ak.service.store.counts()).tasks).reduce((a, b) => a + b, 0)).toBe(1);
  });
});
