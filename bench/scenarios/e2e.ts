import { AUTH, OPSCORE_KEY, WEBHOOK_SECRET, dbPath, getJson, startAgentKit } from '../lib/agentkit.js';
import { type BenchContext, type ScenarioResult, numberFromEnv, profileDirFor } from '../lib/context.js';
import { openLoop } from '../lib/open-loop.js';
import { cpuMsOf, spawnServer } from '../lib/proc.js';
import { MiB, percentile, round, until } from '../lib/stats.js';

interface Finished {
  finished: Array<[string, number]>;
  states: number;
}

/**
 * `e2e`: Ops-Core's view of a task. The driver (standing in for Ops-Core's dispatcher) calls
 * POST /v1/agents/{id}/run at a fixed rate, round-robin over the SDK agents; each task goes
 * AgentKit -> outbox -> SDK agent (echo handler) -> state reports to the reference Ops-Core
 * (active, finished, idle) and task reports to AgentKit (running, finished). Latency: from
 * sending /run to the reference Ops-Core accepting the `finished` state.
 *
 * Ops-Core itself dispatches only to `idle` agents; to measure throughput the driver ignores
 * that, and each SDK agent runs up to E2E_AGENT_CONCURRENCY tasks at once.
 */
export async function e2e(ctx: BenchContext): Promise<ScenarioResult[]> {
  // Offered a little above the 500 tasks/s target: tasks still on their way when the load stops
  // fall outside the window, so a system that keeps up with exactly 500/s measures just under it.
  const rate = numberFromEnv('E2E_RATE', 550);
  const maxRate = numberFromEnv('E2E_MAX_RATE', 1000);
  const lowRate = numberFromEnv('E2E_LOW_RATE', 50);
  const agentsN = numberFromEnv('E2E_AGENTS', 8);
  const concurrency = numberFromEnv('E2E_AGENT_CONCURRENCY', 16);

  const opscore = await spawnServer({
    name: 'opscore',
    entry: 'bench/servers/opscore.ts',
    readyPath: '/health',
    env: { OPSCORE_API_KEY: OPSCORE_KEY, OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET, LOG_LEVEL: 'warn' },
  });
  const ak = await startAgentKit({
    name: 'agentkit',
    database: dbPath(ctx.tmpDir, 'e2e'),
    webhookUrl: `${opscore.url}/v1/opscore/internal/agent/notify`,
    opsCoreApiUrl: opscore.url,
    cpuProfDir: profileDirFor(ctx, 'e2e'),
  });
  let agents;
  try {
    agents = await spawnServer({
      name: 'agents',
      entry: 'bench/servers/agents.ts',
      readyPath: '/healthz',
      env: {
        AGENTS: String(agentsN),
        AGENT_CONCURRENCY: String(concurrency),
        AGENTKIT_URL: ak.url,
        AGENTKIT_API_KEY: AUTH.authorization.slice('Bearer '.length),
        OPSCORE_API_URL: opscore.url,
        OPSCORE_API_KEY: OPSCORE_KEY,
        LOG_LEVEL: 'warn',
      },
    });
  } catch (err) {
    await ak.stop();
    await opscore.stop();
    throw err;
  }
  const out: ScenarioResult[] = [];
  try {
    const ids = (await getJson(`${agents.url}/agents`)) as string[];
    // Ops-Core must know every agent (REGISTER webhook) before their states count.
    const known = await until(async () => {
      for (const id of ids) {
        const state = (await getJson(`${opscore.url}/v1/opscore/agent/${id}/state`, { authorization: `Bearer ${OPSCORE_KEY}` }).catch(() => null)) as { state?: string } | null;
        if (state?.state !== 'idle') return false;
      }
      return true;
    }, 30_000);
    if (!known) throw new Error('the reference Ops-Core did not see every agent idle within 30 s');

    let seq = 0;
    const runOnce = async (label: string, offered: number, durationS: number, waitS = 120) => {
      const prefix = `${label}-${seq++}-`;
      const procs = { agentkit: ak, opscore, agents } as const;
      const cpuBefore = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, cpuMsOf(p.pid)]));
      const driverBefore = process.cpuUsage();
      const load = await openLoop({
        origin: ak.url,
        rate: offered,
        durationS,
        connections: 64,
        request: (i) => ({
          path: `/v1/agents/${ids[i % ids.length]}/run`,
          headers: AUTH,
          body: JSON.stringify({ task_name: 'echo', parameters: { i }, opscore_session_id: 'bench-e2e', opscore_task_id: `${prefix}${i}` }),
        }),
      });
      const done = new Map<number, number>();
      const collect = async () => {
        const f = (await getJson(`${opscore.url}/_bench/finished`)) as Finished;
        for (const [id, at] of f.finished) if (id.startsWith(prefix)) done.set(Number(id.slice(prefix.length)), at);
        return done.size >= load.ok;
      };
      const drained = await until(collect, waitS * 1000, 200);
      const driverCpu = process.cpuUsage(driverBefore);
      const cpuPerTask: Record<string, number> = {};
      for (const [k, p] of Object.entries(procs)) cpuPerTask[k] = round((cpuMsOf(p.pid) - cpuBefore[k]!) / Math.max(1, done.size), 3);
      cpuPerTask.driver = round((driverCpu.user + driverCpu.system) / 1000 / Math.max(1, done.size), 3);
      const latencies: number[] = [];
      let inWindow = 0;
      let lastFinish = 0;
      for (const [i, at] of done) {
        latencies.push(at - load.sentAt[i]!);
        if (at <= load.lastAt) inWindow++;
        lastFinish = Math.max(lastFinish, at);
      }
      const windowS = (load.lastAt - load.firstAt) / 1000;
      return {
        offered_rate: offered,
        tasks: load.sent,
        finished: done.size,
        dispatch_failed: load.failed,
        all_finished: drained,
        tasks_per_s: Math.round(inWindow / windowS),
        tasks_per_s_overall: Math.round(done.size / ((lastFinish - load.firstAt) / 1000)),
        p50_ms: round(percentile(latencies, 50), 1),
        p99_ms: round(percentile(latencies, 99), 1),
        run_p50_ms: round(percentile(load.latencies, 50), 1),
        run_p99_ms: round(percentile(load.latencies, 99), 1),
        cpu_ms_per_task: cpuPerTask,
      };
    };

    ctx.log(`e2e: warm-up at ${rate}/s for ${ctx.warmupS} s`);
    if (ctx.warmupS > 0) await runOnce('warm', rate, ctx.warmupS);
    ctx.log(`e2e: measuring at ${rate}/s for ${ctx.durationS} s`);
    const r = await runOnce('e2e', rate, ctx.durationS);
    const shape = { agents: agentsN, agent_concurrency: concurrency, agent_processes: 1 };
    out.push({ name: 'e2e', rps: r.tasks_per_s, ...r, ...shape, agentkit_rss_mb: round(ak.rss() / MiB, 1) });
    ctx.log(`e2e: ${r.tasks_per_s} tasks/s (offered ${rate}), p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, finished ${r.finished}/${r.tasks}, CPU ms/task ${JSON.stringify(r.cpu_ms_per_task)}`);

    if (lowRate > 0) {
      // The latency of a task when the system is not saturated (the row above queues when it is).
      ctx.log(`e2e-${lowRate}: measuring at ${lowRate}/s for ${ctx.durationS} s`);
      const l = await runOnce('low', lowRate, ctx.durationS);
      out.push({ name: `e2e-${lowRate}`, rps: l.tasks_per_s, ...l, ...shape });
      ctx.log(`e2e-${lowRate}: ${l.tasks_per_s} tasks/s, p50 ${l.p50_ms} ms, p99 ${l.p99_ms} ms`);
    }
    if (maxRate > 0) {
      ctx.log(`e2e-max: offering ${maxRate}/s for ${ctx.durationS} s`);
      // Only the tasks finished while the load ran count here, so don't wait long for the rest.
      const m = await runOnce('max', maxRate, ctx.durationS, 20);
      out.push({ name: 'e2e-max', rps: m.tasks_per_s, ...m, ...shape, note: 'offered load above capacity: throughput ceiling; latency includes queueing' });
      ctx.log(`e2e-max: ${m.tasks_per_s} tasks/s finished (offered ${maxRate}), p50 ${m.p50_ms} ms`);
    }
    return out;
  } finally {
    await agents.stop();
    await ak.stop();
    await opscore.stop();
  }
}
