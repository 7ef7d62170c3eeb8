import { AUTH, DISPATCH_BODY, dbPath, registerAgents, sinkEndpoints, startAgentKit, waitDrained } from '../lib/agentkit.js';
import { type BenchContext, type ScenarioResult, numberFromEnv, profileDirFor } from '../lib/context.js';
import { load } from '../lib/load.js';
import { spawnServer } from '../lib/proc.js';
import { MiB, round } from '../lib/stats.js';

/**
 * `memory-100k`: a fresh AgentKit takes MEMORY_TASKS (default 100,000) dispatches, delivers
 * them all to a raw node:http agent, and its resident set size is read once the outbox is empty.
 */
export async function memory(ctx: BenchContext): Promise<ScenarioResult[]> {
  const tasks = numberFromEnv('MEMORY_TASKS', 100_000);
  const sink = await spawnServer({ name: 'sink', entry: 'bench/servers/sink.ts', readyPath: '/healthz', env: { SINK_PORTS: '10' } });
  const ak = await startAgentKit({
    name: 'agentkit',
    database: dbPath(ctx.tmpDir, 'memory'),
    webhookUrl: `${sink.url}/v1/opscore/internal/agent/notify`,
    opsCoreApiUrl: sink.url,
    cpuProfDir: profileDirFor(ctx, 'memory'),
  });
  try {
    const ids = await registerAgents(ak.url, await sinkEndpoints(sink.url), 10);
    const rssStart = ak.rss();
    let peak = rssStart;
    const sampler = setInterval(() => (peak = Math.max(peak, ak.rss())), 250);
    ctx.log(`memory: dispatching ${tasks} tasks`);
    const started = Date.now();
    const r = await load({
      url: ak.url,
      headers: AUTH,
      requests: ids.map((id) => ({ method: 'POST' as const, path: `/v1/agents/${id}/run`, body: DISPATCH_BODY })),
      connections: ctx.connections,
      amount: tasks,
    });
    const drainS = await waitDrained(ak.url, 300_000);
    const totalS = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const rssAfter = ak.rss();
    peak = Math.max(peak, rssAfter);
    const result: ScenarioResult = {
      name: 'memory-100k',
      rps: null,
      p50_ms: null,
      p99_ms: null,
      tasks,
      accepted: r.requests - r.non2xx - r.errors,
      rss_start_mb: round(rssStart / MiB, 1),
      rss_after_mb: round(rssAfter / MiB, 1),
      rss_peak_mb: round(peak / MiB, 1),
      drained: drainS !== null,
      seconds: round(totalS, 1),
    };
    ctx.log(`memory: RSS ${result.rss_start_mb} MB at start, ${result.rss_after_mb} MB after ${tasks} tasks (peak ${result.rss_peak_mb} MB)`);
    return [result];
  } finally {
    await ak.stop();
    await sink.stop();
  }
}
