import { AUTH, dbPath, startAgentKit } from '../lib/agentkit.js';
import { type BenchContext, type ScenarioResult, profileDirFor } from '../lib/context.js';
import { warmAndLoad } from '../lib/load.js';
import { runScript } from '../lib/proc.js';
import { round } from '../lib/stats.js';
import { encodeCursor } from '../../src/store/cursor.js';

const SIZES = [1_000, 10_000, 100_000];
const PAGE = 100;
const CURSORS = 64;

/**
 * `list-agents-<n>`: GET /v1/agents?limit=100 from n seeded agents, the pages spread evenly
 * over the whole set (keyset cursors), so a page deep in the list costs what the first does.
 * The same database grows 1k -> 10k -> 100k; agents are seeded through the store directly.
 */
export async function listAgents(ctx: BenchContext, database = dbPath(ctx.tmpDir, 'list-agents'), prefix = 'list-agents'): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const size of SIZES) {
    const seeded = JSON.parse((await runScript('bench/setup/seed-agents.ts', { AGENTKIT_DB: database, SEED_TOTAL: String(size) })).trim().split('\n').pop()!) as {
      agents: number;
      seconds: number;
    };
    ctx.log(`${prefix}: ${seeded.agents} agents seeded (${seeded.seconds} s)`);
    const ak = await startAgentKit({ name: 'agentkit', database, cpuProfDir: profileDirFor(ctx, `${prefix}-${size}`) });
    try {
      // Seeded agents are seq 1..n (fresh database, no deletions).
      const requests = Array.from({ length: CURSORS }, (_, i) => {
        const after = Math.floor((i / CURSORS) * (size - PAGE));
        return { method: 'GET' as const, path: `/v1/agents?limit=${PAGE}${after > 0 ? `&cursor=${encodeCursor(after)}` : ''}` };
      });
      const r = await warmAndLoad({ url: ak.url, headers: AUTH, requests, connections: ctx.connections, durationS: ctx.durationS }, ctx.warmupS);
      out.push({ name: `${prefix}-${size >= 1000 ? `${size / 1000}k` : size}`, ...r, agents: size, page: PAGE, seed_s: round(seeded.seconds, 1) });
      ctx.log(`${prefix}-${size}: ${r.rps} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`);
    } finally {
      await ak.stop();
    }
  }
  return out;
}
