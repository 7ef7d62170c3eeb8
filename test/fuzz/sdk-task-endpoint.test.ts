import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBudget, Rng, runSeed } from './lib/rng.js';
import { report, runFuzz } from './lib/runner.js';
import { sdkTarget } from './targets/sdk.js';

const seed = runSeed();
const requests = requestBudget(1000);

describe('spec-driven fuzzing: the SDK task endpoint (taskDelivery webhook)', () => {
  let target: Awaited<ReturnType<typeof sdkTarget>>;

  beforeAll(async () => {
    target = await sdkTarget(new Rng(seed));
  });
  afterAll(async () => {
    await target?.stop();
  });

  it(
    'when invalid deliveries (bad signatures, broken envelopes, bad JSON, wrong agent) arrive among valid ones, then none gets a 5xx, every error is problem+json, and none runs a handler or reports anything',
    async () => {
      const result = await runFuzz(target, { seed, requests, validShare: 0.12, batchSize: 60, concurrency: 8 });
      console.log(`${result.summary}\n${result.families}`);
      expect(result.stats.validChanges, 'valid deliveries ran handlers (so the state check can see a change)').toBeGreaterThan(0);
      expect(report(result, `FUZZ_SEED=${seed} FUZZ_REQUESTS=${requests} npx --no-install vitest run test/fuzz/sdk-task-endpoint.test.ts`)).toBe('');
    },
    Math.max(60_000, requests * 40),
  );
});
