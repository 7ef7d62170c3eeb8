import { request } from 'undici';
import { AUTH, DISPATCH_BODY, dbPath, registerAgents, sinkEndpoints, startAgentKit, waitDrained } from '../lib/agentkit.js';
import { type BenchContext, type ScenarioResult, numberFromEnv, profileDirFor } from '../lib/context.js';
import { load } from '../lib/load.js';
import { spawnServer } from '../lib/proc.js';
import { MiB, round } from '../lib/stats.js';

/** V8 heap figures from AgentKit's own /metrics (prom-client default metrics), MB. */
async function heapOf(url: string): Promise<Record<string, number>> {
  const text = await (await request(`${url}/metrics`)).body.text();
  const pick = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? round(Number(line.slice(name.length + 1)) / MiB, 1) : -1;
  };
  return {
    heap_used_mb: pick('agentkit_nodejs_heap_size_used_bytes'),
    heap_total_mb: pick('agentkit_nodejs_heap_size_total_bytes'),
    external_mb: pick('agentkit_nodejs_external_memory_bytes'),
  };
}

/**
 * `memory-100k`: a fresh AgentKit takes MEMORY_TASKS (default 100,000) dispatches, delivers
 * them all to a raw node:http agent; its resident set size is read when the outbox is empty
 * (`rss_drained_mb`) and again after MEMORY_SETTLE_S (15) idle seconds (`rss_after_mb`, the
 * figure the target is checked against).
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
    const rssDrained = ak.rss();
    peak = Math.max(peak, rssDrained);
    // V8 gives heap back only when its memory reducer runs, a few seconds after the allocation
    // rate drops: read again once the process has been idle for MEMORY_SETTLE_S seconds.
    await new Promise((r) => setTimeout(r, numberFromEnv('MEMORY_SETTLE_S', 15) * 1000));
    const rssAfter = ak.rss();
    const heap = await heapOf(ak.url);
    const result: ScenarioResult = {
      name: 'memory-100k',
      rps: null,
      p50_ms: null,
      p99_ms: null,
      tasks,
      accepted: r.requests - r.non2xx - r.errors,
      rss_start_mb: round(rssStart / MiB, 1),
      rss_drained_mb: round(rssDrained / MiB, 1),
      rss_after_mb: round(rssAfter / MiB, 1),
      settle_s: numberFromEnv('MEMORY_SETTLE_S', 15),
      rss_peak_mb: round(peak / MiB, 1),
      ...heap,
      drained: drainS !== null,
      seconds: round(totalS, 1),
    };
    ctx.log(`memory: RSS ${result.rss_start_mb} MB at start, ${result.rss_drained_mb} MB when ${tasks} tasks drained, ${result.rss_after_mb} MB ${result.settle_s} s later (peak ${result.rss_peak_mb} MB); heap ${JSON.stringify(heap)}`);
    return [result];
  } finally {
    await ak.stop();
    await sink.stop();
  }
}
