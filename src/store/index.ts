import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './types.js';

export type { Store } from './types.js';

/** Opens the store that `AGENTKIT_DB` names and brings its schema up to date. */
export async function openStore(config: Pick<Config, 'database' | 'sqliteSynchronous'>): Promise<Store> {
  const db = config.database;
  let store: Store;
  if (/^postgres(ql)?:\/\//i.test(db)) {
    throw new ConfigError('AGENTKIT_DB is a PostgreSQL URL, but this build supports only SQLite (a file path)');
  } else {
    store = new SqliteStore({ path: db, synchronous: config.sqliteSynchronous });
  }
  await store.migrate();
  return store;
}
