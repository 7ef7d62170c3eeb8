/**
 * AgentKit benchmark: `make bench` (node --import tsx bench/run.ts). Every server under test
 * runs in its own child process; the load comes from this process (autocannon, or a fixed-rate
 * generator for the end-to-end and webhook scenarios). Prints a table, checks the targets of
 * issue 5 and writes bench/results.json.
 *
 * Environment: BENCH_DURATION_S (10), BENCH_WARMUP_S (3), BENCH_CONNECTIONS (32),
 * BENCH_SCENARIOS (comma list of baselines, dispatch, dispatch-capped, register, list-agents, e2e,
 * webhook-latency, memory, dispatch-pg; default all), BENCH_OUT (default bench/results.json
 * for a full run, bench/results.partial.json otherwise), BENCH_PROFILE=1 (AgentKit children
 * run with --cpu-prof into bench/profiles/<scenario>/, summarised in the output),
 * E2E_RATE (550), E2E_LOW_RATE (50; 0 skips it), E2E_MAX_RATE (1000; 0 skips e2e-max), E2E_AGENTS (8),
 * E2E_AGENT_CONCURRENCY (16), WEBHOOK_RATE (50), MEMORY_TASKS (100000), BENCH_PG_URL,
 * BENCH_AGENTKIT_NODE_ARGS (node flags added to the service's own, src/config/node-flags.ts; `none` drops those).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { type BenchContext, type ScenarioResult, numberFromEnv } from './lib/context.js';
import { machineInfo } from './lib/machine.js';
import { ROOT } from './lib/proc.js';
import { type ProfileSummary, summarizeDir } from './lib/profile.js';
import { baselines } from './scenarios/baselines.js';
import { dispatch, dispatchCapped } from './scenarios/dispatch.js';
import { dispatchPg } from './scenarios/dispatch-pg.js';
import { e2e } from './scenarios/e2e.js';
import { listAgents } from './scenarios/list-agents.js';
import { memory } from './scenarios/memory.js';
import { register } from './scenarios/register.js';
import { webhookLatency } from './scenarios/webhook-latency.js';
import { RESULTS_FILE, writeReadmeTable } from './markdown.js';
import { checkTargets } from './targets.js';

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<ScenarioResult[]>> = {
  baselines,
  dispatch,
  'dispatch-capped': dispatchCapped,
  register,
  'list-agents': listAgents,
  e2e,
  'webhook-latency': webhookLatency,
  memory,
  'dispatch-pg': dispatchPg,
};

const chosen = (process.env.BENCH_SCENARIOS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
for (const c of chosen) if (!(c in SCENARIOS)) throw new Error(`unknown scenario "${c}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
const names = chosen.length > 0 ? chosen : Object.keys(SCENARIOS);
const full = names.length === Object.keys(SCENARIOS).length;
const out = process.env.BENCH_OUT ?? (full ? RESULTS_FILE : join(ROOT, 'bench', 'results.partial.json'));

const machine = machineInfo();
const tmpDir = mkdtempSync(join(tmpdir(), 'agentkit-bench-'));
const profileRoot = process.env.BENCH_PROFILE === '1' ? join(ROOT, 'bench', 'profiles', new Date().toISOString().replace(/[:.]/g, '-')) : undefined;
const ctx: BenchContext = {
  durationS: numberFromEnv('BENCH_DURATION_S', 10),
  warmupS: numberFromEnv('BENCH_WARMUP_S', 3),
  connections: numberFromEnv('BENCH_CONNECTIONS', 32),
  tmpDir,
  profileDir: profileRoot,
  log: (m) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`),
};
ctx.log(`machine: ${machine.cpus} x ${machine.model}, ${machine.memGiB} GiB, node ${machine.node}, load ${machine.loadavg.join(' ')}`);
ctx.log(`scenarios: ${names.join(', ')}; ${ctx.durationS} s each after ${ctx.warmupS} s warm-up, ${ctx.connections} connections`);

const rows: ScenarioResult[] = [];
const profiles: Record<string, ProfileSummary[]> = {};
const startedAt = new Date().toISOString();
try {
  for (const name of names) {
    try {
      rows.push(...(await SCENARIOS[name]!(ctx)));
    } catch (err) {
      ctx.log(`${name} FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      rows.push({ name, rps: null, p50_ms: null, p99_ms: null, error: err instanceof Error ? err.message.slice(0, 500) : String(err) });
    }
  }
} finally {
  rmSync(tmpDir, { recursive: true, force: true });
}

if (profileRoot) {
  for (const dir of [...new Set(rows.map((r) => r.name))]) {
    for (const sub of [dir, `${dir}-0`, `${dir}-1`]) {
      const s = summarizeDir(join(profileRoot, sub));
      if (s.length > 0) profiles[sub] = s;
    }
  }
  // list-agents and e2e write under their own names.
  for (const sub of ['list-agents-1000', 'list-agents-10000', 'list-agents-100000', 'e2e', 'memory']) {
    const s = summarizeDir(join(profileRoot, sub));
    if (s.length > 0) profiles[sub] = s;
  }
}

const byName = (n: string) => rows.find((r) => r.name === n);
const ratio = (a: string, b: string) => {
  const x = byName(a)?.rps;
  const y = byName(b)?.rps;
  return typeof x === 'number' && typeof y === 'number' && y > 0 ? Math.round((x / y) * 100) / 100 : null;
};
const ratios = {
  'dispatch / baseline-express': ratio('dispatch', 'baseline-express'),
  'dispatch / baseline-node': ratio('dispatch', 'baseline-node'),
  'dispatch-capped / dispatch': ratio('dispatch-capped', 'dispatch'),
  'register / baseline-express': ratio('register', 'baseline-express'),
  'baseline-express / baseline-node': ratio('baseline-express', 'baseline-node'),
  'dispatch-pg-1 / baseline-express': ratio('dispatch-pg-1', 'baseline-express'),
  'dispatch-pg-2 / baseline-express': ratio('dispatch-pg-2', 'baseline-express'),
};
const targets = checkTargets(rows);

const table = new Table({ head: ['scenario', 'rps / tasks/s', 'p50 ms', 'p99 ms', 'notes'], style: { head: [] } });
const note = (r: ScenarioResult): string => {
  const parts: string[] = [];
  if (r.error) parts.push(`ERROR ${String(r.error).slice(0, 60)}`);
  if (r.skipped) parts.push(`skipped: ${String(r.skipped).slice(0, 70)}`);
  if (r.outbox_backlog_at_end !== undefined) parts.push(`backlog ${r.outbox_backlog_at_end}, drain ${r.drain_s} s`);
  if (r.processes !== undefined && Number(r.processes) > 1) parts.push(`${r.processes} processes`);
  if (String(r.name).startsWith('e2e')) parts.push(`offered ${r.offered_rate}/s, ${r.agents} agents x ${r.agent_concurrency}, ${r.finished}/${r.tasks} finished`);
  if (r.agents !== undefined && String(r.name).startsWith('list-agents')) parts.push(`page of ${r.page} from ${r.agents}`);
  if (r.rss_after_mb !== undefined) parts.push(`RSS ${r.rss_start_mb} -> ${r.rss_after_mb} MB (peak ${r.rss_peak_mb}) after ${r.tasks} tasks`);
  if (r.name === 'webhook-latency') parts.push(`${r.received}/${r.registrations} webhooks; answer->receipt p50 ${r.from_answer_p50_ms} ms`);
  return parts.join('; ');
};
for (const r of rows) table.push([r.name, r.rps ?? '-', r.p50_ms ?? '-', r.p99_ms ?? '-', note(r)]);
console.log(table.toString());
console.log('Ratios:', Object.entries(ratios).filter(([, v]) => v !== null).map(([k, v]) => `${k} = ${v}`).join('; '));
for (const t of targets) console.log(`${t.pass === null ? 'SKIP' : t.pass ? 'PASS' : 'MISS'}  ${t.target}: ${t.measured}`);
for (const [name, list] of Object.entries(profiles)) {
  for (const p of list) {
    console.log(`\nprofile ${name} (${p.total_ms} ms sampled): ${p.by_module.slice(0, 6).map((m) => `${m.module} ${m.self_pct}%`).join(', ')}`);
    for (const t of p.top.slice(0, 10)) console.log(`  ${String(t.self_pct).padStart(5)}%  ${t.fn}  ${t.where}`);
  }
}

const results = {
  machine,
  settings: { duration_s: ctx.durationS, warmup_s: ctx.warmupS, connections: ctx.connections, scenarios: names, started_at: startedAt, loadavg_at_end: loadavg().map((l) => Math.round(l * 100) / 100) },
  scenarios: rows,
  ratios,
  targets,
  ...(profileRoot ? { profiles } : {}),
};
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
if (out === RESULTS_FILE) writeReadmeTable();
ctx.log(`wrote ${out}`);
