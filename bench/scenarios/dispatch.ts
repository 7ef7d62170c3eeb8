import { AUTH, DISPATCH_BODY, dbPath, outboxDepth, registerAgents, sinkEndpoints, startAgentKit, waitDrained } from '../lib/agentkit.js';
import { type BenchContext, type ScenarioResult, profileDirFor } from '../lib/context.js';
import { type LoadResult, load, warmAndLoad } from '../lib/load.js';
import { type Child, cpuMsOf, spawnServer } from '../lib/proc.js';
import { MiB, round } from '../lib/stats.js';

const AGENTS = 10;

export interface DispatchOptions {
  name: string;
  /** AGENTKIT_DB of every process. */
  database: string;
  /** AgentKit processes sharing the database; the load is split evenly over them. */
  processes: number;
  /**
   * The agents' maxConcurrentTasks. The sink never reports an outcome, so beyond the first few
   * every delivery waits for a slot: what capacity costs a dispatch, and whether the worker's
   * claims stay cheap with the outbox full of waiting rows. Default: no limit.
   */
  maxConcurrentTasks?: number;
}

/** Sums loads run side by side: rps and counts add up; p50 is their mean, p99 the worst. */
function combine(results: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => results.reduce((a, r) => a + f(r), 0);
  return {
    rps: sum((r) => r.rps),
    p50_ms: round(sum((r) => r.p50_ms) / results.length, 2),
    p99_ms: Math.max(...results.map((r) => r.p99_ms)),
    mean_ms: round(sum((r) => r.mean_ms) / results.length, 2),
    max_ms: Math.max(...results.map((r) => r.max_ms)),
    requests: sum((r) => r.requests),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    duration_s: Math.max(...results.map((r) => r.duration_s)),
    connections: sum((r) => r.connections),
  };
}

/**
 * POST /v1/agents/{id}/run with auth, request validation and the durable insert (task +
 * outbox row in one transaction), while the outbox drains to a raw node:http agent answering
 * 202. Reports what was still queued when the load stopped and how long it took to drain, so
 * a worker that falls behind shows.
 */
export async function runDispatch(ctx: BenchContext, options: DispatchOptions): Promise<ScenarioResult[]> {
  const sink = await spawnServer({ name: 'sink', entry: 'bench/servers/sink.ts', readyPath: '/healthz', env: { SINK_PORTS: '10' } });
  const nodes: Child[] = [];
  try {
    for (let i = 0; i < options.processes; i++) {
      nodes.push(
        await startAgentKit({
          name: `agentkit-${i}`,
          database: options.database,
          webhookUrl: `${sink.url}/v1/opscore/internal/agent/notify`,
          opsCoreApiUrl: sink.url,
          cpuProfDir: profileDirFor(ctx, `${options.name}-${i}`),
        }),
      );
    }
    const terms = options.maxConcurrentTasks === undefined ? {} : { maxConcurrentTasks: options.maxConcurrentTasks };
    const ids = await registerAgents(nodes[0]!.url, await sinkEndpoints(sink.url), AGENTS, 'bench-agent', terms);
    const shape = (url: string) => ({
      url,
      headers: AUTH,
      requests: ids.map((id) => ({ method: 'POST' as const, path: `/v1/agents/${id}/run`, body: DISPATCH_BODY })),
      connections: Math.max(1, Math.round(ctx.connections / nodes.length)),
      durationS: ctx.durationS,
    });
    ctx.log(`${options.name}: measuring (${nodes.length} process${nodes.length > 1 ? 'es' : ''})`);
    if (ctx.warmupS > 0) await Promise.all(nodes.map((n) => load({ ...shape(n.url), durationS: ctx.warmupS })));
    const cpuBefore = nodes.map((n) => cpuMsOf(n.pid));
    const r = nodes.length === 1 ? await warmAndLoad(shape(nodes[0]!.url), 0) : combine(await Promise.all(nodes.map((n) => load(shape(n.url)))));
    const backlog = await outboxDepth(nodes[0]!.url);
    // Waiting deliveries stay pending until a slot frees, which never happens here.
    const drainS = options.maxConcurrentTasks === undefined ? await waitDrained(nodes[0]!.url, 120_000) : null;
    const cpuMs = nodes.reduce((a, n, i) => a + cpuMsOf(n.pid) - cpuBefore[i]!, 0);
    ctx.log(`${options.name}: ${r.rps} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, AgentKit CPU ${round(cpuMs / Math.max(1, r.requests), 3)} ms/task, backlog ${backlog}, drained in ${drainS} s`);
    return [
      {
        name: options.name,
        ...r,
        processes: nodes.length,
        agents: AGENTS,
        outbox_backlog_at_end: backlog,
        drain_s: drainS === null ? null : round(drainS, 1),
        agentkit_cpu_ms_per_task: round(cpuMs / Math.max(1, r.requests), 3),
        rss_mb: round(nodes.reduce((a, n) => a + n.rss(), 0) / nodes.length / MiB, 1),
      },
    ];
  } finally {
    for (const n of nodes) await n.stop();
    await sink.stop();
  }
}

/** `dispatch`: one AgentKit process on SQLite. */
export function dispatch(ctx: BenchContext): Promise<ScenarioResult[]> {
  return runDispatch(ctx, { name: 'dispatch', database: dbPath(ctx.tmpDir, 'dispatch'), processes: 1 });
}

/** `dispatch-capped`: as `dispatch`, to agents with maxConcurrentTasks 4 that never finish, so nearly every delivery waits for a slot. */
export function dispatchCapped(ctx: BenchContext): Promise<ScenarioResult[]> {
  return runDispatch(ctx, { name: 'dispatch-capped', database: dbPath(ctx.tmpDir, 'dispatch-capped'), processes: 1, maxConcurrentTasks: 4 });
}
