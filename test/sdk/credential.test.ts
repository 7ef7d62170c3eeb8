import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpsCoreReference, type RunningReference } from '../../src/opscore-reference/index.js';
import { AgentRegistrationError, createAgent, type Agent } from '../../src/sdk/index.js';
import { eventually } from '../support/receiver.js';
import { startService, type TestService } from '../support/service.js';
import { captureLogger, fastRetry, OPSCORE_KEY } from './support/harness.js';

const DISPATCHER = 'cred-dispatcher-key';
const REGISTRATION = 'cred-registration-key';

describe('the SDK and its agent credential', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function system(): Promise<{ ak: TestService; opsCore: RunningReference }> {
    const opsCore = await createOpsCoreReference({ apiKey: OPSCORE_KEY, logger: captureLogger() }).start();
    cleanups.push(() => opsCore.close());
    const ak = await startService({
      AGENTKIT_API_KEYS: `dispatcher:${DISPATCHER},agent:${REGISTRATION}`,
      OPSCORE_API_URL: opsCore.url,
      OPSCORE_API_KEY: OPSCORE_KEY,
    });
    cleanups.push(() => ak.stop());
    return { ak, opsCore };
  }

  function agent(ak: TestService, opsCore: RunningReference, extra: { credentialFile?: string }): Agent {
    const a = createAgent({
      agentId: 'cred-agent',
      name: 'cred-agent',
      version: '1.0.0',
      handlers: { echo: (p) => p },
      agentKitUrl: ak.url,
      agentKitApiKey: REGISTRATION,
      opsCoreUrl: opsCore.url,
      opsCoreApiKey: OPSCORE_KEY,
      opsCoreRetry: fastRetry,
      agentKitRetry: fastRetry,
      deregisterOnStop: false,
      env: {},
      logger: captureLogger(),
      ...extra,
    });
    cleanups.push(() => a.stop({ timeoutMs: 2_000 }));
    return a;
  }

  async function runTask(ak: TestService): Promise<string> {
    const res = await fetch(`${ak.url}/v1/agents/cred-agent/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DISPATCHER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ task_name: 'echo', parameters: { n: 1 } }),
    });
    const { taskId } = (await res.json()) as { taskId: string };
    return eventually(async () => {
      const t = (await (await fetch(`${ak.url}/v1/tasks/${taskId}`, { headers: { authorization: `Bearer ${DISPATCHER}` } })).json()) as { status: string };
      return t.status === 'finished' || t.status === 'failed' ? t.status : undefined;
    }, 10_000, 'the task to end');
  }

  it('when an agent registers with a registration key, then it reports with its own credential, keeps it in its file, and a restart with the same id registers again with it', async () => {
    const { ak, opsCore } = await system();
    const dir = mkdtempSync(join(tmpdir(), 'agentkit-cred-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'agent.credential');

    const first = agent(ak, opsCore, { credentialFile: file });
    await first.start();
    expect(readFileSync(file, 'utf8')).toMatch(/^akt\.[\w-]+\.[\w-]+\n$/);
    // A registration key cannot report: the task finishing shows the agent used its credential.
    expect(await runTask(ak)).toBe('finished');
    await first.stop({ timeoutMs: 2_000 });

    const restarted = agent(ak, opsCore, { credentialFile: file });
    await restarted.start();
    expect(await runTask(ak)).toBe('finished');
    await restarted.stop({ timeoutMs: 2_000 });

    // Without its credential, the registration key cannot take the existing id.
    const stranger = agent(ak, opsCore, {});
    const failure = await stranger.start().then(() => undefined, (err: unknown) => err);
    expect(failure).toBeInstanceOf(AgentRegistrationError);
    expect((failure as AgentRegistrationError).status).toBe(403);
  });

  it('when a running agent rotates its signing secret and its credential, then it keeps taking tasks, keeps the new credential in its file, and the old one stops when revoked', async () => {
    const { ak, opsCore } = await system();
    const dir = mkdtempSync(join(tmpdir(), 'agentkit-cred-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'agent.credential');
    const a = agent(ak, opsCore, { credentialFile: file });
    await a.start();
    const firstToken = readFileSync(file, 'utf8').trim();

    const secret = await a.rotateSigningSecret();
    expect(Date.parse(secret.previousSecretValidUntil!)).toBeGreaterThan(Date.now());
    expect(await runTask(ak)).toBe('finished');
    // With graceSeconds 0 AgentKit signs with the new secret only: the agent verifies with it.
    await a.rotateSigningSecret({ graceSeconds: 0 });
    expect(await runTask(ak)).toBe('finished');

    const token = await a.rotateAgentToken({ graceSeconds: 0 });
    expect(token.previousTokenValidUntil).toBeNull();
    const secondToken = readFileSync(file, 'utf8').trim();
    expect(secondToken).not.toBe(firstToken);
    const read = (t: string) => fetch(`${ak.url}/v1/agents/cred-agent`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
    expect([await read(firstToken), await read(secondToken)]).toEqual([401, 200]);
    // Its reports now go with the new credential: a task still finishes.
    expect(await runTask(ak)).toBe('finished');
  });
});
