// Fault: AgentKit is killed with SIGKILL at random moments while registrations, deregistrations
// and task dispatches are in flight, and restarted on the same SQLite database and port.
// Sizes: FAULTS_KILL_REGISTRATIONS (200), FAULTS_KILL_TASKS (500), FAULTS_KILL_ROUNDS (3),
// FAULTS_KILL_AGENTS (4 SDK agents), FAULTS_KILL_CLIENTS (16 concurrent API calls).
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/processes.js';
import { faultFixture } from './fixture.js';
import {
  api,
  envInt,
  isTerminal,
  keepingLogger,
  listAllTasks,
  notificationsByAgent,
  notifiedVersion,
  opsCoreEnv,
  say,
  scenarioSeed,
  schedule,
  since,
  statesByTask,
  until,
} from './support.js';

const S = 'kill';
const REGISTRATIONS = envInt('FAULTS_KILL_REGISTRATIONS', 200);
const TASKS = envInt('FAULTS_KILL_TASKS', 500);
const ROUNDS = envInt('FAULTS_KILL_ROUNDS', 3);
const SDK_AGENTS = Math.max(1, envInt('FAULTS_KILL_AGENTS', 4));
const CLIENTS = Math.max(1, envInt('FAULTS_KILL_CLIENTS', 16));
// A client that gives up on a request while the server still works on it cannot know the order of
// its commits; only a killed server (connection reset) makes a request's fate unknown here.
const LONG = 60_000;

/** One lifecycle request of a chain (R = register, D = deregister) and what came of each try. */
interface ChainOp {
  kind: 'R' | 'D';
  /** Per try: the version sent (R), and whether AgentKit answered 2xx, failed to answer, or refused. */
  tries: Array<{ version: string | null; outcome: 'answered' | 'unknown' | 'gone' | 'refused'; status: number | null }>;
}

const fx = faultFixture('agentkit-faults-kill-');

describe('fault: AgentKit killed with SIGKILL mid-flow, restarted on the same database', () => {
  it(
    'when AgentKit is killed at random moments during registrations and dispatches, then every answered lifecycle event reaches Ops-Core in per-agent order and every accepted task ends at Ops-Core',
    async () => {
      const started = Date.now();
      const rng = scenarioSeed(S);
      const opsLogger = keepingLogger();
      const agentLogger = keepingLogger();
      const { opsCore, server: opsCoreServer } = await fx.startOpsCore(opsLogger);
      const port = await freePort();
      const env = {
        AGENTKIT_DB: fx.db,
        ...opsCoreEnv(opsCoreServer.url),
        AGENTKIT_WEBHOOK_RETRY_SCHEDULE: schedule(40, 0.5),
        AGENTKIT_TASK_RETRY_SCHEDULE: schedule(40, 0.5),
        AGENTKIT_DELIVERY_TIMEOUT_MS: '2000',
      };
      let agentKit = await fx.startAgentKit(port, env);
      const base = agentKit.url;

      // SDK agents in this process, registered with AgentKit; the tasks are spread over them.
      const agents = await fx.startSdkAgents(SDK_AGENTS, { agentKitUrl: base, opsCoreUrl: opsCoreServer.url, concurrency: 8, logger: agentLogger });

      // The plan, all from the seed: chains R, D, R per agent, and tasks (echo or fail) per SDK agent.
      const chainCount = Math.ceil(REGISTRATIONS / 2);
      const chains = Array.from({ length: chainCount }, (_, i) => ({ agentId: `chain-${i}`, ops: [] as ChainOp[] }));
      const tasks = Array.from({ length: TASKS }, (_, i) => ({
        i,
        agentId: `sdk-${rng.int(0, SDK_AGENTS - 1)}`,
        taskName: rng.next() < 0.15 ? 'fail' : 'echo',
        taskId: null as string | null,
        statuses: [] as Array<number | 'network'>,
      }));
      const jobs = rng.shuffle<{ chain?: (typeof chains)[number]; task?: (typeof tasks)[number] }>([
        ...chains.map((chain) => ({ chain })),
        ...tasks.map((task) => ({ task })),
      ]);
      const totalRequests = chainCount * 3 + TASKS;
      const killAt = Array.from({ length: ROUNDS }, () => Math.floor(totalRequests * (0.05 + 0.85 * rng.next()))).sort((a, b) => a - b);
      const killJitterMs = killAt.map(() => rng.int(0, 40));
      say(S, `plan: ${chainCount} agents x (REGISTER, DEREGISTER, REGISTER) = ${chainCount * 2} registrations + ${chainCount} deregistrations; ${TASKS} tasks over ${SDK_AGENTS} SDK agents; ${CLIENTS} concurrent clients; SIGKILL after ${killAt.join(', ')} of ${totalRequests} answered requests`);

      let answered = 0;
      let inFlight = 0;
      let networkErrors = 0;
      const backoff = () => new Promise((r) => setTimeout(r, 50 + Math.random() * 100));

      async function register(agentId: string, version: string) {
        return api(base, 'POST', '/v1/agents', { agentId, agentName: 'chain-agent', version, contactEndpoint: 'http://127.0.0.1:9/tasks', capabilities: ['none'] }, {}, LONG);
      }
      async function attempt<T>(fn: () => Promise<T>): Promise<T | 'network'> {
        inFlight++;
        try {
          return await fn();
        } catch {
          networkErrors++;
          return 'network';
        } finally {
          inFlight--;
        }
      }

      async function runChain(chain: (typeof chains)[number]) {
        for (const kind of ['R', 'D', 'R'] as const) {
          const op: ChainOp = { kind, tries: [] };
          chain.ops.push(op);
          const opIndex = chain.ops.length - 1;
          for (let t = 0; ; t++) {
            const version = kind === 'R' ? `1.${opIndex}.${t}` : null;
            const res = await attempt(() => (kind === 'R' ? register(chain.agentId, version!) : api(base, 'DELETE', `/v1/agents/${chain.agentId}`, undefined, {}, LONG)));
            if (res === 'network' || res.status >= 500) {
              op.tries.push({ version, outcome: 'unknown', status: res === 'network' ? null : res.status });
              await backoff();
              continue;
            }
            const ok = kind === 'R' ? res.status === 200 || res.status === 201 : res.status === 204;
            // 404 to a retried DEREGISTER: an earlier try was committed without an answer.
            const gone = kind === 'D' && res.status === 404 && op.tries.some((x) => x.outcome === 'unknown');
            op.tries.push({ version, outcome: ok ? 'answered' : gone ? 'gone' : 'refused', status: res.status });
            if (ok || gone) answered++;
            break;
          }
        }
      }

      async function runTask(task: (typeof tasks)[number]) {
        const body = { task_name: task.taskName, parameters: { i: task.i }, opscore_task_id: `ot-${task.i}`, opscore_session_id: 'os-kill' };
        for (;;) {
          const res = await attempt(() => api(base, 'POST', `/v1/agents/${task.agentId}/run`, body, { 'idempotency-key': `kill-task-${task.i}` }, LONG));
          task.statuses.push(res === 'network' ? 'network' : res.status);
          if (res !== 'network' && res.status === 202) {
            task.taskId = (res.json as { taskId: string }).taskId;
            answered++;
            return;
          }
          if (res !== 'network' && res.status < 500) throw new Error(`dispatch of task ${task.i} answered ${res.status}: ${JSON.stringify(res.json)}`);
          await backoff();
        }
      }

      // The load: CLIENTS workers take jobs in the seeded order; a chain's requests are sequential.
      let next = 0;
      const load = Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < jobs.length) {
            const job = jobs[next++]!;
            if (job.chain) await runChain(job.chain);
            else await runTask(job.task!);
          }
        }),
      );
      let loadDone = false;
      void load.then(() => (loadDone = true), () => (loadDone = true));

      // The killer: at each threshold of answered requests (plus a little seeded jitter), SIGKILL and restart.
      const kills: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        await until(() => answered >= killAt[round]! || loadDone, 120_000, () => `load to reach ${killAt[round]} answered requests (at ${answered})`, 5);
        await new Promise((r) => setTimeout(r, killJitterMs[round]));
        const facts = `answered=${answered}/${totalRequests} inFlight=${inFlight} t=${since(started)}`;
        await agentKit.kill('SIGKILL');
        const down = Date.now();
        agentKit = await fx.startAgentKit(port, env);
        kills.push(`round ${round + 1}: SIGKILL at ${facts}; back after ${Date.now() - down} ms`);
        say(S, kills.at(-1)!);
      }
      await load;
      say(S, `load done at ${since(started)}: ${answered} requests answered, ${networkErrors} network errors while AgentKit was down`);

      // What must arrive, and what may (a request AgentKit may have committed without answering).
      const must = new Map<string, string[]>(); // agentId -> event keys that must arrive
      const keyOf = (event: string, opIndex: number, version: string) => `${event}@${opIndex}:${version}`;
      for (const chain of chains) {
        const keys: string[] = [];
        chain.ops.forEach((op, opIndex) => {
          if (op.kind === 'R') {
            const ok = op.tries.find((t) => t.outcome === 'answered');
            if (ok) keys.push(keyOf('REGISTER', opIndex, ok.version!));
          } else if (op.tries.some((t) => t.outcome === 'answered' || t.outcome === 'gone')) {
            keys.push(`DEREGISTER@${opIndex}`);
          }
        });
        must.set(chain.agentId, keys);
      }
      for (let i = 0; i < SDK_AGENTS; i++) must.set(`sdk-${i}`, ['REGISTER@sdk']);
      const refused = chains.flatMap((c) => c.ops.flatMap((op) => op.tries.filter((t) => t.outcome === 'refused').map((t) => `${c.agentId} ${op.kind} ${t.status}`)));

      /** The event key of a received notification: which op of the chain (and which try) it is. */
      const eventKey = (agentId: string, eventType: string, version: string): { key: string; rank: number } => {
        if (agentId.startsWith('sdk-')) return { key: 'REGISTER@sdk', rank: 0 };
        const [, op, t] = version.split('.').map(Number) as [number, number, number];
        // A DEREGISTER names the version of the REGISTER before it.
        if (eventType === 'DEREGISTER') return { key: `DEREGISTER@${op + 1}`, rank: (op + 1) * 1000 };
        return { key: keyOf('REGISTER', op, version), rank: op * 1000 + t };
      };

      const missing = () => {
        const byAgent = notificationsByAgent(opsCore.received());
        const lost: string[] = [];
        for (const [agentId, keys] of must) {
          const got = new Set((byAgent.get(agentId) ?? []).map((n) => eventKey(agentId, n.eventType, notifiedVersion(n)).key));
          for (const k of keys) if (!got.has(k)) lost.push(`${agentId} ${k}`);
        }
        return lost;
      };
      const accepted = tasks.filter((t) => t.taskId !== null);
      const unended = () => {
        const byTask = statesByTask(opsCore.received());
        return accepted.filter((t) => !(byTask.get(t.taskId!) ?? []).some(isTerminal));
      };
      await until(
        () => missing().length === 0 && unended().length === 0,
        120_000,
        () => `lifecycle events still missing at Ops-Core: ${missing().slice(0, 10).join('; ')} (${missing().length}); tasks without a terminal state: ${unended().length}\n${agentKit.output().slice(-3000)}\n${opsLogger.lines.slice(-10).join('\n')}`,
        250,
      );
      // Ops-Core only dispatches to idle agents: each SDK agent ends idle there.
      await until(() => agents.every((a) => opsCore.received().states[a.agentId!]?.at(-1)?.state === 'idle'), 30_000, () => 'every SDK agent to end idle at Ops-Core', 250);
      const settledAt = since(started);

      // Lifecycle: every answered event arrived (above); nothing unexpected; each event under one
      // webhook-id; per agent, arrivals (redeliveries included) never go back in order.
      const snapshot = opsCore.received();
      const byAgent = notificationsByAgent(snapshot);
      const problems: string[] = [];
      let redelivered = 0;
      const distinctIds = new Set(snapshot.notifications.map((n) => n.webhookId));
      for (const [agentId, list] of byAgent) {
        if (!must.has(agentId)) problems.push(`notification for unknown agent ${agentId}`);
        const idsByKey = new Map<string, Set<string>>();
        let lastRank = -1;
        const seen = new Set<string>();
        for (const n of list) {
          expect(n.signature).toBe('verified');
          const { key, rank } = eventKey(agentId, n.eventType, notifiedVersion(n));
          if (rank < lastRank) problems.push(`${agentId}: ${key} arrived after a later event (ranks ${lastRank} -> ${rank})`);
          lastRank = Math.max(lastRank, rank);
          const ids = idsByKey.get(key) ?? new Set<string>();
          ids.add(n.webhookId ?? 'none');
          idsByKey.set(key, ids);
          if (seen.has(n.webhookId ?? '')) redelivered++;
          seen.add(n.webhookId ?? '');
        }
        for (const [key, ids] of idsByKey) if (ids.size > 1) problems.push(`${agentId}: ${key} arrived under ${ids.size} webhook-ids`);
      }
      // The chains end with a REGISTER: Ops-Core must hold the version of the last answered one.
      const known = new Map(snapshot.agents.map((a) => [a.agentId, a.version]));
      for (const chain of chains) {
        const last = chain.ops.at(-1)!.tries.find((t) => t.outcome === 'answered');
        if (last && known.get(chain.agentId) !== last.version) problems.push(`${chain.agentId}: Ops-Core holds version ${known.get(chain.agentId)}, expected ${last.version}`);
      }
      expect(refused, 'requests AgentKit refused').toEqual([]);
      expect(problems).toEqual([]);

      // Tasks: each accepted task ends exactly once at Ops-Core, as its handler decides; AgentKit agrees.
      const byTask = statesByTask(snapshot);
      const wrong: string[] = [];
      for (const t of accepted) {
        const terminal = (byTask.get(t.taskId!) ?? []).filter(isTerminal);
        const expected = t.taskName === 'echo' ? 'finished' : 'error';
        if (terminal.length !== 1 || terminal[0]!.state !== expected || terminal[0]!.agentId !== t.agentId) {
          wrong.push(`task ${t.i} (${t.taskName}) -> ${terminal.map((s) => `${s.agentId}:${s.state}`).join(',')}`);
        }
      }
      expect(wrong).toEqual([]);
      expect(accepted.length).toBe(TASKS);
      const akTasks = new Map<string, string>();
      await until(
        async () => {
          akTasks.clear();
          for (const t of await listAllTasks(agentKit.url)) akTasks.set(t.taskId, t.status);
          return accepted.every((t) => ['finished', 'failed'].includes(akTasks.get(t.taskId!) ?? ''));
        },
        60_000,
        () => `AgentKit to show every task ended: ${accepted.filter((t) => !['finished', 'failed'].includes(akTasks.get(t.taskId!) ?? '')).length} not yet`,
        500,
      );
      for (const t of accepted) expect(akTasks.get(t.taskId!)).toBe(t.taskName === 'echo' ? 'finished' : 'failed');
      expect(akTasks.size).toBe(TASKS);

      const mustCount = [...must.values()].reduce((n, k) => n + k.length, 0);
      const stateReports = Object.values(snapshot.states).reduce((n, l) => n + l.length, 0);
      const finished = accepted.filter((t) => t.taskName === 'echo').length;
      say(
        S,
        `checked: ${kills.length} kills; ${mustCount} lifecycle events answered 2xx, all at Ops-Core in per-agent order ` +
          `(${snapshot.notifications.length} notifications, ${distinctIds.size} distinct webhook-ids, ${redelivered} redeliveries of the same id); ` +
          `${accepted.length} tasks answered 202 (${tasks.reduce((n, t) => n + t.statuses.length, 0)} dispatch requests): ${finished} finished + ${accepted.length - finished} error at Ops-Core, ` +
          `each exactly once (${stateReports} state reports), AgentKit agrees; settled at ${settledAt}, total ${since(started)}`,
      );
    },
    360_000,
  );
});
