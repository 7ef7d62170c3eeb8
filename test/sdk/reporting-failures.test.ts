import { afterEach, describe, expect, it } from 'vitest';
import type { TaskContext } from '../../src/sdk/index.js';
import { eventually } from '../support/receiver.js';
import { OPSCORE_KEY, fastRetry, startSystem, type TestSystem } from './support/harness.js';

const stateRequests = (system: TestSystem) =>
  system.opsCore.received().requests.filter((r) => r.method === 'POST' && r.path === `/v1/opscore/agent/${system.started.agentId}/state`);

describe('state reports when Ops-Core fails', () => {
  let system: TestSystem | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('when Ops-Core learns of the agent late (404 first), then the report is retried and lands', async () => {
    system = await startSystem({ notifyOpsCore: false });
    await eventually(() => (stateRequests(system!).filter((r) => r.status === 404).length >= 2 ? true : undefined), 5_000, 'two 404s');
    expect(system.states()).toEqual([]);

    // The REGISTER webhook finally arrives.
    const registration = system.agentKit.agents.get(system.started.agentId)!.registration;
    const notify = await fetch(`${system.opsCoreServer.url}/v1/opscore/internal/agent/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_type: 'REGISTER', agent_details: registration }),
    });
    expect(notify.status).toBe(200);
    expect(await system.waitForStates(1)).toEqual(['idle']);
    expect(system.logs.some((l) => l.level === 'warn' && /does not know the agent yet/.test(l.msg))).toBe(true);
  });

  it('when Ops-Core keeps answering 404 past the bound, then the report is given up loudly and the next one still goes', async () => {
    system = await startSystem({ notifyOpsCore: false, agent: { opsCoreRetry: { ...fastRetry, notFoundRetryForMs: 200 } } });
    await eventually(() => (system!.logs.some((l) => l.level === 'error' && /Gave up/.test(l.msg)) ? true : undefined), 5_000, 'give-up log');
    const registration = system.agentKit.agents.get(system.started.agentId)!.registration;
    await fetch(`${system.opsCoreServer.url}/v1/opscore/internal/agent/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_type: 'REGISTER', agent_details: registration }),
    });
    await system.agentKit.deliver(system.agentKit.envelope(system.started.agentId));
    expect(await system.waitForStates(3)).toEqual(['active', 'finished', 'idle']);
  });

  it.each([400, 401, 422])('when Ops-Core answers %i, then that report is not retried, is logged as an error, and later reports still go', async (status) => {
    system = await startSystem();
    await system.waitForStates(1);
    system.opsCore.faults.inject({ status, match: 'state', count: 1, body: { detail: 'refused on purpose' } });
    await system.agentKit.deliver(system.agentKit.envelope(system.started.agentId));

    expect(await system.waitForStates(3)).toEqual(['idle', 'finished', 'idle']);
    expect(await system.agent.flushReports(5_000)).toBe(true);
    expect(stateRequests(system).map((r) => r.status)).toEqual([202, status, 202, 202]);
    const loud = system.logs.find((l) => l.level === 'error' && /REFUSED/.test(l.msg));
    expect(loud?.fields).toMatchObject({ status, report: expect.stringMatching(/^state active/) });
  });

  it('when Ops-Core answers 429 with Retry-After, then the SDK waits that long before trying again', async () => {
    system = await startSystem();
    await system.waitForStates(1);
    system.opsCore.faults.inject({ status: 429, match: 'state', count: 1, retryAfterSeconds: 1 });
    await system.agentKit.deliver(system.agentKit.envelope(system.started.agentId));
    expect(await system.waitForStates(4)).toEqual(['idle', 'active', 'finished', 'idle']);
    const [, refused, retried] = stateRequests(system);
    expect(refused!.status).toBe(429);
    expect(Date.parse(retried!.at) - Date.parse(refused!.at)).toBeGreaterThanOrEqual(950);
  });

  it('when Ops-Core answers 503 a few times, then the reports are retried and arrive in order', async () => {
    system = await startSystem();
    await system.waitForStates(1);
    system.opsCore.faults.inject({ status: 503, match: 'state', count: 3 });
    await system.agentKit.deliver(system.agentKit.envelope(system.started.agentId));
    expect(await system.waitForStates(4)).toEqual(['idle', 'active', 'finished', 'idle']);
    expect(stateRequests(system).filter((r) => r.status === 503)).toHaveLength(3);
  });

  it('when Ops-Core is down for a while, then the reports arrive after it returns, in the order they happened', async () => {
    system = await startSystem({
      agent: {
        handlers: {
          // The first task lasts long enough for the second to arrive while it runs.
          wait: (parameters, context: TaskContext) =>
            new Promise((resolve) => {
              const timer = setTimeout(() => resolve(parameters), Number(parameters.ms));
              context.signal.addEventListener('abort', () => clearTimeout(timer));
            }),
        },
      },
    });
    await system.waitForStates(1);
    const { port } = system.opsCoreServer;
    await system.opsCoreServer.close();

    const first = system.agentKit.envelope(system.started.agentId, { task_name: 'wait', parameters: { ms: 300 } });
    const second = system.agentKit.envelope(system.started.agentId, { task_name: 'wait', parameters: { ms: 0 } });
    await system.agentKit.deliver(first);
    await system.agentKit.deliver(second);
    await eventually(() => (system!.logs.filter((l) => /failed; retrying/.test(l.msg)).length >= 3 ? true : undefined), 5_000, 'retries while down');
    expect(await system.agent.flushReports(100)).toBe(false);

    system.opsCoreServer = await system.opsCore.start(port);
    expect(await system.waitForStates(6)).toEqual(['idle', 'active', 'finished', 'active', 'finished', 'idle']);
    const states = system.states();
    expect(states.slice(1, 5).map((s) => (s.details as { taskId: string }).taskId)).toEqual([first.taskId, first.taskId, second.taskId, second.taskId]);
    const times = states.map((s) => Date.parse(s.timestamp));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // Timestamps are when things happened, not when Ops-Core got them.
    expect(Date.parse(states[2]!.receivedAt)).toBeGreaterThan(times[2]!);
  });
});

describe('stop()', () => {
  it('when reports are pending, then stop() delivers them, deregisters and closes the task endpoint', async () => {
    const system = await startSystem();
    await system.waitForStates(1);
    system.opsCore.faults.inject({ status: 503, match: 'state', forMs: 300 });
    await system.agentKit.deliver(system.agentKit.envelope(system.started.agentId));
    await eventually(() => (system.agent.runningTasks === 0 ? true : undefined));

    await system.agent.stop({ timeoutMs: 5_000 });
    expect(system.states().map((s) => s.state)).toEqual(['idle', 'active', 'finished', 'idle']);
    expect(system.agentKit.deregistrations).toEqual([system.started.agentId]);
    expect(system.opsCore.received().notifications.map((n) => n.eventType)).toEqual(['REGISTER', 'DEREGISTER']);
    await expect(fetch(system.started.contactEndpoint, { method: 'POST' })).rejects.toThrow();
    await system.agentKit.stop();
    await system.opsCoreServer.close();
  });

  it('when a task is running, then stop() aborts it and reports error (shutdown), without idle', async () => {
    let reason: unknown;
    const system = await startSystem({
      agent: {
        handlers: {
          sleep: (_p, context: TaskContext) =>
            new Promise((_resolve, reject) => {
              context.signal.addEventListener('abort', () => {
                reason = context.signal.reason;
                reject(context.signal.reason);
              });
            }),
        },
      },
    });
    await system.agentKit.deliver(system.agentKit.envelope(system.started.agentId, { task_name: 'sleep' }));
    await system.waitForStates(2);
    await system.agent.stop({ timeoutMs: 5_000 });

    expect((reason as DOMException).name).toBe('AbortError');
    expect(system.states().map((s) => s.state)).toEqual(['idle', 'active', 'error']);
    expect(system.states()[2]!.details).toMatchObject({ error: { code: 'shutdown' } });
    await system.agentKit.stop();
    await system.opsCoreServer.close();
  });

  it('when Ops-Core stays down past the deadline, then stop() still ends on time and logs what it dropped', async () => {
    const system = await startSystem();
    await system.waitForStates(1);
    await system.opsCoreServer.close();
    await system.agentKit.deliver(system.agentKit.envelope(system.started.agentId));
    await eventually(() => (system.agent.runningTasks === 0 ? true : undefined));

    const began = Date.now();
    await system.agent.stop({ timeoutMs: 500 });
    expect(Date.now() - began).toBeLessThan(3_000);
    const dropped = system.logs.find((l) => l.level === 'error' && /never delivered/.test(l.msg));
    expect(dropped?.fields.dropped).toEqual(expect.arrayContaining([expect.stringMatching(/^state finished/), 'state idle']));
    expect(system.agentKit.deregistrations).toEqual([system.started.agentId]);
    await system.agentKit.stop();
  });

  it('when OPSCORE_API_KEY is wrong, then every report is refused once (401) and logged, never retried', async () => {
    const system = await startSystem({ agent: { opsCoreApiKey: `${OPSCORE_KEY}-wrong` } });
    await eventually(() => (system.logs.some((l) => /REFUSED/.test(l.msg)) ? true : undefined));
    expect(await system.agent.flushReports(2_000)).toBe(true);
    expect(system.opsCore.received().requests.filter((r) => r.path.endsWith('/state')).map((r) => r.status)).toEqual([401]);
    await system.stop();
  });
});
