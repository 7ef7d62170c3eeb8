import { randomUUID } from 'node:crypto';
import { AUTH, dbPath, outboxDepth, startAgentKit, waitDrained } from '../lib/agentkit.js';
import { type BenchContext, type ScenarioResult, profileDirFor } from '../lib/context.js';
import { warmAndLoad } from '../lib/load.js';
import { cpuMsOf, spawnServer } from '../lib/proc.js';
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
    const shape = { url: `${ak.url}/v1/agents`, method: 'POST' as const, headers: AUTH, body, connections: ctx.connections, durationS: ctx.durationS };
    if (ctx.warmupS > 0) await warmAndLoad({ ...shape, durationS: ctx.warmupS }, 0);
    await waitDrained(ak.url, 120_000);
    const cpuBefore = cpuMsOf(ak.pid);
    const r = await warmAndLoad(shape, 0);
    const backlog = await outboxDepth(ak.url);
    const drainS = await waitDrained(ak.url, 120_000);
    const cpuMs = cpuMsOf(ak.pid) - cpuBefore;
    ctx.log(`register: ${r.rps} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, AgentKit CPU ${round(cpuMs / Math.max(1, r.requests), 3)} ms/registration (webhook included), webhooks queued ${backlog}, drained in ${drainS} s`);
    return [
      {
        name: 'register',
        ...r,
        outbox_backlog_at_end: backlog,
        drain_s: drainS === null ? null : round(drainS, 1),
        agentkit_cpu_ms_per_task: round(cpuMs / Math.max(1, r.requests), 3),
        rss_mb: round(ak.rss() / MiB, 1),
      },
    ];
  } finally {
    await ak.stop();
    await sink.stop();
  }
}
