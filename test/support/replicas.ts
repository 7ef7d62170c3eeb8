import { startAgentKitProcess, type RunningProcess } from './processes.js';
import { freshSchema, type TestSchema } from './postgres.js';

export interface Replicas {
  /** The fresh schema they share (dropped by stop()). */
  db: TestSchema;
  processes: RunningProcess[];
  urls: string[];
  /** SIGKILLs whatever still runs, then drops the schema. */
  stop(): Promise<void>;
}

/**
 * Starts `n` AgentKit processes (src/main.ts, each its own node process) at once on one
 * fresh PostgreSQL schema, so their migrations race as real replicas' would. `env` is
 * passed to every process (AGENTKIT_API_KEYS is required); AGENTKIT_DB is set here.
 */
export async function startReplicas(n: number, env: Record<string, string>): Promise<Replicas> {
  const db = await freshSchema('agentkit_replicas');
  const started = await Promise.allSettled(Array.from({ length: n }, () => startAgentKitProcess({ AGENTKIT_PG_POOL_SIZE: '5', ...env, AGENTKIT_DB: db.url })));
  const processes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    await db.drop();
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { db, processes, urls: processes.map((p) => p.url), stop };
}
