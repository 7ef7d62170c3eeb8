import { join } from 'node:path';

/** Settings shared by every scenario (from the environment, see bench/README section in the report). */
export interface BenchContext {
  /** Seconds each measurement runs (BENCH_DURATION_S, default 10). */
  durationS: number;
  /** Seconds of warm-up load before each measurement (BENCH_WARMUP_S, default 3). */
  warmupS: number;
  /** Concurrent connections of the HTTP load generator (BENCH_CONNECTIONS, default 32). */
  connections: number;
  /** Scratch directory for databases. */
  tmpDir: string;
  /** Set when BENCH_PROFILE=1: AgentKit children run with --cpu-prof and write here. */
  profileDir: string | undefined;
  log(message: string): void;
}

/** One row of bench/results.json. */
export interface ScenarioResult {
  name: string;
  rps: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  [extra: string]: unknown;
}

export function profileDirFor(ctx: BenchContext, scenario: string): string | undefined {
  return ctx.profileDir ? join(ctx.profileDir, scenario) : undefined;
}

export function numberFromEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${v}"`);
  return n;
}
