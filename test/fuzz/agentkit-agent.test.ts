import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBudget, Rng, runSeed } from './lib/rng.js';
import { report, runFuzz } from './lib/runner.js';
import { agentKitTarget } from './targets/agentkit.js';

const seed = runSeed();
const requests = requestBudget(1500);

describe('spec-driven fuzzing: the AgentKit API with an agent credential', () => {
  let target: Awaited<ReturnType<typeof agentKitTarget>>;

  beforeAll(async () => {
    target = await agentKitTarget(new Rng(seed), { as: 'agent' });
  });
  afterAll(async () => {
    await target?.stop();
  });

  it(
    'when an agent sends invalid requests and ones its role may not make among valid ones, then none gets a 5xx, refusals are 401/403/4xx problem+json, and rejected ones change nothing stored',
    async () => {
      const result = await runFuzz(target, { seed, requests, validShare: 0.12, batchSize: 60, concurrency: 8 });
      console.log(`${result.summary}\n${result.families}`);
      expect(result.stats.validChanges, 'valid requests changed stored state (so the state check can see a change)').toBeGreaterThan(0);
      expect(report(result, `FUZZ_SEED=${seed} FUZZ_REQUESTS=${requests} npx --no-install vitest run test/fuzz/agentkit-agent.test.ts`)).toBe('');
    },
    Math.max(60_000, requests * 40),
  );
});
