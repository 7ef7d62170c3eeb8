import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  fn: string;
  where: string;
  self_pct: number;
}

export interface ProfileSummary {
  file: string;
  total_ms: number;
  /** Self time by function. */
  top: HotSpot[];
  /** Self time by package or source folder. */
  by_module: Array<{ module: string; self_pct: number }>;
}

function moduleOf(url: string): string {
  if (url === '') return '(native/gc/idle)';
  if (url.startsWith('node:')) return 'node:internal';
  // AgentKit compiled by the bench (bench/lib/agentkit.ts) into node_modules/.cache/agentkit-bench/src/.
  const own = /\/agentkit-bench\/(src\/[^/]+)\//.exec(url);
  if (own) return own[1]!;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const src = /\/(src\/[^/]+|bench|examples)\//.exec(url);
  return src ? src[1]! : url.replace(/^file:\/\//, '');
}

function short(url: string): string {
  if (url.includes('/agentkit-bench/src/')) return url.slice(url.indexOf('/agentkit-bench/') + '/agentkit-bench/'.length) + ' (compiled)';
  return url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/(src|bench)\//, '$1/');
}

/**
 * Self time per function and per module of one `.cpuprofile` (idle and GC shown as such).
 * `window`: only the samples between these seconds after the profile started (for example the
 * load phase of a scenario, without the start-up and the drain after it).
 */
export function summarizeProfile(file: string, top = 15, window?: readonly [number, number]): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  let at = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (window && (at < window[0] * 1e6 || at > window[1] * 1e6)) return;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFn = new Map<string, { fn: string; where: string; us: number }>();
  const byModule = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const fn = functionName || '(anonymous)';
    const where = url ? `${short(url)}:${lineNumber + 1}` : '';
    const key = `${fn}@${where}`;
    const e = byFn.get(key) ?? { fn, where, us: 0 };
    e.us += us;
    byFn.set(key, e);
    const m = fn === '(idle)' ? '(idle)' : fn === '(garbage collector)' ? '(gc)' : moduleOf(url);
    byModule.set(m, (byModule.get(m) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / total) * 1000) / 10;
  return {
    file,
    total_ms: Math.round(total / 1000),
    top: [...byFn.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => ({ fn: e.fn, where: e.where, self_pct: pct(e.us) })),
    by_module: [...byModule.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([module, us]) => ({ module, self_pct: pct(us) })),
  };
}

/** Summaries of every profile in `dir` (none when it does not exist). */
export function summarizeDir(dir: string, top = 15): ProfileSummary[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
  return files.map((f) => summarizeProfile(join(dir, f), top));
}

/**
 * CLI: `node --import tsx bench/lib/profile.ts [--window FROM,TO] [--json] <file-or-dir>...`
 * prints the summaries (`--window`: seconds after each profile started; `--json`: as JSON).
 */
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--window');
  const window = at >= 0 ? (args.splice(at, 2)[1]!.split(',').map(Number) as [number, number]) : undefined;
  const json = args.includes('--json');
  const summaries = args
    .filter((a) => a !== '--json')
    .flatMap((arg) => (arg.endsWith('.cpuprofile') ? [arg] : readdirSync(arg).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(arg, f))))
    .map((f) => summarizeProfile(f, 25, window));
  if (json) console.log(JSON.stringify({ window_s: window ?? null, summaries }, null, 2));
  else {
    for (const s of summaries) {
      console.log(`\n${s.file} (${s.total_ms} ms sampled${window ? `, ${window[0]}-${window[1]} s` : ''})`);
      for (const m of s.by_module) console.log(`  ${String(m.self_pct).padStart(5)}%  ${m.module}`);
      console.log('  --');
      for (const t of s.top) console.log(`  ${String(t.self_pct).padStart(5)}%  ${t.fn}  ${t.where}`);
    }
  }
}
