/**
 * Prints bench/results.json (or the file given) as the Markdown that README.md's Benchmark
 * section shows: the machine, one table row per scenario, the ratios and the targets.
 * `node --import tsx bench/markdown.ts [results.json]`
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from './lib/context.js';
import type { MachineInfo } from './lib/machine.js';
import type { TargetCheck } from './targets.js';

interface Results {
  machine: MachineInfo;
  settings: { duration_s: number; warmup_s: number; connections: number; started_at: string; loadavg_at_end: number[] };
  scenarios: ScenarioResult[];
  ratios: Record<string, number | null>;
  targets: TargetCheck[];
}

const file = process.argv[2] ?? join(import.meta.dirname, 'results.json');
const r = JSON.parse(readFileSync(file, 'utf8')) as Results;
const m = r.machine;

const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
function notes(s: ScenarioResult): string {
  const n: string[] = [];
  if (s.skipped) n.push(`skipped: ${String(s.skipped)}`);
  if (s.error) n.push(`error: ${String(s.error).slice(0, 80)}`);
  if (typeof s.server_cpu_ms_per_req === 'number') n.push(`server CPU ${s.server_cpu_ms_per_req} ms/req`);
  if (typeof s.agentkit_cpu_ms_per_task === 'number') n.push(`AgentKit CPU ${s.agentkit_cpu_ms_per_task} ms/task`);
  if (s.outbox_backlog_at_end !== undefined) n.push(`outbox ${String(s.outbox_backlog_at_end)} when the load stopped, drained in ${cell(s.drain_s)} s`);
  if (s.processes !== undefined && Number(s.processes) > 1) n.push(`${String(s.processes)} processes, one database`);
  if (String(s.name).startsWith('list-agents')) n.push(`page of ${String(s.page)} from ${String(s.agents)} agents, cursors spread over the set`);
  if (String(s.name).startsWith('e2e')) {
    n.push(`offered ${String(s.offered_rate)}/s; ${String(s.agents)} SDK agents x concurrency ${String(s.agent_concurrency)}; ${String(s.finished)}/${String(s.tasks)} finished`);
    if (s.cpu_ms_per_task) n.push(`CPU ms/task ${Object.entries(s.cpu_ms_per_task as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  if (s.name === 'webhook-latency') n.push(`${String(s.rate_per_s)} registrations/s; from the 201 answer: p50 ${String(s.from_answer_p50_ms)} ms`);
  if (s.rss_after_mb !== undefined) {
    n.push(`RSS ${String(s.rss_start_mb)} MB at start, ${String(s.rss_drained_mb ?? s.rss_after_mb)} MB drained, **${String(s.rss_after_mb)} MB** ${cell(s.settle_s)} s later; live JS heap ${cell(s.heap_used_mb)} of ${cell(s.heap_total_mb)} MB`);
  }
  return n.join('; ');
}

const lines: string[] = [];
lines.push(
  `Measured on ${m.cpus} x ${m.model}, ${m.memGiB} GiB, Node ${m.node}, ${m.os}; load average ${m.loadavg.join(' / ')} at the start ` +
    `and ${r.settings.loadavg_at_end.join(' / ')} at the end (a shared machine: other work ran too). ` +
    `${r.settings.duration_s} s per measurement after ${r.settings.warmup_s} s of warm-up, ${r.settings.connections} connections; ${r.settings.started_at.slice(0, 16).replace('T', ' ')} UTC.`,
);
lines.push('');
lines.push('| scenario | req/s or tasks/s | p50 ms | p99 ms | notes |');
lines.push('| --- | ---: | ---: | ---: | --- |');
for (const s of r.scenarios) lines.push(`| ${s.name} | ${cell(s.rps)} | ${cell(s.p50_ms)} | ${cell(s.p99_ms)} | ${notes(s)} |`);
lines.push('');
const ratios = Object.entries(r.ratios).filter(([, v]) => v !== null);
if (ratios.length > 0) lines.push(`Ratios in the same run: ${ratios.map(([k, v]) => `${k} = ${String(v)}`).join('; ')}.`, '');
lines.push('| target (issue 5) | measured | |');
lines.push('| --- | --- | --- |');
for (const t of r.targets) lines.push(`| ${t.target} | ${t.measured} | ${t.pass === null ? 'not measured' : t.pass ? 'PASS' : 'MISS'} |`);
console.log(lines.join('\n'));
