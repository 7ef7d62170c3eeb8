import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSystem, type TestSystem } from './support/harness.js';

describe('the agent task endpoint (taskDelivery webhook)', () => {
  let system: TestSystem;
  let calls: Array<Record<string, unknown>>;

  beforeEach(async () => {
    calls = [];
    system = await startSystem({
      agent: {
        handlers: {
          echo: (parameters) => {
            calls.push(parameters);
            return parameters;
          },
        },
      },
    });
  });
  afterEach(async () => {
    await system.stop();
  });

  it('when a signed, valid task arrives, then it answers 202 with the taskId at once', async () => {
    const envelope = system.agentKit.envelope(system.started.agentId, { parameters: { message: 'hi' } });
    const response = await system.agentKit.deliver(envelope);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ taskId: envelope.taskId, duplicate: false });
  });

  it('when the signature is made with another secret, then it answers 401 problem+json and runs nothing', async () => {
    const envelope = system.agentKit.envelope(system.started.agentId);
    const response = await system.agentKit.deliver(envelope, { secret: 'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==' });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ type: 'urn:agentkit:problem:bad-signature', status: 401 });
    expect(calls).toHaveLength(0);
  });

  it('when signature headers are missing, then it answers 401', async () => {
    const envelope = system.agentKit.envelope(system.started.agentId);
    const response = await fetch(system.started.contactEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(envelope),
    });
    expect(response.status).toBe(401);
    expect((await response.json()) as { detail: string }).toMatchObject({ title: 'Invalid signature' });
  });

  it('when the body breaks the TaskEnvelope schema, then it answers 400 problem+json listing each issue', async () => {
    const envelope = system.agentKit.envelope(system.started.agentId);
    const { task_name: _drop, ...withoutName } = envelope;
    const rawBody = JSON.stringify({ ...withoutName, attempt: 0 });
    const response = await system.agentKit.deliver(envelope, { rawBody });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as { type: string; errors: Array<{ path: string }> };
    expect(problem.type).toBe('urn:agentkit:problem:validation');
    expect(problem.errors.map((e) => e.path).sort()).toEqual(['/body/attempt', '/body/task_name']);
    expect(calls).toHaveLength(0);
  });

  it('when the signed body is not JSON, then it answers 400', async () => {
    const envelope = system.agentKit.envelope(system.started.agentId);
    const response = await system.agentKit.deliver(envelope, { rawBody: '{not json' });
    expect(response.status).toBe(400);
  });

  it('when the task is addressed to another agent, then it answers 400', async () => {
    const envelope = system.agentKit.envelope(system.started.agentId);
    const response = await system.agentKit.deliver(envelope, { rawBody: JSON.stringify({ ...envelope, agentId: 'someone-else' }) });
    expect(response.status).toBe(400);
  });

  it('when the same task is delivered twice, then it answers 202 both times and runs the handler once', async () => {
    const envelope = system.agentKit.envelope(system.started.agentId, { parameters: { n: 1 } });
    const first = await system.agentKit.deliver(envelope);
    await system.waitForStates(4); // idle, active, finished, idle
    const second = await system.agentKit.deliver({ ...envelope, attempt: 2 });
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(await second.json()).toEqual({ taskId: envelope.taskId, duplicate: true });
    expect(await system.agent.flushReports(5_000)).toBe(true);
    expect(calls).toEqual([{ n: 1 }]);
    expect(system.states().map((s) => s.state)).toEqual(['idle', 'active', 'finished', 'idle']);
  });

  it('when a duplicate arrives while the task still runs, then the handler still runs once', async () => {
    const envelope = system.agentKit.envelope(system.started.agentId);
    const [a, b] = await Promise.all([system.agentKit.deliver(envelope), system.agentKit.deliver(envelope)]);
    const answers = [(await a.json()) as { duplicate: boolean }, (await b.json()) as { duplicate: boolean }];
    expect(answers.map((x) => x.duplicate).sort()).toEqual([false, true]);
    await system.waitForStates(4);
    expect(calls).toHaveLength(1);
  });

  it('when another path is asked, then it answers 404 problem+json', async () => {
    const response = await fetch(`${system.started.url}/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });
});
