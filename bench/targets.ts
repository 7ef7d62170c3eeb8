import type { ScenarioResult } from './lib/context.js';

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: not measured in this run. */
  pass: boolean | null;
}

const find = (rows: ScenarioResult[], name: string) => rows.find((r) => r.name === name);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The targets of issue 5, checked against one run's rows. */
export function checkTargets(rows: ScenarioResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const express = num(find(rows, 'baseline-express')?.rps);
  const dispatch = num(find(rows, 'dispatch')?.rps);
  checks.push({
    target: 'dispatch >= 0.6 x baseline-express',
    measured: express && dispatch !== null ? `${(dispatch / express).toFixed(2)} x (${dispatch} / ${express} req/s)` : 'not measured',
    pass: express && dispatch !== null ? dispatch >= 0.6 * express : null,
  });
  const e2e = find(rows, 'e2e');
  const tps = num(e2e?.rps);
  const p50 = num(e2e?.p50_ms);
  checks.push({
    target: 'e2e >= 500 tasks/s with p50 <= 25 ms',
    measured: tps !== null && p50 !== null ? `${tps} tasks/s, p50 ${p50} ms` : 'not measured',
    pass: tps !== null && p50 !== null ? tps >= 500 && p50 <= 25 : null,
  });
  const wh = num(find(rows, 'webhook-latency')?.p50_ms);
  checks.push({ target: 'webhook-latency p50 <= 10 ms', measured: wh !== null ? `p50 ${wh} ms` : 'not measured', pass: wh !== null ? wh <= 10 : null });
  const rss = num(find(rows, 'memory-100k')?.rss_after_mb);
  checks.push({ target: 'RSS after 100,000 tasks <= 150 MB', measured: rss !== null ? `${rss} MB` : 'not measured', pass: rss !== null ? rss <= 150 : null });
  const l1 = find(rows, 'list-agents-1k');
  const l100 = find(rows, 'list-agents-100k');
  const r1 = num(l1?.rps);
  const r100 = num(l100?.rps);
  // "Flat": the 100k page serves at least 80% of the 1k page's rate.
  checks.push({
    target: 'list-agents flat from 1k to 100k (100k rate >= 0.8 x 1k rate)',
    measured: r1 && r100 !== null ? `${r100} vs ${r1} req/s (${(r100 / r1).toFixed(2)} x); p50 ${l100?.p50_ms} vs ${l1?.p50_ms} ms` : 'not measured',
    pass: r1 && r100 !== null ? r100 >= 0.8 * r1 : null,
  });
  return checks;
}
