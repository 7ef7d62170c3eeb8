import { AUTH, dbPath, getJson, startAgentKit } from '../lib/agentkit.js';
import { type BenchContext, type ScenarioResult, numberFromEnv, profileDirFor } from '../lib/context.js';
import { openLoop } from '../lib/open-loop.js';
import { spawnServer } from '../lib/proc.js';
import { percentile, round, until } from '../lib/stats.js';

/**
 * `webhook-latency`: registrations at a steady rate (WEBHOOK_RATE, default 50/s); for each,
 * the time from sending the registration (its commit happens inside that request, so this is
 * an upper bound of commit-to-receipt) to the REGISTER webhook's arrival at a receiver in
 * another process. Also shown: from the registration's answer to receipt (a lower bound; it
 * is negative when the webhook overtakes the answer).
 */
export async function webhookLatency(ctx: BenchContext): Promise<ScenarioResult[]> {
  const rate = numberFromEnv('WEBHOOK_RATE', 50);
  const sink = await spawnServer({ name: 'receiver', entry: 'bench/servers/sink.ts', readyPath: '/healthz', env: { SINK_RECORD: '1' } });
  const ak = await startAgentKit({
    name: 'agentkit',
    database: dbPath(ctx.tmpDir, 'webhook-latency'),
    webhookUrl: `${sink.url}/v1/opscore/internal/agent/notify`,
    opsCoreApiUrl: sink.url,
    cpuProfDir: profileDirFor(ctx, 'webhook-latency'),
  });
  try {
    const body = (prefix: string, i: number) =>
      JSON.stringify({ agentId: `${prefix}${i}`, agentName: 'latency-probe', version: '1.0.0', capabilities: ['echo'], contactEndpoint: `${sink.url}/tasks` });
    const run = async (prefix: string, durationS: number) => {
      const load = await openLoop({
        origin: ak.url,
        rate,
        durationS,
        connections: 8,
        request: (i) => ({ path: '/v1/agents', headers: AUTH, body: body(prefix, i) }),
      });
      const received = new Map<string, number>();
      await until(async () => {
        for (const r of (await getJson(`${sink.url}/_sink/received`)) as Array<{ agentId: string; at: number }>) received.set(r.agentId, r.at);
        return [...received.keys()].filter((k) => k.startsWith(prefix)).length >= load.ok;
      }, 30_000);
      const fromSend: number[] = [];
      const fromAnswer: number[] = [];
      for (let i = 0; i < load.sent; i++) {
        const at = received.get(`${prefix}${i}`);
        if (at === undefined) continue;
        fromSend.push(at - load.sentAt[i]!);
        if (load.answeredAt[i]! > 0) fromAnswer.push(at - load.answeredAt[i]!);
      }
      return { load, fromSend, fromAnswer };
    };
    if (ctx.warmupS > 0) await run('warm-', ctx.warmupS);
    ctx.log(`webhook-latency: ${rate} registrations/s for ${ctx.durationS} s`);
    const { load, fromSend, fromAnswer } = await run('probe-', ctx.durationS);
    const result: ScenarioResult = {
      name: 'webhook-latency',
      rps: null,
      p50_ms: round(percentile(fromSend, 50), 2),
      p99_ms: round(percentile(fromSend, 99), 2),
      measured_from: 'registration request sent (commit happens inside it) to webhook received',
      registrations: load.sent,
      received: fromSend.length,
      rate_per_s: rate,
      registration_p50_ms: round(percentile(load.latencies, 50), 2),
      from_answer_p50_ms: round(percentile(fromAnswer, 50), 2),
      from_answer_p99_ms: round(percentile(fromAnswer, 99), 2),
    };
    ctx.log(`webhook-latency: p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms (${fromSend.length}/${load.sent} received)`);
    return [result];
  } finally {
    await ak.stop();
    await sink.stop();
  }
}
