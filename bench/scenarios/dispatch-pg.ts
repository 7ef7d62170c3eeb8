import pg from 'pg';
import type { BenchContext, ScenarioResult } from '../lib/context.js';
import { runDispatch } from './dispatch.js';

/**
 * `dispatch-pg-1` and `dispatch-pg-2`: the dispatch scenario on PostgreSQL, one and two
 * AgentKit processes sharing a fresh database made for the run (and dropped after).
 * BENCH_PG_URL names the server (default postgres://postgres@127.0.0.1:5432/test). When this build of
 * AgentKit cannot open a postgres:// AGENTKIT_DB, both rows say so instead of figures.
 */
export async function dispatchPg(ctx: BenchContext): Promise<ScenarioResult[]> {
  const base = new URL(process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
  const dbName = `agentkit_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  const skipped = (reason: string): ScenarioResult[] =>
    ['dispatch-pg-1', 'dispatch-pg-2'].map((name) => ({ name, rps: null, p50_ms: null, p99_ms: null, skipped: reason }));
  try {
    await admin.connect();
  } catch (err) {
    return skipped(`PostgreSQL not reachable at ${base.host}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    await admin.query(`CREATE DATABASE ${dbName}`);
    const url = new URL(base.toString());
    url.pathname = `/${dbName}`;
    const out: ScenarioResult[] = [];
    for (const processes of [1, 2]) {
      try {
        out.push(...(await runDispatch(ctx, { name: `dispatch-pg-${processes}`, database: url.toString(), processes })));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const reason = /PostgreSQL URL|supports only SQLite/i.test(message)
          ? 'this build of AgentKit does not open postgres:// databases yet'
          : `failed: ${message.split('\n').slice(0, 3).join(' ')}`;
        ctx.log(`dispatch-pg-${processes}: ${reason}`);
        out.push({ name: `dispatch-pg-${processes}`, rps: null, p50_ms: null, p99_ms: null, skipped: reason });
      }
    }
    return out;
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}
