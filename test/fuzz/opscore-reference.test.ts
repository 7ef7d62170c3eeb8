import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBudget, Rng, runSeed } from './lib/rng.js';
import { report, runFuzz } from './lib/runner.js';
import { opsCoreTarget } from './targets/opscore.js';

const seed = runSeed();
const requests = requestBudget(1000);

describe('spec-driven fuzzing: the reference Ops-Core API', () => {
  let target: Awaited<ReturnType<typeof opsCoreTarget>>;

  beforeAll(async () => {
    target = await opsCoreTarget(new Rng(seed));
  });
  afterAll(async () => {
    await target?.stop();
  });

  it(
    'when invalid notifications and state updates (bad signatures and keys, broken bodies, bad JSON, unknown agents) arrive among valid ones, then none gets a 5xx, every error is FastAPI-shaped, and none changes what Ops-Core holds',
    async () => {
      const result = await runFuzz(target, { seed, requests, validShare: 0.12, batchSize: 60, concurrency: 8 });
      console.log(`${result.summary}\n${result.families}`);
      expect(result.stats.validChanges, 'valid notifications and state updates changed what Ops-Core holds (so the state check can see a change)').toBeGreaterThan(0);
      expect(report(result, `FUZZ_SEED=${seed} FUZZ_REQUESTS=${requests} npx --no-install vitest run test/fuzz/opscore-reference.test.ts`)).toBe('');
    },
    Math.max(60_000, requests * 40),
  );
});
