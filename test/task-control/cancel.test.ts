// Cancellation through POST /v1/tasks/{taskId}/cancel, against AgentKit as a process (SQLite),
// an SDK agent in this process and an agent that ignores cancel notices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, TaskCanceledError, type Agent, type TaskContext } from '../../src/sdk/index.js';
import { keepingLogger } from '../faults/support.js';
import { agentStates, AGENTKIT_KEY, api, dispatch, getTask, OPSCORE_KEY, PlainAgent, startControlSystem, taskReaches, taskStates, until, type ControlSystem } from './support.js';

let sys: ControlSystem;
let base: string;
let agent: Agent;
/** Task ids in the order the SDK agent's handlers started them. */
const handled: string[] = [];
/** What each `block` handler's signal aborted with. */
const abortReasons = new Map<string, unknown>();

beforeAll(async () => {
  sys = await startControlSystem();
  base = sys.urls[0]!;
  agent = createAgent({
    agentId: 'cancel-1',
    name: 'cancel-agent',
    version: '1.0.0',
    concurrency: 1,
    agentKitUrl: base,
    agentKitApiKey: AGENTKIT_KEY,
    opsCoreUrl: sys.opsCoreServer.url,
    opsCoreApiKey: OPSCORE_KEY,
    logger: keepingLogger(),
    handlers: {
      echo: (parameters, context: TaskContext) => {
        handled.push(context.taskId);
        return parameters;
      },
      // Runs until its signal aborts.
      block: (_parameters, context: TaskContext) => {
        handled.push(context.taskId);
        return new Promise((_resolve, reject) => {
          context.signal.addEventListener('abort', () => {
            abortReasons.set(context.taskId, context.signal.reason);
            reject(context.signal.reason);
          });
        });
      },
    },
  });
  await agent.start();
});

afterAll(async () => {
  await agent?.stop({ timeoutMs: 3000 });
  await sys?.stop();
});

const cancel = (taskId: string, reason?: string) => api(base, 'POST', `/v1/tasks/${taskId}/cancel`, reason === undefined ? {} : { reason });

describe('cancel', () => {
  it('when a queued task and then a running one are canceled (each twice), then the queued one is never delivered and the running handler sees the cancel; Ops-Core hears canceled, then idle', async () => {
    const running = await dispatch(base, 'cancel-1', 'block');
    await taskReaches(base, running, ['running']);
    // The agent takes one task at once, so AgentKit keeps this one queued.
    const queued = await dispatch(base, 'cancel-1', 'echo', { n: 1 });
    expect((await getTask(base, queued)).status).toBe('queued');

    const first = await cancel(queued, 'not needed');
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ status: 'canceled', cancelReason: 'not needed' });
    const again = await cancel(queued);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ status: 'canceled', cancelRequestedAt: (first.json as { cancelRequestedAt: string }).cancelRequestedAt });
    const deliveries = (await api(base, 'GET', '/v1/webhook-deliveries?kind=task.delivery&agentId=cancel-1')).json as { items: Array<{ taskId: string; status: string }> };
    expect(deliveries.items.find((d) => d.taskId === queued)?.status).toBe('canceled');

    const asked = await cancel(running, 'workflow aborted');
    expect(asked.status).toBe(202);
    expect(asked.json).toMatchObject({ status: 'canceling', cancelReason: 'workflow aborted' });
    const askedAgain = await cancel(running, 'workflow aborted');
    expect([200, 202]).toContain(askedAgain.status);
    expect(askedAgain.json).toMatchObject({ cancelRequestedAt: (asked.json as { cancelRequestedAt: string }).cancelRequestedAt });

    await taskReaches(base, running, ['canceled']);
    const reason = abortReasons.get(running);
    expect(reason).toBeInstanceOf(TaskCanceledError);
    expect((reason as TaskCanceledError).reason).toBe('workflow aborted');
    await until(() => agentStates(sys.opsCore, 'cancel-1').at(-1)?.state === 'idle' && taskStates(sys.opsCore, 'cancel-1', running).length >= 2, 20_000, () => 'Ops-Core to hear canceled, then idle');
    expect(taskStates(sys.opsCore, 'cancel-1', running).map((s) => s.state)).toEqual(['active', 'canceled']);
    const states = agentStates(sys.opsCore, 'cancel-1').map((s) => s.state);
    expect(states.slice(states.lastIndexOf('canceled'))).toEqual(['canceled', 'idle']);

    // The slot is free again: the next task runs, and the canceled one never reached the agent.
    const next = await dispatch(base, 'cancel-1', 'echo', { n: 2 });
    await taskReaches(base, next, ['finished']);
    expect(handled).toEqual([running, next]);
  });

  it('when a finished task is canceled, then 409 problem+json, and it stays finished', async () => {
    const done = await dispatch(base, 'cancel-1', 'echo', { n: 3 });
    await taskReaches(base, done, ['finished']);
    const res = await api(base, 'POST', `/v1/tasks/${done}/cancel`, {});
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ status: 409, detail: expect.stringContaining('finished') });
    expect((await getTask(base, done)).status).toBe('finished');
  });

  it('when the task is unknown, then 404', async () => {
    expect((await cancel('0190f0b0-0000-7000-8000-0000000000ff')).status).toBe(404);
  });

  it('when the agent never confirms, then AgentKit cancels the task after the grace, tells Ops-Core, and answers a late outcome 409 (recorded)', async () => {
    const deaf = await new PlainAgent('deaf-1', sys.opsCoreServer.url, 500).start();
    try {
      expect((await api(base, 'POST', '/v1/agents', { agentId: 'deaf-1', agentName: 'deaf', version: '1', contactEndpoint: deaf.url })).status).toBe(201);
      await until(() => sys.opsCore.received().agents.some((a) => a.agentId === 'deaf-1'), 20_000, () => 'Ops-Core to hear REGISTER of deaf-1');
      const taskId = await dispatch(base, 'deaf-1', 'echo');
      await taskReaches(base, taskId, ['delivered']);

      expect((await cancel(taskId, 'stop')).status).toBe(202);
      const ended = await taskReaches(base, taskId, ['canceled'], 20_000);
      expect(ended.status).toBe('canceled');
      expect(deaf.cancelNotices.length).toBeGreaterThanOrEqual(1);
      expect(deaf.cancelNotices[0]).toBe(`/tasks/${taskId}/cancel`);
      await until(() => taskStates(sys.opsCore, 'deaf-1', taskId).some((s) => s.state === 'canceled'), 20_000, () => 'Ops-Core to hear canceled from AgentKit');

      const late = await api(base, 'POST', `/v1/tasks/${taskId}/reports`, { status: 'finished', result: { late: true } });
      expect(late.status).toBe(409);
      expect(await getTask(base, taskId)).toMatchObject({ status: 'canceled', lateOutcome: { status: 'finished' } });
      const again = await cancel(taskId);
      expect(again.status).toBe(200);
      expect(again.json).toMatchObject({ status: 'canceled' });
    } finally {
      await deaf.stop();
    }
  });
});
