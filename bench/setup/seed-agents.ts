/**
 * Seeds agents straight through the store (no HTTP, no webhooks) until AGENTKIT_DB holds
 * SEED_TOTAL agents. Prints {"agents": n, "seconds": s}. Run with `node --import tsx`.
 * SEED_ENDPOINT: their contactEndpoint (default http://127.0.0.1:9/tasks).
 */
import { randomUUID } from 'node:crypto';
import { openStore } from '../../src/store/index.js';

const database = process.env.AGENTKIT_DB;
const total = Number(process.env.SEED_TOTAL ?? 1000);
if (!database) throw new Error('AGENTKIT_DB is not set');
const endpoint = process.env.SEED_ENDPOINT ?? 'http://127.0.0.1:9/tasks';

const started = Date.now();
const store = await openStore({ database, sqliteSynchronous: 'NORMAL' });
let n = (await store.counts()).agents;
const now = new Date().toISOString();
const BATCH = 200;
while (n < total) {
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < BATCH && n < total; i++, n++) {
    batch.push(
      store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false,
        agent: {
          agentId: `seed-${randomUUID()}`,
          agentName: `seeded-agent-${n}`,
          version: '1.0.0',
          capabilities: ['echo', n % 2 === 0 ? 'even' : 'odd'],
          contactEndpoint: endpoint,
          metadata: { seeded: true, index: n },
        },
        candidateSecret: `whsec_${Buffer.from(randomUUID()).toString('base64')}`,
        rotateSecret: false,
        notification: null,
        now,
      }),
    );
  }
  await Promise.all(batch);
}
const agents = (await store.counts()).agents;
await store.close();
console.log(JSON.stringify({ agents, seconds: (Date.now() - started) / 1000 }));
