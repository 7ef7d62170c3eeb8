/**
 * The SQLite store's CPU per dispatched task (task row, outbox row, group commit of 32) with
 * random UUIDv4 ids against time-ordered UUIDv7 ids, on a file database growing to N tasks.
 * `node --import tsx bench/micro/store-ids.ts [tasks]`
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { taskDelivery } from '../../src/domain/messages.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { newTask, type TaskRecord } from '../../src/domain/task.js';

const n = Number(process.argv[2] ?? 60_000);

async function run(label: string, newId: () => string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agentkit-store-ids-'));
  const store = new SqliteStore({ path: join(dir, 'bench.db') });
  await store.migrate();
  const now = new Date().toISOString();
  for (let i = 0; i < 10; i++) {
    const agent = { agentId: `agent-${i}`, agentName: 'a', version: '1', capabilities: [], contactEndpoint: 'http://127.0.0.1:9/tasks', metadata: {} };
    await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false, agent, candidateSecret: 'whsec_x', rotateSecret: false, notification: null, now });
  }
  const before = process.cpuUsage();
  for (let b = 0; b < n / 32; b++) {
    const writes: Promise<unknown>[] = [];
    for (let j = 0; j < 32; j++) {
      const at = new Date();
      const task: TaskRecord = newTask({ taskId: newId(), agentId: `agent-${j % 10}`, taskName: 'echo', parameters: { message: 'hello', n: 42 }, opscoreSessionId: 's', opscoreTaskId: 't', timeoutSeconds: null, opscoreMessage: null }, at.toISOString());
      const delivery = taskDelivery(task, 'http://127.0.0.1:9/tasks', at);
      const suffix = newId().replaceAll('-', '');
      writes.push(store.createTask({ task, delivery: () => ({ ...delivery, deliveryId: `dlv_${suffix}`, webhookId: `msg_${suffix}` }), idempotencyKey: null, requestHash: '' }));
    }
    await Promise.all(writes);
  }
  const cpu = process.cpuUsage(before);
  console.log(`${label.padEnd(8)} ${(((cpu.user + cpu.system) / n)).toFixed(1)} µs CPU per task (${(cpu.system / n).toFixed(1)} µs of it in the kernel), ${n} tasks`);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

await run('UUIDv4', randomUUID);
await run('UUIDv7', uuidv7);
