import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/receiver.js';
import { System, type StateRecord } from './system.js';

const names = (states: StateRecord[]) => states.map((s) => s.state);

/** Waits until the agent's history, from `from` on, ends in idle after a terminal state for `taskId`. */
async function settled(sys: System, agentId: string, taskId: string, from = 0): Promise<StateRecord[]> {
  return eventually(async () => {
    const all = (await sys.states(agentId)).slice(from);
    const end = all.findIndex((s) => s.details?.taskId === taskId && (s.state === 'finished' || s.state === 'error'));
    return end >= 0 && all.slice(end + 1).some((s) => s.state === 'idle') ? all : undefined;
  }, 30_000, `task ${taskId} to settle at Ops-Core`);
}

describe('end to end: AgentKit, the example agent and the reference Ops-Core as real processes', () => {
  const sys = new System();
  const AGENT = 'e2e-echo';

  beforeAll(async () => {
    await sys.start();
    await sys.startAgent(AGENT);
    // The agent's first report (idle) lands once Ops-Core knows it.
    await eventually(async () => ((await sys.states(AGENT)).some((s) => s.state === 'idle') ? true : undefined), 30_000, 'the first idle');
  }, 120_000);
  afterAll(async () => {
    await sys.stop();
  });

  it('when echo is dispatched, then Ops-Core receives active, finished (with the result), idle, in that order, naming the task', async () => {
    const before = (await sys.states(AGENT)).length;
    const task = await sys.dispatch(AGENT, { task_name: 'echo', parameters: { message: 'hello' }, opscore_task_id: 'ot-1', opscore_session_id: 'os-1' });
    const after = await settled(sys, AGENT, task.taskId, before);
    expect(names(after)).toEqual(['active', 'finished', 'idle']);
    const [active, finished] = after;
    for (const s of [active!, finished!]) {
      expect(s.details).toMatchObject({ taskId: task.taskId, task_name: 'echo', opscore_task_id: 'ot-1', opscore_session_id: 'os-1' });
    }
    expect(JSON.stringify(finished!.details)).toContain('hello');
    const data = await eventually(async () => {
      const r = await sys.client.GET('/v1/tasks/{taskId}', { params: { path: { taskId: task.taskId } } });
      return r.data?.status === 'finished' ? r.data : undefined;
    }, 10_000, 'AgentKit to show the task finished');
    expect(data.result).toEqual({ message: 'hello' });
  });

  it('when fail is dispatched, then Ops-Core receives error naming the task, then idle; AgentKit shows failed', async () => {
    const before = (await sys.states(AGENT)).length;
    const task = await sys.dispatch(AGENT, { task_name: 'fail', parameters: { message: 'boom' } });
    const after = await settled(sys, AGENT, task.taskId, before);
    expect(names(after)).toEqual(['active', 'error', 'idle']);
    expect(JSON.stringify(after[1]!.details)).toContain('boom');
    const { data } = await eventually(async () => {
      const r = await sys.client.GET('/v1/tasks/{taskId}', { params: { path: { taskId: task.taskId } } });
      return r.data?.status === 'failed' ? r : undefined;
    });
    expect(data?.error?.message).toContain('boom');
  });

  it('when sleep runs past timeout_seconds, then it is aborted and Ops-Core receives error', async () => {
    const before = (await sys.states(AGENT)).length;
    const task = await sys.dispatch(AGENT, { task_name: 'sleep', parameters: { ms: 10_000 }, timeout_seconds: 1 });
    const started = Date.now();
    const after = await settled(sys, AGENT, task.taskId, before);
    expect(Date.now() - started).toBeLessThan(8000);
    const terminal = after.find((s) => s.details?.taskId === task.taskId && s.state !== 'active');
    expect(terminal?.state).toBe('error');
    expect(names(after).at(-1)).toBe('idle');
  });

  it('when Ops-Core answers 503 for a while, then the reports arrive after it returns, in order', async () => {
    const before = (await sys.states(AGENT)).length;
    await sys.fault({ status: 503, match: 'state', forMs: 2500 });
    const task = await sys.dispatch(AGENT, { task_name: 'echo', parameters: { n: 1 } });
    const after = await settled(sys, AGENT, task.taskId, before);
    expect(names(after)).toEqual(['active', 'finished', 'idle']);
    const times = after.map((s) => Date.parse(s.timestamp));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('when the same task is delivered twice, then the handler runs once', async () => {
    const before = (await sys.states(AGENT)).length;
    // A task that is still running when AgentKit delivers it again (a redelivery, as after a lost 202).
    const task = await sys.dispatch(AGENT, { task_name: 'sleep', parameters: { ms: 1500 } });
    await eventually(async () => ((await sys.taskStates(AGENT, task.taskId)).some((s) => s.state === 'active') ? true : undefined), 15_000, 'the task to start');
    const { data: log } = await sys.client.GET('/v1/webhook-deliveries', { params: { query: { kind: 'task.delivery', agentId: AGENT } } });
    const delivery = log!.items.find((d) => d.taskId === task.taskId)!;
    const again = await sys.client.POST('/v1/webhook-deliveries/{deliveryId}/redeliver', { params: { path: { deliveryId: delivery.deliveryId } } });
    expect(again.response.status).toBe(202);
    await eventually(async () => {
      const { data } = await sys.client.GET('/v1/webhook-deliveries', { params: { query: { kind: 'task.delivery', agentId: AGENT, status: 'succeeded' } } });
      const d = data?.items.find((x) => x.deliveryId === delivery.deliveryId);
      return d && d.attempts >= 2 ? d : undefined;
    }, 15_000, 'the second delivery to be accepted');
    await settled(sys, AGENT, task.taskId, before);
    // Both deliveries were accepted; the task ran (and was reported) once.
    expect(names(await sys.taskStates(AGENT, task.taskId))).toEqual(['active', 'finished']);
    // A delivery of a task that already ended is refused.
    const late = await sys.client.POST('/v1/webhook-deliveries/{deliveryId}/redeliver', { params: { path: { deliveryId: delivery.deliveryId } } });
    expect(late.response.status).toBe(409);
  });
});

describe('end to end: an agent that registers before Ops-Core heard of it', () => {
  const sys = new System();
  afterAll(async () => {
    await sys.stop();
  });

  it('when the REGISTER webhook is still failing as the agent starts, then its first report still lands', async () => {
    await sys.start();
    await sys.fault({ status: 503, match: 'notify' });
    await sys.startAgent('e2e-early');
    // Ops-Core keeps refusing the REGISTER for a while: AgentKit retries it.
    await eventually(async () => {
      const { data } = await sys.client.GET('/v1/webhook-deliveries', { params: { query: { kind: 'agent.lifecycle', agentId: 'e2e-early' } } });
      return (data?.items[0]?.attempts ?? 0) >= 2 ? true : undefined;
    }, 30_000, 'REGISTER to be retried');
    expect(await sys.states('e2e-early')).toEqual([]);
    await sys.fault(null);
    const states = await eventually(async () => {
      const s = await sys.states('e2e-early');
      return s.some((x) => x.state === 'idle') ? s : undefined;
    }, 40_000, 'the first idle of an agent Ops-Core learned of late');
    expect(states[0]!.state).toBe('idle');
  }, 120_000);
});

describe('end to end: an agent restarted with the same id', () => {
  const sys = new System();
  afterAll(async () => {
    await sys.stop();
  });

  it('when it comes back without having deregistered, then Ops-Core ends with it idle, not reset by the second REGISTER', async () => {
    await sys.start();
    await sys.startAgent('e2e-phoenix');
    await eventually(async () => ((await sys.states('e2e-phoenix')).some((s) => s.state === 'idle') ? true : undefined), 30_000, 'the first idle');
    await sys.agent!.kill('SIGKILL');
    // Ops-Core is slow to take the second REGISTER, so an early idle would land first and be reset.
    await sys.fault({ status: 503, match: 'notify', count: 2 });
    await sys.startAgent('e2e-phoenix');
    const current = await eventually(async () => {
      const res = await fetch(`${sys.opsCore.url}/_reference/received`);
      const body = (await res.json()) as { notifications: { eventType: string; agentId: string }[]; agents: { agentId: string; currentState: { state: string } | null }[] };
      const registers = body.notifications.filter((n) => n.agentId === 'e2e-phoenix' && n.eventType.toUpperCase() === 'REGISTER').length;
      const agent = body.agents.find((a) => a.agentId === 'e2e-phoenix');
      return registers >= 2 && agent?.currentState?.state === 'idle' && (await sys.states('e2e-phoenix')).filter((s) => s.state === 'idle').length >= 2 ? agent : undefined;
    }, 40_000, 'the restarted agent to be idle after its second REGISTER');
    expect(current.currentState?.state).toBe('idle');
  }, 120_000);
});
