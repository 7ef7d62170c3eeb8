// Fault: agent endpoints that take a delivery and never answer. Deliveries to healthy agents
// must go on while the hanging ones are pending (the worker's slots must not all be held by
// receivers that hang).
// Sizes: FAULTS_SLOW_HANGING (4 hanging agents), FAULTS_SLOW_PER_HANGING (12 tasks each),
// FAULTS_SLOW_HEALTHY (2 healthy agents), FAULTS_SLOW_PER_HEALTHY (10 tasks each),
// FAULTS_SLOW_TIMEOUT_MS (per-attempt timeout, 20000: the
// healthy deliveries must all arrive within it after the first hang, on a loaded machine too).
import { describe, expect, it } from 'vitest';
import { Receiver } from '../support/receiver.js';
import { freePort } from '../support/processes.js';
import { faultFixture } from './fixture.js';
import { api, envInt, say, scenarioSeed, since, until } from './support.js';

const S = 'slow-receivers';
const HANGING = Math.max(1, envInt('FAULTS_SLOW_HANGING', 4));
const PER_HANGING = envInt('FAULTS_SLOW_PER_HANGING', 12);
const HEALTHY = Math.max(1, envInt('FAULTS_SLOW_HEALTHY', 2));
const PER_HEALTHY = envInt('FAULTS_SLOW_PER_HEALTHY', 10);
const TIMEOUT_MS = envInt('FAULTS_SLOW_TIMEOUT_MS', 20_000);
const CONCURRENCY = 32;

const fx = faultFixture('agentkit-faults-slow-');

describe('fault: agent endpoints that hang', () => {
  it(
    'when some agents take deliveries and never answer, then deliveries to healthy agents complete while the hanging ones are pending',
    async () => {
      const started = Date.now();
      const rng = scenarioSeed(S);
      const agentKit = await fx.startAgentKit(await freePort(), {
        AGENTKIT_DB: fx.db,
        AGENTKIT_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
        AGENTKIT_DELIVERY_CONCURRENCY: String(CONCURRENCY),
        // A hung delivery is retried much later, outside this test's window.
        AGENTKIT_TASK_RETRY_SCHEDULE: '0,60',
      });
      const base = agentKit.url;
      const register = async (agentId: string, receiver: Receiver) => {
        const res = await api(base, 'POST', '/v1/agents', { agentId, agentName: agentId, version: '1', contactEndpoint: `${receiver.url}/tasks` });
        expect(res.status).toBe(201);
      };
      const hanging: Receiver[] = [];
      for (let i = 0; i < HANGING; i++) {
        const r = await new Receiver().start();
        r.answer(() => 'hang');
        fx.receivers.push(r);
        hanging.push(r);
        await register(`hang-${i}`, r);
      }
      const healthy: Receiver[] = [];
      for (let i = 0; i < HEALTHY; i++) {
        const r = await new Receiver().start();
        r.answer((req) => ({ status: 202, body: JSON.stringify({ taskId: (req.json as { taskId: string }).taskId, duplicate: false }) }));
        fx.receivers.push(r);
        healthy.push(r);
        await register(`ok-${i}`, r);
      }

      // First the tasks for the hanging agents, in a seeded order: more than the worker's slots.
      const hangingTasks = rng.shuffle(Array.from({ length: HANGING * PER_HANGING }, (_, i) => `hang-${i % HANGING}`));
      for (const agentId of hangingTasks) expect((await api(base, 'POST', `/v1/agents/${agentId}/run`, { task_name: 'echo' })).status).toBe(202);
      const hangingCount = () => hanging.reduce((n, r) => n + r.requests.length, 0);
      // The worker has taken all the hanging deliveries it will take: each hanging agent holds
      // some, and no new one arrived for 500 ms.
      let last = -1;
      let changedAt = Date.now();
      await until(
        () => {
          const n = hangingCount();
          if (n !== last) [last, changedAt] = [n, Date.now()];
          return hanging.every((r) => r.requests.length > 0) && Date.now() - changedAt >= 500;
        },
        30_000,
        () => `the hanging agents to hold their deliveries (${hanging.map((r) => r.requests.length).join(',')})`,
        20,
      );
      const firstHangAt = Math.min(...hanging.map((r) => r.requests[0]!.at));
      const heldBefore = hangingCount();

      // Then the healthy agents' tasks: each must arrive while the hanging deliveries are pending,
      // i.e. before the first of them can have timed out.
      const sent: Array<{ agentId: string; taskId: string; at: number }> = [];
      for (let i = 0; i < HEALTHY * PER_HEALTHY; i++) {
        const agentId = `ok-${i % HEALTHY}`;
        const at = Date.now();
        const res = await api(base, 'POST', `/v1/agents/${agentId}/run`, { task_name: 'echo', parameters: { i } });
        expect(res.status).toBe(202);
        sent.push({ agentId, taskId: (res.json as { taskId: string }).taskId, at });
      }
      const receivedAt = (taskId: string) => healthy.flatMap((r) => r.requests).find((q) => (q.json as { taskId?: string }).taskId === taskId)?.at;
      await until(
        () => sent.every((s) => receivedAt(s.taskId) !== undefined),
        TIMEOUT_MS * 4,
        () => `healthy deliveries: ${sent.filter((s) => receivedAt(s.taskId) !== undefined).length}/${sent.length} arrived`,
        10,
      );
      const lastHealthyAt = Math.max(...sent.map((s) => receivedAt(s.taskId)!));
      const latencies = sent.map((s) => receivedAt(s.taskId)! - s.at).sort((a, b) => a - b);
      const heldAtEnd = hangingCount();
      say(
        S,
        `${HANGING} hanging agents x ${PER_HANGING} tasks (worker concurrency ${CONCURRENCY}, timeout ${TIMEOUT_MS} ms): ${heldBefore} deliveries held open before, ${heldAtEnd} after; ` +
          `${sent.length} healthy deliveries, latency p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies.at(-1)} ms; ` +
          `last healthy delivery ${lastHealthyAt - firstHangAt} ms after the first hang`,
      );
      expect(lastHealthyAt - firstHangAt, 'healthy deliveries waited for a hanging one to time out').toBeLessThan(TIMEOUT_MS);
      // The hanging agents still held their deliveries the whole time (nothing had timed out).
      expect(hanging.every((r) => r.requests.length > 0 && r.requests[0]!.at + TIMEOUT_MS > lastHealthyAt)).toBe(true);

      // AgentKit agrees: the healthy tasks are delivered, the hanging ones are not.
      for (const s of sent) expect(((await api(base, 'GET', `/v1/tasks/${s.taskId}`)).json as { status: string }).status).toBe('delivered');
      say(S, `checked ${sent.length} healthy and ${hangingTasks.length} hanging tasks; total ${since(started)}`);
    },
    120_000,
  );
});
