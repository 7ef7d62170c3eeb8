/**
 * AgentKit soak test: `make soak` (node --import tsx bench/soak.ts). AgentKit (SQLite) takes
 * dispatches at half its measured dispatch capacity for SOAK_DURATION_S (default 300) seconds
 * while its outbox drains to a raw node:http agent. Every SOAK_REPORT_S (30) seconds it prints
 * AgentKit's RSS, the p99 of /run in that interval and the outbox backlog; at the end it says
 * whether memory stayed flat (the last third's RSS within max(10%, 16 MB) of the first third's,
 * after the first interval as warm-up). SOAK_RATE fixes the rate instead of measuring
 * capacity. Exits 1 when memory grew or requests failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH, DISPATCH_BODY, outboxDepth, registerAgents, sinkEndpoints, startAgentKit, waitDrained } from './lib/agentkit.js';
import { numberFromEnv } from './lib/context.js';
import { load } from './lib/load.js';
import { machineInfo } from './lib/machine.js';
import { openLoop } from './lib/open-loop.js';
import { spawnServer } from './lib/proc.js';
import { MiB, percentile, round } from './lib/stats.js';

const durationS = numberFromEnv('SOAK_DURATION_S', 300);
const reportS = numberFromEnv('SOAK_REPORT_S', 30);
const log = (m: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}`);

const tmp = mkdtempSync(join(tmpdir(), 'agentkit-soak-'));
const sink = await spawnServer({ name: 'sink', entry: 'bench/servers/sink.ts', readyPath: '/healthz', env: { SINK_PORTS: '10' } });
const ak = await startAgentKit({
  name: 'agentkit',
  database: join(tmp, 'soak.db'),
  webhookUrl: `${sink.url}/v1/opscore/internal/agent/notify`,
  opsCoreApiUrl: sink.url,
});
let exitCode = 0;
try {
  const m = machineInfo();
  log(`machine: ${m.cpus} x ${m.model}, node ${m.node}, load ${m.loadavg.join(' ')}`);
  const ids = await registerAgents(ak.url, await sinkEndpoints(sink.url), 10);
  let rate = numberFromEnv('SOAK_RATE', 0);
  if (rate === 0) {
    log('measuring dispatch capacity (10 s)');
    const cap = await load({
      url: ak.url,
      headers: AUTH,
      requests: ids.map((id) => ({ method: 'POST' as const, path: `/v1/agents/${id}/run`, body: DISPATCH_BODY })),
      connections: 32,
      durationS: 10,
    });
    await waitDrained(ak.url, 120_000);
    rate = Math.max(1, Math.round(cap.rps / 2));
    log(`capacity ${cap.rps} req/s -> soaking at ${rate} req/s for ${durationS} s`);
  } else {
    log(`soaking at ${rate} req/s (SOAK_RATE) for ${durationS} s`);
  }

  const rows: Array<{ t: number; rssMb: number; p99: number; backlog: number; failed: number; answered: number }> = [];
  let window: number[] = [];
  let failed = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    void (async () => {
      const latencies = window;
      window = [];
      const row = {
        t: Math.round((Date.now() - started) / 1000),
        rssMb: round(ak.rss() / MiB, 1),
        p99: round(percentile(latencies, 99), 1),
        backlog: await outboxDepth(ak.url).catch(() => -1),
        failed,
        answered: latencies.length,
      };
      rows.push(row);
      log(`t=${row.t}s RSS ${row.rssMb} MB, /run p99 ${row.p99} ms over ${row.answered} requests, outbox ${row.backlog}, failed ${row.failed}`);
    })();
  }, reportS * 1000);
  const result = await openLoop({
    origin: ak.url,
    rate,
    durationS,
    connections: 64,
    request: (i) => ({ path: `/v1/agents/${ids[i % ids.length]}/run`, headers: AUTH, body: DISPATCH_BODY }),
    onAnswer: (_i, ms, status) => {
      if (status >= 200 && status < 300) window.push(ms);
      else failed++;
    },
  });
  clearInterval(timer);
  const drained = await waitDrained(ak.url, 120_000);

  const usable = rows.slice(1);
  const third = Math.max(1, Math.floor(usable.length / 3));
  const early = Math.max(...usable.slice(0, third).map((r) => r.rssMb));
  const late = Math.max(...usable.slice(-third).map((r) => r.rssMb));
  const flat = usable.length < 2 || late - early <= Math.max(early * 0.1, 16);
  log(`sent ${result.sent}, accepted ${result.ok}, failed ${result.failed}; outbox drained: ${drained !== null}`);
  log(`memory: ${usable.length < 2 ? 'too short to judge' : `${early} MB early, ${late} MB late`} -> ${flat ? 'FLAT' : 'GREW'}`);
  if (!flat || result.failed > 0 || drained === null) exitCode = 1;
} finally {
  await ak.stop();
  await sink.stop();
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
