import { DISPATCH_BODY } from '../lib/agentkit.js';
import type { BenchContext, ScenarioResult } from '../lib/context.js';
import { load } from '../lib/load.js';
import { cpuMsOf, spawnServer } from '../lib/proc.js';
import { MiB, round } from '../lib/stats.js';

/** `baseline-node` (raw node:http, 202) and `baseline-express` (Express 5 + express.json, 202), same body as `dispatch`. */
export async function baselines(ctx: BenchContext): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const [name, entry] of [
    ['baseline-node', 'bench/servers/baseline-node.ts'],
    ['baseline-express', 'bench/servers/baseline-express.ts'],
  ] as const) {
    ctx.log(`${name}: starting`);
    const server = await spawnServer({ name, entry, readyPath: '/healthz' });
    try {
      const shape = {
        url: `${server.url}/v1/agents/bench-agent-0/run`,
        method: 'POST' as const,
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key' },
        body: DISPATCH_BODY,
        connections: ctx.connections,
        durationS: ctx.durationS,
      };
      if (ctx.warmupS > 0) await load({ ...shape, durationS: ctx.warmupS });
      const cpuBefore = cpuMsOf(server.pid);
      const r = await load(shape);
      const cpuMs = cpuMsOf(server.pid) - cpuBefore;
      out.push({ name, ...r, server_cpu_ms_per_req: round(cpuMs / Math.max(1, r.requests), 3), rss_mb: round(server.rss() / MiB, 1) });
      ctx.log(`${name}: ${r.rps} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, server CPU ${round(cpuMs / Math.max(1, r.requests), 3)} ms/req`);
    } finally {
      await server.stop();
    }
  }
  return out;
}
