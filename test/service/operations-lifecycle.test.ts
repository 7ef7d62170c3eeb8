import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../support/receiver.js';
import { startAgentKitProcess, type RunningProcess } from '../support/processes.js';
import { API_KEY, registration } from '../support/service.js';

const WEBHOOK_SECRET = 'whsec_c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ=';
const OPSCORE_KEY = 'opscore-key-that-must-not-be-logged';

let dir: string;
let opsCore: Receiver;
let agent: Receiver;
let ak: RunningProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentkit-ops-'));
  opsCore = await new Receiver().start();
  agent = await new Receiver().start();
  ak = await startAgentKitProcess({
    AGENTKIT_DB: join(dir, 'agentkit.db'),
    AGENTKIT_API_KEYS: API_KEY,
    AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1',
    OPSCORE_WEBHOOK_URL: `${opsCore.url}/v1/opscore/internal/agent/notify`,
    OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    OPSCORE_API_URL: opsCore.url,
    OPSCORE_API_KEY: OPSCORE_KEY,
    AGENTKIT_TASK_RETRY_SCHEDULE: '0',
    LOG_LEVEL: 'debug',
  });
});
afterAll(async () => {
  await ak.kill('SIGKILL');
  await opsCore.stop();
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

const call = (path: string, body: unknown) =>
  fetch(`${ak.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('operations: logs and shutdown', () => {
  it('when requests, webhooks and failures happen at debug level, then no key or secret ever reaches the logs, and requests carry ids', async () => {
    const reg = (await (await call('/v1/agents', registration({ agentId: 'quiet', contactEndpoint: `${agent.url}/t` }))).json()) as { signingSecret: string };
    agent.answer(() => ({ status: 500 }));
    await call('/v1/agents/quiet/run', { task_name: 'echo' });
    await call('/v1/agents', { bad: true });
    await fetch(`${ak.url}/v1/agents`, { headers: { authorization: 'Bearer a-wrong-key-typed-by-someone' } });
    await opsCore.waitFor(() => opsCore.requests.length >= 2);
    const logs = ak.output();
    expect(logs).toMatch(/"reqId":"[0-9a-f-]{36}".*"msg":"request completed"/);
    for (const secret of [API_KEY, WEBHOOK_SECRET, OPSCORE_KEY, reg.signingSecret, 'a-wrong-key-typed-by-someone']) {
      expect(logs.includes(secret), `log contains ${secret.slice(0, 6)}...`).toBe(false);
    }
  });

  it('when SIGTERM arrives, then AgentKit stops cleanly with exit code 0', async () => {
    const code = await ak.kill('SIGTERM');
    expect(code).toBe(0);
    expect(ak.output()).toContain('AgentKit stopped');
  });
});
