// Fault: the agent (examples/echo-agent.ts, a real process) is killed while tasks are
// dispatched to it. Those tasks must end `failed` in AgentKit, with `error` reported to Ops-Core
// by AgentKit, within their budget (timeout_seconds, or the task retry schedule). Once the agent
// is back (restarted, reports idle), new tasks flow again.
// Sizes: FAULTS_DOWN_TASKS (20 while down), FAULTS_DOWN_AFTER (10 once back).
import { describe, expect, it } from 'vitest';
import { freePort, startTsProcess } from '../support/processes.js';
import { faultFixture } from './fixture.js';
import {
  AGENTKIT_KEY,
  api,
  envInt,
  isTerminal,
  listAll,
  OPSCORE_KEY,
  opsCoreEnv,
  say,
  scenarioSeed,
  schedule,
  since,
  statesByTask,
  until,
} from './support.js';

const S = 'agent-down';
const DOWN_TASKS = envInt('FAULTS_DOWN_TASKS', 20);
const AFTER_TASKS = envInt('FAULTS_DOWN_AFTER', 10);
const AGENT_ID = 'down-agent';
/** Task retry schedule: 4 attempts over 1.5 s (each delay ±20% jitter). */
const TASK_SCHEDULE = [0, 0.25, 0.5, 0.75];
/** Worker wake-up and a loaded machine: how late a failure may be reported past its budget. */
const SLACK_MS = 5_000;

const fx = faultFixture('agentkit-faults-down-');

describe('fault: the agent is down while tasks are dispatched', () => {
  it(
    'when the agent process is killed, then its tasks end failed with error at Ops-Core within their budget; when it is back, then new tasks finish',
    async () => {
      const started = Date.now();
      const rng = scenarioSeed(S);
      const { opsCore, server: opsCoreServer } = await fx.startOpsCore();
      const agentKit = await fx.startAgentKit(await freePort(), {
        AGENTKIT_DB: fx.db,
        ...opsCoreEnv(opsCoreServer.url),
        AGENTKIT_TASK_RETRY_SCHEDULE: TASK_SCHEDULE.join(','),
        AGENTKIT_WEBHOOK_RETRY_SCHEDULE: schedule(40, 0.25),
        AGENTKIT_DELIVERY_TIMEOUT_MS: '1000',
      });
      const base = agentKit.url;
      const agentPort = await freePort();
      const startAgent = () =>
        startTsProcess(
          'examples/echo-agent.ts',
          {
            AGENTKIT_URL: base,
            AGENTKIT_API_KEY: AGENTKIT_KEY,
            OPSCORE_API_URL: opsCoreServer.url,
            OPSCORE_API_KEY: OPSCORE_KEY,
            AGENT_PORT: String(agentPort),
            AGENT_ID,
            // Room for every task at once: this checks each task's own budget, which for a task
            // waiting for a slot would start only when it got one (see test/task-control).
            AGENT_CONCURRENCY: String(DOWN_TASKS),
            LOG_LEVEL: 'warn',
          },
          agentPort,
          '/healthz',
        );
      const idles = () => (opsCore.received().states[AGENT_ID] ?? []).filter((s) => s.state === 'idle').length;
      const dispatch = async (body: Record<string, unknown>) => {
        const res = await api(base, 'POST', `/v1/agents/${AGENT_ID}/run`, body);
        expect(res.status).toBe(202);
        return (res.json as { taskId: string }).taskId;
      };
      const outcomeAtOpsCore = (taskId: string) => (statesByTask(opsCore.received()).get(taskId) ?? []).find(isTerminal);

      const agent = (fx.agentProcess = await startAgent());
      await until(() => idles() >= 1, 60_000, () => 'the agent to report idle to Ops-Core');
      const warmUp = await dispatch({ task_name: 'echo', parameters: { warm: true } });
      await until(() => outcomeAtOpsCore(warmUp)?.state === 'finished', 30_000, () => 'the warm-up task to finish');

      // The agent dies (SIGKILL: no deregistration, its port refuses connections).
      await agent.kill('SIGKILL');
      fx.agentProcess = null;
      const down = Array.from({ length: DOWN_TASKS }, (_, i) => ({
        i,
        timeoutSeconds: rng.next() < 0.5 ? 1 : null,
        taskName: rng.pick(['echo', 'sleep']),
        taskId: '',
        dispatchedAt: 0,
      }));
      for (const t of down) {
        t.dispatchedAt = Date.now();
        t.taskId = await dispatch({
          task_name: t.taskName,
          parameters: { i: t.i, ms: 10 },
          opscore_task_id: `down-${t.i}`,
          ...(t.timeoutSeconds === null ? {} : { timeout_seconds: t.timeoutSeconds }),
        });
      }
      const withTimeout = down.filter((t) => t.timeoutSeconds !== null).length;
      say(S, `agent killed; dispatched ${DOWN_TASKS} tasks to it (${withTimeout} with timeout_seconds=1, ${DOWN_TASKS - withTimeout} on the retry schedule ${TASK_SCHEDULE.join(',')} s)`);

      await until(
        () => down.every((t) => outcomeAtOpsCore(t.taskId) !== undefined),
        30_000,
        () => `error at Ops-Core for every task dispatched while the agent was down (${down.filter((t) => outcomeAtOpsCore(t.taskId) === undefined).length} missing)`,
        50,
      );
      const snapshot = opsCore.received();
      const deliveries = await listAll<{ taskId: string | null; attempts: number; status: string }>(base, '/v1/webhook-deliveries', { kind: 'task.delivery', agentId: AGENT_ID });
      const late: string[] = [];
      const latencies: number[] = [];
      const scheduleMs = TASK_SCHEDULE.reduce((a, b) => a + b, 0) * 1000;
      for (const t of down) {
        const outcome = statesByTask(snapshot).get(t.taskId)!;
        // Only AgentKit spoke about the task: the agent never ran it.
        expect(outcome.map((s) => s.state)).toEqual(['error']);
        const error = outcome[0]!;
        expect(error.details).toMatchObject({ taskId: t.taskId, task_name: t.taskName, opscore_task_id: `down-${t.i}`, reportedBy: 'agentkit' });
        const code = (error.details as { error: { code: string } }).error.code;
        expect(code).toBe(t.timeoutSeconds === null ? 'undeliverable' : 'timeout');
        const task = await api(base, 'GET', `/v1/tasks/${t.taskId}`);
        expect(task.json).toMatchObject({ status: 'failed', error: { code } });
        const delivery = deliveries.find((d) => d.taskId === t.taskId)!;
        expect(delivery.status).toBe('failed');
        // The budget: timeout_seconds, or every attempt of the schedule (with its jitter).
        const budget = t.timeoutSeconds !== null ? t.timeoutSeconds * 1000 : scheduleMs * 1.2;
        const latency = Date.parse(error.receivedAt) - t.dispatchedAt;
        latencies.push(latency);
        if (t.timeoutSeconds === null) expect(delivery.attempts).toBe(TASK_SCHEDULE.length);
        if (t.timeoutSeconds === null && latency < scheduleMs * 0.8) late.push(`task ${t.i} failed after ${latency} ms, before its retries were spent`);
        if (latency > budget + SLACK_MS) late.push(`task ${t.i} (budget ${budget} ms) reported after ${latency} ms`);
      }
      expect(late).toEqual([]);
      say(S, `down: ${DOWN_TASKS} tasks failed in AgentKit with error at Ops-Core; dispatch-to-error ${Math.min(...latencies)}..${Math.max(...latencies)} ms (budgets 1000 ms / ${scheduleMs * 1.2} ms, slack ${SLACK_MS} ms)`);

      // The agent comes back on the same port: it registers again and reports idle; new tasks run.
      const idleBefore = idles();
      fx.agentProcess = await startAgent();
      await until(() => idles() > idleBefore, 60_000, () => 'the restarted agent to report idle');
      const after: string[] = [];
      for (let i = 0; i < AFTER_TASKS; i++) after.push(await dispatch({ task_name: 'echo', parameters: { after: i } }));
      await until(() => after.every((id) => outcomeAtOpsCore(id) !== undefined), 30_000, () => 'the tasks dispatched after the restart to end');
      for (const id of after) expect(statesByTask(opsCore.received()).get(id)!.map((s) => s.state)).toEqual(['active', 'finished']);
      const statusOf = async (id: string) => ((await api(base, 'GET', `/v1/tasks/${id}`)).json as { status: string }).status;
      await until(async () => (await Promise.all(after.map(statusOf))).every((s) => s === 'finished'), 30_000, () => 'AgentKit to show the new tasks finished', 200);
      // None of the failed tasks was run by the restarted agent.
      const finalByTask = statesByTask(opsCore.received());
      for (const t of down) expect(finalByTask.get(t.taskId)!.map((s) => s.state)).toEqual(['error']);
      say(S, `back: agent restarted and reported idle; ${AFTER_TASKS} new tasks finished at Ops-Core and in AgentKit; total ${since(started)}`);
    },
    180_000,
  );
});
