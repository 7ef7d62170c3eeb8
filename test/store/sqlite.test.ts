import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import { EXPIRY_SQL, SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { type StoreHarness, storeSuite } from './store-suite.js';

/** A fresh SQLite file per test; every handle opens the same file. */
async function sqliteHarness(): Promise<StoreHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'agentkit-store-'));
  const path = join(dir, 'agentkit.db');
  const handles: Store[] = [];
  return {
    async open() {
      const store = new SqliteStore({ path });
      handles.push(store);
      await store.migrate();
      return store;
    },
    async cleanup() {
      for (const s of handles) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeSuite('SQLite', sqliteHarness);

describe('SQLite store at start', () => {
  it('when a new process opens the file, then leases left by a killed one are cleared (one process owns the file)', async () => {
    const h = await sqliteHarness();
    try {
      const first = await h.open();
      await first.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false,
        agent: { agentId: 'a1', agentName: 'n', version: '1', capabilities: [], contactEndpoint: 'http://127.0.0.1:9/', metadata: {} },
        candidateSecret: 's',
        rotateSecret: false,
        notification: {
          deliveryId: 'dlv_1', webhookId: 'msg_1', kind: 'agent.lifecycle', eventType: 'REGISTER', agentId: 'a1', taskId: null,
          targetUrl: 'http://127.0.0.1:9/notify', payload: '{}', orderKey: 'lifecycle:a1', nextAttemptAt: 0, expiresAt: null, createdAt: new Date(0).toISOString(),
        },
        now: new Date(0).toISOString(),
      });
      expect(await first.claimDeliveries(1, 10, 'killed', 1_000_000)).toHaveLength(1);
      const restarted = await h.open();
      expect((await restarted.claimDeliveries(2, 10, 'new', 1_000_000)).map((d) => d.deliveryId)).toEqual(['dlv_1']);
    } finally {
      await h.cleanup();
    }
  });
});

describe('SQLite query plans', () => {
  it.each([
    ['deadline', 'tasks_open_by_deadline', '2026-01-01T00:00:00.000Z'],
    ['heartbeat', 'tasks_heartbeat_due', 1_900_000_000_000],
    ['cancel', 'tasks_cancel_due', 1_900_000_000_000],
    ['waiting', 'deliveries_held_expiry', 1_900_000_000_000],
  ] as const)('when the watchdog sweeps by %s, then it reads only the tasks that rule watches (%s), not every delivered task', (rule, index, before) => {
    const db = new Database(':memory:');
    for (const m of sqliteMigrations) db.exec(m.sql);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${EXPIRY_SQL[rule]}`).all(before, 100) as { detail: string }[]).map((r) => r.detail).join(' | ');
    db.close();
    expect(plan).toContain(`USING INDEX ${index}`);
    expect(plan).not.toContain('TEMP B-TREE');
  });
});
