import type { Family, FuzzCase } from './cases.js';
import type { WireClient, WireResponse } from './http.js';

/** A server under fuzzing, with what the runner needs to judge its answers. */
export interface FuzzTarget {
  name: string;
  client: WireClient;
  /** For rejected cases: the statuses right for each family of defect. */
  expected: Record<Exclude<Family, 'valid'>, number[]>;
  /** The next valid request that may change state; it runs alone, and the target learns from its answer. */
  nextValid(): FuzzCase;
  /** The next invalid request, or a valid one that only reads. Neither may change what is stored. */
  nextInvalid(): FuzzCase;
  /** Called with each answer to a `nextValid` case (to learn ids, statuses); returns what is wrong with a success answer, if anything. */
  learn?(c: FuzzCase, res: WireResponse): string | undefined;
  /** Waits until background work caused by earlier requests is done (deliveries sent, handlers finished). */
  settle(): Promise<void>;
  /** Re-reads what exists (ids for later requests) after valid requests changed things. */
  refresh?(): Promise<void>;
  /** A digest of everything stored that a request could change. */
  fingerprint(): Promise<string>;
  /** Null when an error answer has the shape the API documents, else what is wrong with it. */
  errorShape(res: WireResponse): string | null;
  /** True when the server still answers its health check. */
  alive(): Promise<boolean>;
  /** Anything else worth printing after the summary. */
  notes?(): string;
}

export interface FuzzOptions {
  seed: number;
  requests: number;
  /** Share of requests that are valid and change state (besides valid reads among the invalid ones). */
  validShare: number;
  /** Invalid requests sent between two fingerprints. */
  batchSize: number;
  concurrency: number;
}

export interface Failure {
  kind: '5xx' | 'no-answer' | 'non-problem' | 'wrong-status' | 'valid-refused' | 'valid-altered' | 'state-change' | 'down';
  label: string;
  detail: string;
}

export interface FuzzResult {
  summary: string;
  families: string;
  failures: Failure[];
  stats: {
    requests: number;
    valid: number;
    invalid: number;
    lenient: number;
    fiveXx: number;
    nonProblem: number;
    wrongStatus: number;
    stateChanges: number;
    /** Valid requests answered 2xx whose answer did not echo what was sent. */
    altered: number;
    validChanges: number;
    validPhases: number;
    seconds: number;
  };
}

function describe(c: FuzzCase): string {
  const path = c.path.length > 120 ? `${c.path.slice(0, 120)}...(${c.path.length} chars)` : c.path;
  const size = c.body ? ` body ${c.body.length} B${c.body.length <= 200 ? `: ${JSON.stringify(c.body.toString('utf8'))}` : ''}` : '';
  return `${c.method} ${JSON.stringify(path)}${size}`;
}

function snippet(res: WireResponse): string {
  const text = res.body.toString('utf8');
  return `${res.status} ${res.headers['content-type'] ?? '(no content-type)'} ${JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}...` : text)}`;
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

/**
 * Fuzzes a target in rounds: valid requests that change state, one at a time; then the
 * target settles and is fingerprinted; then a batch of invalid requests (and valid reads), sent
 * concurrently; then a second fingerprint, which must equal the first. Every answer is judged:
 * no 5xx, valid ones 2xx, invalid ones a status right for their defect, every error in the API's
 * documented shape. The server must still be up at the end.
 */
export async function runFuzz(target: FuzzTarget, o: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const failures: Failure[] = [];
  const families = new Map<string, number>();
  const s = { requests: 0, valid: 0, invalid: 0, lenient: 0, fiveXx: 0, nonProblem: 0, wrongStatus: 0, stateChanges: 0, altered: 0, validChanges: 0, validPhases: 0, seconds: 0 };
  const fail = (f: Failure) => {
    if (failures.length < 5000) failures.push(f);
  };

  const judge = (c: FuzzCase, res: WireResponse | Error) => {
    s.requests++;
    families.set(c.family, (families.get(c.family) ?? 0) + 1);
    if (c.expect === 'accept') s.valid++;
    else if (c.expect === 'reject') s.invalid++;
    else s.lenient++;
    if (res instanceof Error) return fail({ kind: 'no-answer', label: c.label, detail: `${describe(c)} -> ${res.message}` });
    if (res.status >= 500) {
      s.fiveXx++;
      return fail({ kind: '5xx', label: c.label, detail: `${describe(c)} -> ${snippet(res)}` });
    }
    if (res.status >= 400) {
      const shape = target.errorShape(res);
      if (shape) {
        s.nonProblem++;
        fail({ kind: 'non-problem', label: c.label, detail: `${describe(c)} -> ${snippet(res)}: ${shape}` });
      }
    }
    if (c.expect === 'accept' && (res.status < 200 || res.status > 299)) {
      s.wrongStatus++;
      fail({ kind: 'valid-refused', label: c.label, detail: `${describe(c)} -> ${snippet(res)}` });
    }
    if (c.expect === 'reject') {
      const allowed = c.statuses ?? target.expected[c.family as Exclude<Family, 'valid'>] ?? [];
      if (!allowed.includes(res.status)) {
        s.wrongStatus++;
        fail({ kind: 'wrong-status', label: c.label, detail: `expected ${allowed.join('/')}: ${describe(c)} -> ${snippet(res)}` });
      }
    }
  };

  const timing = new Map<string, number>();
  const send = async (c: FuzzCase) => {
    const t0 = Date.now();
    const res = await target.client.send(c).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    timing.set(c.family, (timing.get(c.family) ?? 0) + Date.now() - t0);
    judge(c, res);
    return res;
  };

  let previous: string | null = null;
  while (s.requests < o.requests) {
    const left = o.requests - s.requests;
    const validCount = Math.min(left, Math.max(1, Math.round(o.batchSize * o.validShare / (1 - o.validShare))));
    for (let i = 0; i < validCount; i++) {
      const c = target.nextValid();
      const res = await send(c);
      const wrong = res instanceof Error ? undefined : target.learn?.(c, res);
      if (wrong) {
        s.altered++;
        fail({ kind: 'valid-altered', label: c.label, detail: `${describe(c)} -> ${wrong}` });
      }
    }
    await target.settle();
    await target.refresh?.();
    const before = await target.fingerprint();
    s.validPhases++;
    if (previous !== null && before !== previous) s.validChanges++;

    const batch = Array.from({ length: Math.min(o.batchSize, o.requests - s.requests) }, () => target.nextInvalid());
    const got: Array<[FuzzCase, WireResponse | Error]> = [];
    await pool(batch, o.concurrency, async (c) => {
      got.push([c, await send(c)]);
    });
    await target.settle();
    const after = await target.fingerprint();
    if (after !== before) {
      s.stateChanges++;
      const accepted = got.filter(([c, r]) => c.expect !== 'accept' && !(r instanceof Error) && r.status < 400).map(([c]) => c.label);
      fail({ kind: 'state-change', label: `batch of ${batch.length}`, detail: `stored state changed during a batch of rejected requests; answered < 400: ${accepted.join(' | ') || 'none'}; batch: ${batch.map((c) => c.label).join(' | ').slice(0, 2000)}` });
    }
    previous = after;
  }
  if (!(await target.alive().catch(() => false))) fail({ kind: 'down', label: 'health check', detail: `${target.name} does not answer its health check after the run` });
  s.seconds = (Date.now() - started) / 1000;

  const summary =
    `fuzz ${target.name}: seed=${o.seed} requests=${s.requests} (valid ${s.valid}, invalid ${s.invalid}, lenient ${s.lenient}) ` +
    `5xx=${s.fiveXx} non-problem=${s.nonProblem} wrong-status=${s.wrongStatus} state-changes=${s.stateChanges} altered=${s.altered} ` +
    `(valid phases that changed state: ${s.validChanges}/${Math.max(0, s.validPhases - 1)}) up=${failures.some((f) => f.kind === 'down') ? 'no' : 'yes'} time=${s.seconds.toFixed(1)}s`;
  const familyLine =
    `fuzz ${target.name}: by family ${[...families.entries()].sort().map(([k, v]) => `${k}=${v}`).join(' ')}` +
    (target.notes ? `\nfuzz ${target.name}: ${target.notes()}` : '') +
    (process.env.FUZZ_VERBOSE ? `\nfuzz ${target.name}: ms by family ${[...timing.entries()].sort().map(([k, v]) => `${k}=${v}`).join(' ')}` : '');
  return { summary, families: familyLine, failures, stats: s };
}

/** The failures, grouped by kind and what was tried (one example each), with how to replay the run. */
export function report(result: FuzzResult, replay: string): string {
  if (!result.failures.length) return '';
  const groups = new Map<string, { count: number; example: Failure }>();
  for (const f of result.failures) {
    const key = `[${f.kind}] ${f.label.replace(/\d{3,}/g, 'N')}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { count: 1, example: f });
  }
  const lines = [`${result.failures.length} failure(s) in ${groups.size} group(s); replay with: ${replay}`];
  for (const [key, g] of [...groups.entries()].slice(0, 40)) lines.push(`- ${key} x${g.count}\n    ${g.example.detail}`);
  if (groups.size > 40) lines.push(`... and ${groups.size - 40} more groups`);
  return lines.join('\n');
}
