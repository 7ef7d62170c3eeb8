// What the real Ops-Core's own code sends to AgentKit (OPSCORE_CONTRACT.md, "What Ops-Core's own
// code sends to AgentKit"): the message envelope its dispatcher builds on /run, the original
// registration route, and the health check its integration tests poll.
import { afterEach, describe, expect, it } from 'vitest';
import { createOpsCoreReference, type RunningReference } from '../../src/opscore-reference/index.js';
import { eventually, Receiver } from '../support/receiver.js';
import { registration, startService, WEBHOOK_SECRET, type TestService } from '../support/service.js';

let agent: Receiver;
let ak: TestService;
let reference: RunningReference | undefined;

afterEach(async () => {
  await ak?.stop();
  await agent?.stop();
  await reference?.close();
  reference = undefined;
});

async function withAgent() {
  agent = await new Receiver().start();
  agent.answer(() => ({ status: 202 }));
  ak = await startService();
  await ak.client.POST('/v1/agents', { body: registration({ agentId: 'worker-1', contactEndpoint: `${agent.url}/tasks` }) });
}

const run = (body: unknown) =>
  fetch(`${ak.url}/v1/agents/worker-1/run`, { method: 'POST', headers: { authorization: ak.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Dispatches `body`, waits for its delivery, and returns what the agent got and the task API shows. */
async function dispatchAndDeliver(body: unknown) {
  const response = await run(body);
  expect(response.status).toBe(202);
  const accepted = (await response.json()) as { taskId: string };
  await agent.waitFor(() => agent.requests.some((r) => (r.json as { taskId?: string }).taskId === accepted.taskId), 10_000, 'the delivery');
  const delivery = agent.requests.find((r) => (r.json as { taskId?: string }).taskId === accepted.taskId)!.json as Record<string, unknown>;
  const { data: task } = await ak.client.GET('/v1/tasks/{taskId}', { params: { path: { taskId: accepted.taskId } } });
  return { accepted, delivery, task: task! };
}

describe('POST /v1/agents/{agentId}/run with the message envelope of Ops-Core\'s dispatcher', () => {
  it('when payload names the task (task_name, task_parameters), then the agent and the task API get the mapped task and the envelope is kept', async () => {
    await withAgent();
    const sessionContext = { workflowId: 'wf-1', sessionId: 'sess-1', taskId: 'task_9c1e', extra: { step: 3 } };
    const { delivery, task } = await dispatchAndDeliver({
      senderId: 'opscore_system_id',
      messageType: 'workflow_task',
      payload: { task_name: 'summarise', task_parameters: { text: 'hello', words: 5 } },
      sessionContext,
    });
    const mapped = {
      task_name: 'summarise',
      parameters: { text: 'hello', words: 5 },
      opscore_session_id: 'sess-1',
      opscore_task_id: 'task_9c1e',
      opscoreMessage: { senderId: 'opscore_system_id', messageType: 'workflow_task', sessionContext, timestamp: null },
    };
    expect(delivery).toMatchObject({ ...mapped, agentId: 'worker-1', attempt: 1 });
    expect(task).toMatchObject(mapped);
  });

  it('when payload is the parameters themselves (what the dispatcher sends today), then the task is named by messageType and runs with the payload', async () => {
    await withAgent();
    const { delivery, task } = await dispatchAndDeliver({
      senderId: 'opscore_system_id',
      messageType: 'echo',
      payload: { message: 'hi', n: 2 },
      sessionContext: { workflowId: 'wf-2', sessionId: 'sess-2', taskId: 'task-2' },
    });
    expect(delivery).toMatchObject({ task_name: 'echo', parameters: { message: 'hi', n: 2 }, opscore_session_id: 'sess-2', opscore_task_id: 'task-2' });
    expect(task).toMatchObject({ task_name: 'echo', parameters: { message: 'hi', n: 2 }, opscore_session_id: 'sess-2', opscore_task_id: 'task-2' });
  });

  it('when payload.task_name is given without task_parameters, then the rest of the payload is the parameters', async () => {
    await withAgent();
    const { task } = await dispatchAndDeliver({ senderId: 's', messageType: 'workflow_task', payload: { task_name: 'echo', message: 'hi' }, sessionContext: null });
    expect(task).toMatchObject({ task_name: 'echo', parameters: { message: 'hi' }, opscore_session_id: null, opscore_task_id: null });
    expect(task.opscoreMessage).toEqual({ senderId: 's', messageType: 'workflow_task', sessionContext: null, timestamp: null });
  });

  it('when the original model\'s top-level fields come too, then they win over payload and sessionContext, and the timestamp is kept', async () => {
    await withAgent();
    const { task } = await dispatchAndDeliver({
      senderId: 'opscore_system_id',
      messageType: 'workflow_task',
      task_name: 'top-level',
      opscore_session_id: 'sess-top',
      opscore_task_id: 'task-top',
      timestamp: '2026-11-24T08:15:00Z',
      payload: { task_name: 'in-payload', task_parameters: { a: 1 } },
      sessionContext: { sessionId: 'sess-ctx', taskId: 'task-ctx' },
    });
    expect(task).toMatchObject({ task_name: 'top-level', parameters: { a: 1 }, opscore_session_id: 'sess-top', opscore_task_id: 'task-top' });
    expect(task.opscoreMessage?.timestamp).toBe('2026-11-24T08:15:00Z');
  });

  it('when a task by name is dispatched, then it is as before and has no opscoreMessage', async () => {
    await withAgent();
    const { delivery, task } = await dispatchAndDeliver({ task_name: 'echo', parameters: { message: 'hi' } });
    expect(task).toMatchObject({ task_name: 'echo', parameters: { message: 'hi' }, opscoreMessage: null });
    expect(delivery.opscoreMessage).toBeNull();
  });

  it('when the body has both parameters and payload, then it is 400 problem+json naming both, and nothing is stored', async () => {
    await withAgent();
    const response = await run({ task_name: 'echo', parameters: {}, senderId: 's', messageType: 'm', payload: {} });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as { detail: string; errors: Array<{ path: string; message: string }> };
    expect(problem.detail).toContain('`parameters` (TaskDispatch)');
    expect(problem.detail).toContain('`payload`');
    expect(problem.errors).toEqual([{ path: '/body', message: expect.stringContaining('mixes two shapes') }]);
    const { data } = await ak.client.GET('/v1/tasks', { params: { query: {} } });
    expect(data!.items).toHaveLength(0);
  });

  it('when the body is empty, then it is 400 naming what a task by name lacks', async () => {
    await withAgent();
    const response = await run({});
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { detail: string; errors: Array<{ path: string; message: string }> };
    expect(problem.detail).toMatch(/^The body is neither TaskDispatch nor OpsCoreMessage; read as TaskDispatch/);
    expect(problem.errors).toEqual([{ path: '/body/task_name', message: "must have required property 'task_name'" }]);
  });

  it('when an envelope lacks payload or has a non-string payload.task_name, then the 400 speaks of the envelope only', async () => {
    await withAgent();
    const missing = (await (await run({ senderId: 's', messageType: 'm' })).json()) as { errors: Array<{ path: string }> };
    expect(missing.errors.map((e) => e.path)).toEqual(['/body/payload']);
    const wrong = await run({ senderId: 's', messageType: 'm', payload: { task_name: 5 } });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(['/body/payload/task_name']);
  });
});

describe('POST /v1/agents/register (the original AgentKit\'s route)', () => {
  it('when an agent registers there, then it answers 201 in the original envelope and its REGISTER reaches Ops-Core as for POST /v1/agents', async () => {
    const opsCore = createOpsCoreReference({ apiKey: 'ops-key', webhookSecret: WEBHOOK_SECRET, logger: silent });
    reference = await opsCore.start();
    ak = await startService({ OPSCORE_WEBHOOK_URL: `${reference.url}/v1/opscore/internal/agent/notify`, OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET });

    const body = { agentName: 'fixture-agent', version: '1.0.0', capabilities: ['echo'], contactEndpoint: 'http://127.0.0.1:9/tasks', metadata: { from: 'fixture' } };
    const response = await fetch(`${ak.url}/v1/agents/register`, { method: 'POST', headers: { authorization: ak.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(201);
    const answer = (await response.json()) as { status: string; message: string; data: { agentId: string; signingSecret: string } };
    expect(answer.status).toBe('success');
    expect(answer.message).toBe("Agent 'fixture-agent' registered successfully.");
    expect(answer.data.signingSecret).toMatch(/^whsec_/);

    const { data: stored } = await ak.client.GET('/v1/agents/{agentId}', { params: { path: { agentId: answer.data.agentId } } });
    expect(stored).toMatchObject({ ...body, agentId: answer.data.agentId });
    const notification = await eventually(() => opsCore.received().notifications.find((n) => n.agentId === answer.data.agentId), 10_000, 'the REGISTER notification');
    expect(notification).toMatchObject({ eventType: 'REGISTER', signature: 'verified', body: { event_type: 'REGISTER', agent_details: { ...body, agentId: answer.data.agentId } } });
  });

  it('when the same agentId registers again there, then it answers 200 "updated" in the same envelope', async () => {
    ak = await startService();
    const register = (version: string) =>
      fetch(`${ak.url}/v1/agents/register`, { method: 'POST', headers: { authorization: ak.auth, 'content-type': 'application/json' }, body: JSON.stringify(registration({ agentId: 'fixture-1', version })) });
    expect((await register('1.0.0')).status).toBe(201);
    const again = await register('1.1.0');
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'success', message: "Agent 'test-agent' updated successfully.", data: { agentId: 'fixture-1', version: '1.1.0' } });
  });

  it('when the key is missing, then it is 401 as for POST /v1/agents', async () => {
    ak = await startService();
    const response = await fetch(`${ak.url}/v1/agents/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(registration()) });
    expect(response.status).toBe(401);
  });

  it('when an agent asks for the id "register", then registration refuses it with 400, since that path is taken', async () => {
    ak = await startService();
    const { response } = await ak.client.POST('/v1/agents', { body: registration({ agentId: 'register' }) });
    expect(response.status).toBe(400);
  });
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };
