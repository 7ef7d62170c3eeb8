// Fault: Ops-Core is unreachable for a while, then answers bursts of 5xx and 429 with
// Retry-After, then recovers. Lifecycle webhooks (from AgentKit) and state reports (from the
// SDK) must all arrive afterwards, and nothing twice under different ids.
// Sizes: FAULTS_OUTAGE_REGISTRATIONS (30), FAULTS_OUTAGE_TASKS (40), FAULTS_OUTAGE_BURST_MS
// (how long each failure burst lasts, 1500; each phase lasts 1 to 1.5 times that).
import { describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../src/opscore-reference/index.js';
import { freePort } from '../support/processes.js';
import { faultFixture } from './fixture.js';
import {
  api,
  countBy,
  envInt,
  isTerminal,
  keepingLogger,
  listAll,
  listAllTasks,
  notificationsByAgent,
  opsCoreEnv,
  say,
  scenarioSeed,
  schedule,
  since,
  statesByTask,
  until,
} from './support.js';

const S = 'opscore-outage';
const REGISTRATIONS = envInt('FAULTS_OUTAGE_REGISTRATIONS', 30);
const TASKS = envInt('FAULTS_OUTAGE_TASKS', 40);
const BURST_MS = Math.max(100, envInt('FAULTS_OUTAGE_BURST_MS', 1500));
const SDK_AGENTS = 2;
/** Tasks for an agent that cannot be reached: AgentKit itself reports their `error` to Ops-Core. */
const GONE_TASKS = 3;
/** Retry-After sent with the 429s, in seconds. */
const RETRY_AFTER = 1;

const fx = faultFixture('agentkit-faults-outage-');

describe('fault: Ops-Core unreachable, then 5xx bursts and 429 with Retry-After', () => {
  it(
    'when Ops-Core comes back through 5xx and 429 bursts, then every lifecycle webhook and state report arrives, each once, in order',
    async () => {
      const started = Date.now();
      const rng = scenarioSeed(S);
      const opsLogger = keepingLogger();
      const agentLogger = keepingLogger();
      const { opsCore, server } = await fx.startOpsCore(opsLogger);
      const opsPort = server.port;
      const opsUrl = server.url;
      const agentKit = await fx.startAgentKit(await freePort(), {
        AGENTKIT_DB: fx.db,
        ...opsCoreEnv(opsUrl),
        // A budget far longer than the outage (about 150 s): retries every 0.5 s.
        AGENTKIT_WEBHOOK_RETRY_SCHEDULE: schedule(300, 0.5),
        AGENTKIT_DELIVERY_TIMEOUT_MS: '2000',
        AGENTKIT_TASK_RETRY_SCHEDULE: '0,0.2,0.2',
      });
      const base = agentKit.url;
      const agents = await fx.startSdkAgents(SDK_AGENTS, { agentKitUrl: base, opsCoreUrl: opsUrl, concurrency: 4, logger: agentLogger });
      // The system runs: Ops-Core knows the SDK agents and has their first idle. Then it goes away
      // (nothing listens on its port: connections are refused).
      await until(() => agents.every((a) => opsCore.received().states[a.agentId!]?.[0]?.state === 'idle'), 60_000, () => 'the SDK agents to report idle');
      await server.close();
      fx.opsCoreServer = null;
      const before = opsCore.received().requests.length;

      // While Ops-Core is down: registrations, some deregistrations, and tasks that run and report.
      const expected = new Map<string, string[]>(); // agentId -> event types, in order
      for (let i = 0; i < SDK_AGENTS; i++) expected.set(`sdk-${i}`, ['REGISTER']);
      for (let i = 0; i < REGISTRATIONS; i++) {
        const agentId = `outage-${i}`;
        const res = await api(base, 'POST', '/v1/agents', { agentId, agentName: 'outage-agent', version: '1', contactEndpoint: 'http://127.0.0.1:9/tasks' });
        expect(res.status).toBe(201);
        expected.set(agentId, ['REGISTER']);
      }
      const leaving = rng.shuffle([...expected.keys()].filter((id) => id.startsWith('outage-'))).slice(0, Math.floor(REGISTRATIONS / 3));
      for (const agentId of leaving) {
        expect((await api(base, 'DELETE', `/v1/agents/${agentId}`)).status).toBe(204);
        expected.get(agentId)!.push('DEREGISTER');
      }
      const tasks: Array<{ taskId: string; agentId: string; taskName: string }> = [];
      for (let i = 0; i < TASKS; i++) {
        const agentId = `sdk-${rng.int(0, SDK_AGENTS - 1)}`;
        const taskName = rng.next() < 0.25 ? 'fail' : 'echo';
        const res = await api(base, 'POST', `/v1/agents/${agentId}/run`, { task_name: taskName, parameters: { i } });
        expect(res.status).toBe(202);
        tasks.push({ taskId: (res.json as { taskId: string }).taskId, agentId, taskName });
      }
      // An agent nobody answers for: AgentKit fails its tasks and reports error itself.
      expect((await api(base, 'POST', '/v1/agents', { agentId: 'gone', agentName: 'gone', version: '1', contactEndpoint: 'http://127.0.0.1:9/tasks' })).status).toBe(201);
      expected.set('gone', ['REGISTER']);
      for (let i = 0; i < GONE_TASKS; i++) {
        const res = await api(base, 'POST', '/v1/agents/gone/run', { task_name: 'echo', parameters: { i } });
        expect(res.status).toBe(202);
        tasks.push({ taskId: (res.json as { taskId: string }).taskId, agentId: 'gone', taskName: 'undeliverable' });
      }
      const lifecycleEvents = [...expected.values()].reduce((n, l) => n + l.length, 0);
      say(S, `${since(started)}: while Ops-Core is unreachable: ${lifecycleEvents} lifecycle events (${REGISTRATIONS + SDK_AGENTS + 1} REGISTER, ${leaving.length} DEREGISTER), ${TASKS} tasks over ${SDK_AGENTS} SDK agents, ${GONE_TASKS} tasks AgentKit cannot deliver`);

      // The outage lasts until AgentKit has run every task to its end (it does not need Ops-Core
      // for that) and has tried the first lifecycle webhook of each agent registered since at least twice.
      let tried = 0;
      await until(
        async () => {
          const ended = (await listAllTasks(base)).filter((t) => t.status === 'finished' || t.status === 'failed').length;
          const pending = await listAll<{ attempts: number }>(base, '/v1/webhook-deliveries', { kind: 'agent.lifecycle', status: 'pending' });
          tried = pending.filter((d) => d.attempts >= 2).length;
          return ended === TASKS + GONE_TASKS && tried >= REGISTRATIONS + 1;
        },
        60_000,
        () => `tasks to end in AgentKit and webhooks to be retried (${tried}/${REGISTRATIONS + 1} retried twice)`,
        200,
      );
      expect(opsCore.received().requests.length, 'requests reached Ops-Core while it was down').toBe(before);
      say(S, `outage: ${since(started)} in, every task ended in AgentKit, ${tried} agents' first webhooks failed at least twice; Ops-Core comes back`);

      // Ops-Core comes back answering bursts of failures, in a seeded order, then normally. Each
      // burst lasts long enough for both AgentKit and the SDK agents to retry into it.
      const burst = (spec: FaultSpec): FaultSpec => ({ ...spec, forMs: Math.round(BURST_MS * (1 + rng.next() / 2)) });
      const phases: FaultSpec[] = rng.shuffle([
        burst({ status: 503 }),
        burst({ status: 429, retryAfterSeconds: RETRY_AFTER }),
        burst({ status: rng.pick([500, 502, 504]) }),
      ]);
      say(S, `fault phases: ${phases.map((p) => `${p.status}${p.retryAfterSeconds ? ` with Retry-After ${p.retryAfterSeconds}` : ''} for ${p.forMs} ms`).join(', then ')}`);
      opsCore.faults.inject(phases[0]);
      fx.opsCoreServer = await opsCore.start(opsPort);
      for (const phase of phases.slice(1)) {
        await until(() => opsCore.faults.describe() === undefined, 60_000, () => `fault ${JSON.stringify(opsCore.faults.describe())} to end`, 20);
        opsCore.faults.inject(phase);
      }
      await until(() => opsCore.faults.describe() === undefined, 60_000, () => 'the last fault to end', 20);
      say(S, `Ops-Core answers normally from ${since(started)}`);

      // Everything arrives: each lifecycle event, and every task's outcome, then idle, per agent.
      const missing = () => {
        const byAgent = notificationsByAgent(opsCore.received());
        const lost: string[] = [];
        for (const [agentId, types] of expected) {
          const got = new Set((byAgent.get(agentId) ?? []).map((n) => n.eventType));
          for (const t of types) if (!got.has(t)) lost.push(`${agentId} ${t}`);
        }
        return lost;
      };
      const unended = () => {
        const byTask = statesByTask(opsCore.received());
        return tasks.filter((t) => !(byTask.get(t.taskId) ?? []).some(isTerminal));
      };
      const notIdle = () => [...Array(SDK_AGENTS).keys()].map((i) => `sdk-${i}`).filter((id) => opsCore.received().states[id]?.at(-1)?.state !== 'idle');
      await until(
        () => missing().length === 0 && unended().length === 0 && notIdle().length === 0,
        90_000,
        () => `missing events: ${missing().slice(0, 5).join('; ')} (${missing().length}); tasks without outcome: ${unended().length}; agents not idle: ${notIdle().join(',')}\n${agentLogger.lines.slice(-5).join('\n')}`,
        200,
      );
      expect(await Promise.all(agents.map((a) => a.flushReports(10_000)))).toEqual([true, true]);
      const snapshot = opsCore.received();

      // Lifecycle: per agent, exactly the expected events in order, each under one webhook-id.
      const byAgent = notificationsByAgent(snapshot);
      const problems: string[] = [];
      let redelivered = 0;
      for (const [agentId, list] of byAgent) {
        const types = expected.get(agentId);
        if (!types) {
          problems.push(`unexpected notification for ${agentId}`);
          continue;
        }
        const ids: string[] = [];
        for (const n of list) if (!ids.includes(n.webhookId ?? '')) ids.push(n.webhookId ?? '');
        redelivered += list.length - ids.length;
        const typesById = ids.map((id) => list.find((n) => n.webhookId === id)!.eventType);
        if (JSON.stringify(typesById) !== JSON.stringify(types)) problems.push(`${agentId}: events ${typesById.join(',')} under ${ids.length} ids, expected ${types.join(',')}`);
        for (const n of list) if (n.signature !== 'verified') problems.push(`${agentId}: unverified notification`);
      }
      expect(problems).toEqual([]);

      // State reports: nothing twice, in the order they happened, each task active then its outcome once.
      const byTask = statesByTask(snapshot);
      let reports = 0;
      for (const [agentId, list] of Object.entries(snapshot.states)) {
        reports += list.length;
        // An agent's queue sends one report at a time, so a report that arrived twice (retried
        // after it was in fact accepted) arrives twice in a row. Two idles in one millisecond with
        // a task between them are two reports (a fast task: idle, active, finished, idle).
        const keys = list.map((s) => JSON.stringify([s.state, s.timestamp, s.details]));
        const repeated = keys.filter((k, i) => i > 0 && k === keys[i - 1]);
        expect(repeated, `${agentId}: the same report arrived twice`).toEqual([]);
        const times = list.map((s) => Date.parse(s.timestamp));
        expect(times, `${agentId}: reports out of order`).toEqual([...times].sort((a, b) => a - b));
        if (agentId.startsWith('sdk-')) expect(list[0]!.state).toBe('idle');
      }
      for (const t of tasks) {
        const states = (byTask.get(t.taskId) ?? []).map((s) => `${s.agentId}:${s.state}`);
        if (t.agentId === 'gone') {
          expect(states, `task ${t.taskId}`).toEqual(['gone:error']);
          expect(byTask.get(t.taskId)![0]!.details).toMatchObject({ taskId: t.taskId, reportedBy: 'agentkit' });
        } else {
          expect(states, `task ${t.taskId}`).toEqual([`${t.agentId}:active`, `${t.agentId}:${t.taskName === 'echo' ? 'finished' : 'error'}`]);
        }
      }
      // AgentKit's own reports: one accepted per task, each under its own webhook-id.
      const goneAccepted = snapshot.requests.filter((r) => r.path === '/v1/opscore/agent/gone/state' && r.status === 202);
      expect(goneAccepted.every((r) => r.webhookId !== null)).toBe(true);
      expect(new Set(goneAccepted.map((r) => r.webhookId)).size).toBe(GONE_TASKS);

      // Retry-After: after a 429, the same delivery (AgentKit: same webhook-id; SDK: the agent's
      // next report) was not tried again sooner. 50 ms of slack for timer granularity.
      const requests = snapshot.requests;
      const soon: string[] = [];
      let honoured = 0;
      requests.forEach((r, i) => {
        if (!(r.injected && r.status === 429)) return;
        const same = requests.slice(i + 1).find((n) => (r.webhookId ? n.webhookId === r.webhookId : n.webhookId === null && n.path === r.path));
        if (!same) return;
        const gap = Date.parse(same.at) - Date.parse(r.at);
        if (gap < RETRY_AFTER * 1000 - 50) soon.push(`${r.webhookId ?? r.path} retried after ${gap} ms`);
        else honoured++;
      });
      expect(soon).toEqual([]);

      const injected = requests.filter((r) => r.injected);
      const byStatus = countBy(injected, (r) => `${r.status}/${r.webhookId ? 'AgentKit' : 'SDK'}`);
      say(S, `injected failures by status and sender: ${byStatus.join(', ')}`);
      // Each burst reached both senders: AgentKit's webhooks (with a webhook-id) and the SDK's reports.
      for (const phase of phases) {
        for (const sender of ['AgentKit', 'SDK']) expect(byStatus.some((c) => c.startsWith(`${phase.status}/${sender}=`)), `${phase.status} answered to ${sender}`).toBe(true);
      }
      const distinct = new Set(snapshot.notifications.map((n) => n.webhookId)).size;
      say(
        S,
        `checked: ${lifecycleEvents} lifecycle events arrived once each by webhook-id (${snapshot.notifications.length} notifications, ${distinct} distinct ids, ${redelivered} redeliveries); ` +
          `${reports} state reports (SDK and AgentKit), no duplicates, in order; ${TASKS + GONE_TASKS} tasks with one outcome each; ` +
          `${requests.length} requests at Ops-Core, ${injected.length} injected failures (${byStatus.join(', ')}); Retry-After honoured ${honoured} times; total ${since(started)}`,
      );
    },
    240_000,
  );
});
