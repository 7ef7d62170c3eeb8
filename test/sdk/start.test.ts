import { afterEach, describe, expect, it } from 'vitest';
import { AgentConfigError, AgentRegistrationError, createAgent } from '../../src/sdk/index.js';
import { freePort } from '../support/prism.js';
import { eventually } from '../support/receiver.js';
import { FakeAgentKit } from './support/fake-agentkit.js';
import { AGENTKIT_KEY, OPSCORE_KEY, captureLogger, fastRetry, startSystem } from './support/harness.js';

const handlers = { echo: (p: Record<string, unknown>) => p };

describe('start()', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('when configuration is missing, then start() fails naming every missing variable', async () => {
    const agent = createAgent({ name: 'a', version: '1', handlers, env: { AGENTKIT_URL: 'http://127.0.0.1:1' }, logger: captureLogger() });
    const failure = await agent.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(AgentConfigError);
    const message = (failure as Error).message;
    for (const variable of ['AGENTKIT_API_KEY', 'OPSCORE_API_URL', 'OPSCORE_API_KEY']) expect(message).toContain(variable);
    expect(message).not.toMatch(/AGENTKIT_URL /);
  });

  it('when a URL is not http(s), then start() fails naming it', async () => {
    const agent = createAgent({
      name: 'a',
      version: '1',
      handlers,
      env: { AGENTKIT_URL: 'localhost:8080', AGENTKIT_API_KEY: 'k', OPSCORE_API_URL: 'http://127.0.0.1:1', OPSCORE_API_KEY: 'k' },
      logger: captureLogger(),
    });
    await expect(agent.start()).rejects.toThrow(/AGENTKIT_URL is not an http\(s\) URL/);
  });

  it('when configuration comes from the environment, then the agent registers with it and sends rotateSigningSecret, its default heartbeat interval and its concurrency as its limit', async () => {
    const agentKit = await new FakeAgentKit({ apiKey: AGENTKIT_KEY }).start();
    cleanups.push(() => agentKit.stop());
    const agent = createAgent({
      name: 'env-agent',
      version: '2.0.0',
      metadata: { team: 'x' },
      handlers,
      logger: captureLogger(),
      opsCoreRetry: fastRetry,
      env: { AGENTKIT_URL: `${agentKit.url}/`, AGENTKIT_API_KEY: AGENTKIT_KEY, OPSCORE_API_URL: 'http://127.0.0.1:9', OPSCORE_API_KEY: 'k' },
    });
    cleanups.push(() => agent.stop({ timeoutMs: 200 }));
    const started = await agent.start();
    expect(agentKit.registrations).toEqual([
      {
        agentName: 'env-agent',
        version: '2.0.0',
        capabilities: ['echo'],
        contactEndpoint: started.contactEndpoint,
        metadata: { team: 'x' },
        rotateSigningSecret: true,
        heartbeatIntervalSeconds: 10,
        maxConcurrentTasks: 1,
      },
    ]);
    expect(started.contactEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/tasks$/);
    expect(agent.agentId).toBe(started.agentId);
    expect(agentKit.refused).toEqual([]);
  });

  it('when AgentKit refuses the API key, then start() fails with the status and the server is closed', async () => {
    const agentKit = await new FakeAgentKit({ apiKey: AGENTKIT_KEY }).start();
    cleanups.push(() => agentKit.stop());
    const port = await freePort();
    const agent = createAgent({
      name: 'a',
      version: '1',
      handlers,
      port,
      agentKitUrl: agentKit.url,
      agentKitApiKey: 'wrong',
      opsCoreUrl: 'http://127.0.0.1:9',
      opsCoreApiKey: 'k',
      env: {},
      logger: captureLogger(),
    });
    const failure = await agent.start().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(AgentRegistrationError);
    expect((failure as AgentRegistrationError).status).toBe(401);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('when AgentKit is not up yet, then start() keeps trying and registers once it is', async () => {
    const port = await freePort();
    const logger = captureLogger();
    const agent = createAgent({
      name: 'a',
      version: '1',
      handlers,
      agentKitUrl: `http://127.0.0.1:${port}`,
      agentKitApiKey: AGENTKIT_KEY,
      opsCoreUrl: 'http://127.0.0.1:9',
      opsCoreApiKey: 'k',
      agentKitRetry: fastRetry,
      opsCoreRetry: fastRetry,
      env: {},
      logger,
    });
    cleanups.push(() => agent.stop({ timeoutMs: 200 }));
    const starting = agent.start();
    await eventually(() => (logger.records.some((r) => /Registration with AgentKit failed; retrying/.test(r.msg)) ? true : undefined));
    const agentKit = await new FakeAgentKit({ apiKey: AGENTKIT_KEY }).start(port);
    cleanups.push(() => agentKit.stop());
    const started = await starting;
    expect(agentKit.agents.has(started.agentId)).toBe(true);
  });

  it('when the agent keeps its signing secret, then it re-registers without rotation and verifies deliveries with it', async () => {
    const first = await startSystem({ agent: { agentId: 'keeps-secret', deregisterOnStop: false } });
    const secret = first.agentKit.agents.get('keeps-secret')!.secret;
    await first.agent.stop({ timeoutMs: 2_000 });
    cleanups.push(async () => {
      await first.agentKit.stop();
      await first.opsCoreServer.close();
    });

    const again = createAgent({
      agentId: 'keeps-secret',
      signingSecret: secret,
      name: 'test-agent',
      version: '1.0.1',
      handlers,
      agentKitUrl: first.agentKit.url,
      agentKitApiKey: AGENTKIT_KEY,
      opsCoreUrl: first.opsCoreServer.url,
      opsCoreApiKey: OPSCORE_KEY,
      opsCoreRetry: fastRetry,
      env: {},
      logger: captureLogger(),
    });
    cleanups.push(() => again.stop({ timeoutMs: 2_000 }));
    await again.start();
    expect(first.agentKit.registrations.at(-1)).toMatchObject({ agentId: 'keeps-secret', rotateSigningSecret: false });
    expect(first.agentKit.agents.get('keeps-secret')!.secret).toBe(secret);
    const response = await first.agentKit.deliver(first.agentKit.envelope('keeps-secret'));
    expect(response.status).toBe(202);
  });

  it('when the Ops-Core URL has a path prefix, then reports go under that prefix', async () => {
    const system = await startSystem();
    cleanups.push(() => system.stop());
    const requests: string[] = [];
    const prefixed = createAgent({
      name: 'prefixed',
      version: '1',
      handlers,
      agentKitUrl: system.agentKit.url,
      agentKitApiKey: AGENTKIT_KEY,
      opsCoreUrl: 'http://127.0.0.1:9/opscore/api/',
      opsCoreApiKey: OPSCORE_KEY,
      opsCoreRetry: { ...fastRetry, retryForMs: 0 },
      env: {},
      logger: captureLogger(),
      fetch: async (input, init) => {
        const request = input instanceof Request ? input : new Request(input, init);
        if (request.url.startsWith('http://127.0.0.1:9/')) {
          requests.push(`${request.method} ${new URL(request.url).pathname}`);
          return new Response(JSON.stringify({ status: 'success', message: null }), { status: 202, headers: { 'content-type': 'application/json' } });
        }
        return fetch(request);
      },
    });
    cleanups.push(() => prefixed.stop({ timeoutMs: 1_000 }));
    const started = await prefixed.start();
    await eventually(() => (requests.length > 0 ? true : undefined));
    expect(requests[0]).toBe(`POST /opscore/api/v1/opscore/agent/${started.agentId}/state`);
  });
});
