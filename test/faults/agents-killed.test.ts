// Fault: SDK agents (each its own process, heartbeats every second) are SIGKILLed mid-task at
// seeded moments; some come back under the same id and re-register, the others stay dead. Every
// task AgentKit answered 202 must still end in a terminal state at Ops-Core, and every agent that
// is running at the end must end `idle` there.
// Sizes: FAULTS_AGENT_KILL_TASKS (60), FAULTS_AGENT_KILL_AGENTS (3), FAULTS_AGENT_KILL_ROUNDS (3).
import { describe, expect, it } from 'vitest';
import type { RunningProcess } from '../support/processes.js';
import { freePort } from '../support/processes.js';
import { startExampleAgent } from '../task-control/support.js';
import { faultFixture } from './fixture.js';
import { api, envInt, isTerminal, keepingLogger, listAllTasks, opsCoreEnv, say, scenarioSeed, schedule, since, statesByTask, until } from './support.js';

const S = 'agents-killed';
const TASKS = envInt('FAULTS_AGENT_KILL_TASKS', 60);
const AGENTS = Math.max(1, envInt('FAULTS_AGENT_KILL_AGENTS', 3));
const ROUNDS = envInt('FAULTS_AGENT_KILL_ROUNDS', 3);

const fx = faultFixture('agentkit-faults-agents-');

describe('fault: agents killed with SIGKILL mid-task', () => {
  it(
    'when agents are killed while their tasks run (some come back), then every task answered 202 ends at Ops-Core and the agents that run end idle',
    async () => {
      const started = Date.now();
      const rng = scenarioSeed(S);
      const { opsCore, server: opsCoreServer } = await fx.startOpsCore(keepingLogger());
      const port = await freePort();
      const agentKit = await fx.startAgentKit(port, {
        AGENTKIT_DB: fx.db,
        ...opsCoreEnv(opsCoreServer.url),
        AGENTKIT_MISSED_HEARTBEATS: '2',
        AGENTKIT_WEBHOOK_RETRY_SCHEDULE: schedule(40, 0.5),
        AGENTKIT_TASK_RETRY_SCHEDULE: schedule(8, 0.25),
        AGENTKIT_DELIVERY_TIMEOUT_MS: '2000',
      });
      const base = agentKit.url;
      const ids = Array.from({ length: AGENTS }, (_, i) => `mortal-${i}`);
      const live = new Map<string, RunningProcess>();
      const start = async (agentId: string) => {
        live.set(agentId, await startExampleAgent({ agentId, agentKitUrl: base, opsCoreUrl: opsCoreServer.url, heartbeatSeconds: 1, concurrency: 2 }));
      };
      try {
        for (const id of ids) await start(id);

        // The plan, from the seed: mostly tasks that run a while, some quick ones and some failures.
        const tasks = Array.from({ length: TASKS }, (_, i) => {
          const roll = rng.next();
          const taskName = roll < 0.7 ? 'sleep' : roll < 0.9 ? 'echo' : 'fail';
          return { i, agentId: rng.pick(ids), taskName, parameters: taskName === 'sleep' ? { ms: rng.int(200, 2000) } : { i }, taskId: '' };
        });
        for (const t of tasks) {
          const res = await api(base, 'POST', `/v1/agents/${t.agentId}/run`, { task_name: t.taskName, parameters: t.parameters }, { 'idempotency-key': `agents-killed-${t.i}` });
          expect(res.status).toBe(202);
          t.taskId = (res.json as { taskId: string }).taskId;
        }
        say(S, `dispatched ${TASKS} tasks over ${AGENTS} agents (concurrency 2 each) at ${since(started)}`);

        // The killer: each round picks a live agent with a task running, kills it, and maybe brings it back.
        const killedMidTask: string[] = [];
        const ended = async () => (await listAllTasks(base)).filter((t) => ['finished', 'failed', 'canceled'].includes(t.status)).length;
        for (let round = 0; round < ROUNDS; round++) {
          // Spread the kills over the run: round r waits until about r / (ROUNDS + 1) of the tasks ended.
          const threshold = Math.floor((TASKS * round) / (ROUNDS + 1));
          await until(async () => (await ended()) >= threshold, 120_000, () => `${threshold} tasks to end before round ${round + 1}`, 100);
          const candidates = [...live.keys()];
          if (candidates.length === 0) break;
          const victim = rng.pick(candidates);
          let running: string[] = [];
          await until(
            async () => {
              running = (await listAllTasks(base, victim)).filter((t) => t.status === 'running').map((t) => t.taskId);
              return running.length > 0 || (await listAllTasks(base, victim)).every((t) => ['finished', 'failed', 'canceled'].includes(t.status));
            },
            60_000,
            () => `a task of ${victim} to run`,
            50,
          );
          if (running.length === 0) continue;
          await live.get(victim)!.kill('SIGKILL');
          live.delete(victim);
          killedMidTask.push(...running);
          const back = rng.next() < 0.6;
          say(S, `round ${round + 1}: SIGKILL ${victim} with ${running.length} task(s) running at ${since(started)}${back ? '; it comes back' : '; it stays dead'}`);
          if (back) await start(victim);
        }
        expect(killedMidTask.length).toBeGreaterThan(0);

        const unended = () => {
          const byTask = statesByTask(opsCore.received());
          return tasks.filter((t) => !(byTask.get(t.taskId) ?? []).some(isTerminal));
        };
        await until(() => unended().length === 0, 120_000, () => `every task to end at Ops-Core: ${unended().length} have no terminal state\n${agentKit.output().slice(-2000)}`, 250);
        const akTasks = new Map((await listAllTasks(base)).map((t) => [t.taskId, t]));
        for (const t of tasks) expect(['finished', 'failed', 'canceled'], `task ${t.i} at AgentKit`).toContain(akTasks.get(t.taskId)?.status);
        // The tasks that ran when their agent died ended as AgentKit decided, not as a handler did.
        for (const taskId of killedMidTask) {
          const task = akTasks.get(taskId)!;
          expect(['failed', 'finished'], `task ${taskId}`).toContain(task.status);
          if (task.status === 'failed') expect(['heartbeat_timeout', 'agent_restarted'], `task ${taskId}`).toContain(task.error?.code);
        }
        await until(() => [...live.keys()].every((id) => opsCore.received().states[id]?.at(-1)?.state === 'idle'), 30_000, () => 'every running agent to end idle at Ops-Core', 250);

        const byTask = statesByTask(opsCore.received());
        const twice = tasks.filter((t) => (byTask.get(t.taskId) ?? []).filter(isTerminal).length > 1).length;
        const counts = new Map<string, number>();
        for (const t of akTasks.values()) counts.set(`${t.status}${t.error?.code ? `:${t.error.code}` : ''}`, (counts.get(`${t.status}${t.error?.code ? `:${t.error.code}` : ''}`) ?? 0) + 1);
        say(
          S,
          `checked: ${TASKS} tasks ended at Ops-Core and at AgentKit (${[...counts].map(([k, n]) => `${k}=${n}`).join(', ')}); ${killedMidTask.length} were running when their agent died; ` +
            `${twice} got a second terminal state (the agent told Ops-Core before it died, AgentKit after); ${live.size} agents end idle; total ${since(started)}`,
        );
      } finally {
        await Promise.all([...live.values()].map((p) => p.kill('SIGKILL')));
      }
    },
    300_000,
  );
});
