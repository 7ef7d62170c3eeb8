// The SDK with its default retry settings, as an agent author gets them: a state report that
// Ops-Core answers 404 (it has not processed the agent's REGISTER yet) is retried until it lands.
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/sdk/config.js';
import { eventually } from '../support/receiver.js';
import { startSystem, type TestSystem } from './support/harness.js';

describe('the SDK\'s defaults', () => {
  let system: TestSystem | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('when nothing is configured, then reports to Ops-Core retry a 404 for five minutes and those to AgentKit do not', () => {
    const config = resolveConfig({ name: 'n', version: '1', handlers: { echo: () => null }, env: { AGENTKIT_URL: 'http://a', AGENTKIT_API_KEY: 'k', OPSCORE_API_URL: 'http://o', OPSCORE_API_KEY: 'k' } });
    expect(config.opsCoreRetry).toEqual({ minDelayMs: 250, maxDelayMs: 10_000, retryForMs: 3_600_000, notFoundRetryForMs: 300_000, maxRetryAfterMs: 60_000, requestTimeoutMs: 10_000 });
    expect(config.agentKitRetry.notFoundRetryForMs).toBe(0);
    expect(config).toMatchObject({ concurrency: 1, abortGraceMs: 5_000, signatureToleranceSeconds: 300, registerRetryForMs: 60_000, deregisterOnStop: true });
  });

  it('when Ops-Core learns of the agent a few retries late, then with the default settings the first report still lands', async () => {
    system = await startSystem({ notifyOpsCore: false, agent: { opsCoreRetry: undefined, agentKitRetry: undefined } });
    const agentId = system.started.agentId;
    const notFound = () => system!.opsCore.received().requests.filter((r) => r.path === `/v1/opscore/agent/${agentId}/state` && r.status === 404).length;
    await eventually(() => (notFound() >= 2 ? true : undefined), 10_000, 'two 404s from Ops-Core');

    const registration = system.agentKit.agents.get(agentId)!.registration;
    const notify = await fetch(`${system.opsCoreServer.url}/v1/opscore/internal/agent/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_type: 'REGISTER', agent_details: registration }),
    });
    expect(notify.status).toBe(200);
    // The default backoff doubles from 250 ms: the next retry comes within a few seconds.
    expect(await system.waitForStates(1, 20_000)).toEqual(['idle']);
  }, 30_000);
});
