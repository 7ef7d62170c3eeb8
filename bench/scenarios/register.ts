import { randomUUID } from 'node:crypto';
import { AUTH, dbPath, startAgentKit, waitDrained } from '../lib/agentkit.js';
import { type BenchContext, type ScenarioResult, profileDirFor } from '../lib/context.js';
import { warmAndLoad } from '../lib/load.js';
import { spawnServer } from '../lib/proc.js';
import { MiB, round } from '../lib/stats.js';

/**
 * `register`: POST /v1/agents without an agentId, so each request registers a new agent
 * (new signing secret, REGISTER webhook queued in the same transaction and sent to a sink).
 */
export async function register(ctx: BenchContext): Promise<ScenarioResult[]> {
  const sink = await spawnServer({ name: 'sink', entry: 'bench/servers/sink.ts', readyPath: '/healthz' });
  const ak = await startAgentKit({
    name: 'agentkit',
    database: dbPath(ctx.tmpDir, 'register'),
    webhookUrl: `${sink.url}/v1/opscore/internal/agent/notify`,
    opsCoreApiUrl: sink.url,
    cpuProfDir: profileDirFor(ctx, 'register'),
  });
  try {
    const body = JSON.stringify({
      agentName: 'bench-registered',
      version: '1.0.0',
      capabilities: ['echo', 'summarize'],
      contactEndpoint: `${sink.url}/tasks`,
      metadata: { team: 'bench', run: randomUUID() },
    });
    ctx.log('register: measuring');
    const r = await warmAndLoad({ url: `${ak.url}/v1/agents`, method: 'POST', headers: AUTH, body, connections: ctx.connections, durationS: ctx.durationS }, ctx.warmupS);
    const drainS = await waitDrained(ak.url, 120_000);
    ctx.log(`register: ${r.rps} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`);
    return [{ name: 'register', ...r, webhooks_drain_s: drainS === null ? null : round(drainS, 1), rss_mb: round(ak.rss() / MiB, 1) }];
  } finally {
    await ak.stop();
    await sink.stop();
  }
}
