import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBudget, Rng, runSeed } from './lib/rng.js';
import { report, runFuzz } from './lib/runner.js';
import { agentKitTarget } from './targets/agentkit.js';

const seed = runSeed();

/** The same fuzzing with an admin key, and with an agent's own credential (which most operations refuse). */
const RUNS = [
  {
    as: 'admin' as const,
    requests: requestBudget(3000),
    what: 'when thousands of invalid requests derived from the spec arrive among valid ones, then none gets a 5xx, every error is problem+json with its status, and rejected ones change nothing stored',
  },
  {
    as: 'agent' as const,
    requests: requestBudget(1500),
    what: 'when an agent sends invalid requests and ones its role may not make among valid ones, then none gets a 5xx, refusals are 401/403/4xx problem+json, and rejected ones change nothing stored',
  },
];

describe.each(RUNS)('spec-driven fuzzing: the AgentKit API with the $as credential', ({ as, requests, what }) => {
  let target: Awaited<ReturnType<typeof agentKitTarget>>;

  beforeAll(async () => {
    target = await agentKitTarget(new Rng(seed), as === 'agent' ? { as } : {});
  });
  afterAll(async () => {
    await target?.stop();
  });

  it(
    what,
    async () => {
      const result = await runFuzz(target, { seed, requests, validShare: 0.12, batchSize: 60, concurrency: 8 });
      console.log(`${result.summary}\n${result.families}`);
      expect(result.stats.validChanges, 'valid requests changed stored state (so the state check can see a change)').toBeGreaterThan(0);
      expect(report(result, `FUZZ_SEED=${seed} FUZZ_REQUESTS=${requests} npx --no-install vitest run test/fuzz/agentkit.test.ts -t ${as}`)).toBe('');
    },
    Math.max(60_000, requests * 40),
  );
});
