import type { Config } from '../config/config.js';
import { isPostgresUrl } from './postgres/connection.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './types.js';

export type { Store } from './types.js';

export interface OpenStoreHooks {
  /** Told about errors outside any call (e.g. a pooled PostgreSQL connection dropped). */
  onBackgroundError?: (err: Error) => void;
}

/**
 * Opens the store that `AGENTKIT_DB` names (a postgres:// or postgresql:// URL, else a
 * SQLite file path) and brings its schema up to date.
 */
export async function openStore(
  config: Pick<Config, 'database' | 'sqliteSynchronous'> & Partial<Pick<Config, 'pgPoolSize' | 'pgStatementTimeoutMs'>>,
  hooks: OpenStoreHooks = {},
): Promise<Store> {
  const db = config.database;
  let store: Store;
  if (isPostgresUrl(db)) {
    store = new PostgresStore({
      url: db,
      ...(config.pgPoolSize !== undefined ? { poolSize: config.pgPoolSize } : {}),
      ...(config.pgStatementTimeoutMs !== undefined ? { statementTimeoutMs: config.pgStatementTimeoutMs } : {}),
      ...(hooks.onBackgroundError ? { onBackgroundError: hooks.onBackgroundError } : {}),
    });
  } else {
    store = new SqliteStore({ path: db, synchronous: config.sqliteSynchronous });
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
