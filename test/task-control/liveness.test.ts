// Every task ends, even when its agent dies: an SDK agent that declared heartbeats is SIGKILLed
// mid-task (the task has no timeout), and AgentKit fails the task with heartbeat_timeout and tells
// Ops-Core `error`; a plain agent that declared none (it answers 200 and reports only to Ops-Core)
// is never failed that way, and its state at Ops-Core stays as it reported. On PostgreSQL, with
// two replicas, the replica the agent talked to is killed as well.
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../support/processes.js';
import { agentStates, api, dispatch, getTask, PlainAgent, startControlSystem, startExampleAgent, taskReaches, taskStates, until, type ControlSystem } from './support.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe.each([
  { store: 'SQLite', replicas: 0 },
  { store: 'PostgreSQL, two replicas', replicas: 2 },
])('liveness on $store', ({ replicas }) => {
  it('when an SDK agent is SIGKILLed mid-task (no timeout), then the task fails heartbeat_timeout, Ops-Core hears error and nothing after; a plain agent is left alone', async () => {
    const sys: ControlSystem = await startControlSystem({ replicas });
    cleanups.push(() => sys.stop());
    const first = sys.urls[0]!;
    const survivor = sys.urls[sys.urls.length - 1]!;

    // The plain agent: registered without heartbeats; it takes a task and reports only to Ops-Core.
    const plain = await new PlainAgent('plain-1', sys.opsCoreServer.url).start();
    cleanups.push(() => plain.stop());
    expect((await api(first, 'POST', '/v1/agents', { agentId: 'plain-1', agentName: 'plain', version: '1', contactEndpoint: plain.url })).status).toBe(201);
    await until(() => sys.opsCore.received().agents.some((a) => a.agentId === 'plain-1'), 20_000, () => 'Ops-Core to hear REGISTER of plain-1');
    const plainTask = await dispatch(first, 'plain-1', 'echo', { n: 1 });
    await until(() => agentStates(sys.opsCore, 'plain-1').at(-1)?.state === 'idle', 20_000, () => 'the plain agent to report idle');

    // The SDK agent, its own process, heartbeats every second; its task would sleep ten minutes.
    const agent: RunningProcess = await startExampleAgent({ agentId: 'dying-1', agentKitUrl: first, opsCoreUrl: sys.opsCoreServer.url, heartbeatSeconds: 1 });
    cleanups.push(() => agent.kill('SIGKILL'));
    const taskId = await dispatch(survivor, 'dying-1', 'sleep', { ms: 600_000 });
    await taskReaches(survivor, taskId, ['running']);
    await until(() => taskStates(sys.opsCore, 'dying-1', taskId).some((s) => s.state === 'active'), 20_000, () => 'Ops-Core to hear active');

    await agent.kill('SIGKILL');
    if (replicas > 0) await sys.processes[0]!.kill('SIGKILL');

    const failed = await taskReaches(survivor, taskId, ['failed', 'finished', 'canceled'], 30_000);
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('heartbeat_timeout');
    await until(() => taskStates(sys.opsCore, 'dying-1', taskId).some((s) => s.state === 'error'), 30_000, () => 'Ops-Core to hear error for the task');

    // Later work goes through the same outbox; nothing more arrives about the dead agent's task.
    const later = await dispatch(survivor, 'plain-1', 'echo', { n: 2 });
    await until(() => plain.received.includes(later), 20_000, () => 'the later task to reach the plain agent');
    await until(() => agentStates(sys.opsCore, 'plain-1').filter((s) => s.state === 'idle').length >= 2, 20_000, () => 'the plain agent to report idle again');
    const states = taskStates(sys.opsCore, 'dying-1', taskId);
    expect(states.map((s) => s.state)).toEqual(['active', 'error']);
    expect(states[1]!.details).toMatchObject({ taskId, error: { code: 'heartbeat_timeout' } });

    // The plain agent's first task is older than the dead one's, and was never failed; its Ops-Core state is its own.
    expect((await getTask(survivor, plainTask)).status).toBe('delivered');
    expect(agentStates(sys.opsCore, 'plain-1').map((s) => s.state)).toEqual(['active', 'idle', 'active', 'idle']);
  });
});
