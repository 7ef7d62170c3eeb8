// Per-agent capacity: an SDK agent with concurrency 2 declares maxConcurrentTasks 2, and with 20
// tasks dispatched at once AgentKit has at most 2 of them with the agent at any moment (the agent
// counts what it holds, running or waiting in its own queue, each time a handler starts), all 20
// finish, and they start in dispatch order. On SQLite, and on PostgreSQL with two replicas that
// both take the dispatches.
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../src/sdk/index.js';
import { keepingLogger } from '../faults/support.js';
import { AGENTKIT_KEY, api, OPSCORE_KEY, startControlSystem, until } from './support.js';

const TASKS = 20;
const LIMIT = 2;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe.each([
  { store: 'SQLite', replicas: 0 },
  { store: 'PostgreSQL, two replicas', replicas: 2 },
])('capacity on $store', ({ replicas }) => {
  it(`when ${TASKS} tasks go at once to an agent of concurrency ${LIMIT}, then it never holds more than ${LIMIT}, all finish, and they start in dispatch order`, async () => {
    const sys = await startControlSystem({ replicas });
    cleanups.push(() => sys.stop());

    const started: number[] = [];
    let peakHeld = 0;
    let agent: Agent | undefined = undefined;
    agent = createAgent({
      agentId: 'capacity-1',
      name: 'capacity-agent',
      version: '1.0.0',
      concurrency: LIMIT,
      agentKitUrl: sys.urls[0]!,
      agentKitApiKey: AGENTKIT_KEY,
      opsCoreUrl: sys.opsCoreServer.url,
      opsCoreApiKey: OPSCORE_KEY,
      logger: keepingLogger(),
      handlers: {
        work: async (parameters) => {
          // Everything the agent holds now: the running handlers and what waits in its own queue.
          peakHeld = Math.max(peakHeld, agent!.runningTasks + agent!.queuedTasks);
          started.push(parameters.i as number);
          // Long enough that more deliveries would pile up here if AgentKit sent them.
          await delay(40);
          return { i: parameters.i };
        },
      },
    });
    cleanups.push(() => agent!.stop({ timeoutMs: 3000 }));
    await agent.start();
    expect((await api(sys.urls[0]!, 'GET', '/v1/agents/capacity-1')).json).toMatchObject({ maxConcurrentTasks: LIMIT });

    // All at once, spread over the replicas; dispatch order is the order AgentKit stored them in.
    const ids = await Promise.all(
      Array.from({ length: TASKS }, async (_, i) => {
        const res = await api(sys.urls[i % sys.urls.length]!, 'POST', '/v1/agents/capacity-1/run', { task_name: 'work', parameters: { i } });
        expect(res.status).toBe(202);
        return (res.json as { taskId: string }).taskId;
      }),
    );
    const listed = (await api(sys.urls[0]!, 'GET', '/v1/tasks?agentId=capacity-1&limit=100')).json as { items: Array<{ taskId: string; parameters: { i: number } }> };
    const dispatchOrder = listed.items.reverse().map((t) => t.parameters.i);
    expect(listed.items.map((t) => t.taskId).sort()).toEqual([...ids].sort());

    await until(
      async () => ((await api(sys.urls[0]!, 'GET', '/v1/tasks?agentId=capacity-1&status=finished&limit=100')).json as { items: unknown[] }).items.length === TASKS,
      60_000,
      () => `all ${TASKS} tasks to finish (started so far: ${started.length})`,
    );
    expect(peakHeld).toBeLessThanOrEqual(LIMIT);
    expect([...started].sort((a, b) => a - b)).toEqual(Array.from({ length: TASKS }, (_, i) => i));
    // Two run side by side, so two let through together may arrive in either order; one dispatched
    // LIMIT places later never starts first.
    const position = new Map(started.map((i, at) => [i, at]));
    for (let a = 0; a < TASKS; a++) {
      for (let b = a + LIMIT; b < TASKS; b++) {
        expect(position.get(dispatchOrder[a]!)!, `task ${dispatchOrder[a]} (dispatched ${a}) starts before task ${dispatchOrder[b]} (dispatched ${b})`).toBeLessThan(position.get(dispatchOrder[b]!)!);
      }
    }
    expect((await api(sys.urls[0]!, 'GET', '/v1/agents/capacity-1')).json).toMatchObject({ maxConcurrentTasks: LIMIT });
  });
});
