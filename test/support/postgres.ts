import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The local test server (scripts/ensure-postgres.sh starts it); AGENTKIT_TEST_PG_URL overrides. */
export const PG_BASE_URL = process.env.AGENTKIT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  /** A fresh schema name, unique to this run. */
  schema: string;
  /** PG_BASE_URL with `?schema=` set: what AGENTKIT_DB gets. */
  url: string;
  /** Runs one statement in the schema (for assertions on what the store wrote). */
  query<R = Record<string, unknown>>(sql: string, args?: unknown[]): Promise<R[]>;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/**
 * Names a fresh schema for one test run (the store creates it when it migrates) and
 * drops it at the end. Fails with a clear message when PostgreSQL is not reachable.
 */
export async function freshSchema(prefix = 'agentkit_test'): Promise<TestSchema> {
  const schema = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_BASE_URL, options: `-c search_path=${schema}` });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${PG_BASE_URL} (${err instanceof Error ? err.message : String(err)}): run scripts/ensure-postgres.sh`);
  }
  admin.on('error', () => undefined);
  const url = new URL(PG_BASE_URL);
  url.searchParams.set('schema', schema);
  return {
    schema,
    url: url.toString(),
    async query<R>(sql: string, args: unknown[] = []) {
      return (await admin.query(sql, args)).rows as R[];
    },
    async drop() {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
