import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Receiver } from '../support/receiver.js';
import { startAgentKitProcess, type RunningProcess } from '../support/processes.js';
import { API_KEY, registration, WEBHOOK_SECRET } from '../support/service.js';

let dir: string;
let opsCore: Receiver;
let ak: RunningProcess | null = null;

afterEach(async () => {
  await ak?.kill('SIGKILL');
  await opsCore?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('AgentKit killed with SIGKILL', () => {
  it('when killed after answering 201 but before the REGISTER was delivered, then it is delivered after restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentkit-crash-'));
    opsCore = await new Receiver().start();
    // Ops-Core takes the request but never answers: AgentKit cannot have delivered it.
    opsCore.answer(() => 'hang');
    const env = {
      AGENTKIT_DB: join(dir, 'agentkit.db'),
      AGENTKIT_API_KEYS: API_KEY,
      OPSCORE_WEBHOOK_URL: `${opsCore.url}/v1/opscore/internal/agent/notify`,
      OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      AGENTKIT_WEBHOOK_RETRY_SCHEDULE: '0,0.1,0.1,0.1',
    };
    ak = await startAgentKitProcess(env);
    const res = await fetch(`${ak.url}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(registration({ agentId: 'survivor' })),
    });
    expect(res.status).toBe(201);
    await opsCore.waitFor(() => opsCore.requests.length === 1);
    const firstId = opsCore.requests[0]!.headers['webhook-id'];

    await ak.kill('SIGKILL');
    ak = null;
    opsCore.answer(() => ({ status: 200 }));

    ak = await startAgentKitProcess(env);
    // The lease of the killed process must lapse; then the same message is sent again.
    await opsCore.waitFor(() => opsCore.requests.length >= 2, 60_000, 'the REGISTER after restart');
    const again = opsCore.requests[1]!;
    expect(again.headers['webhook-id']).toBe(firstId);
    expect(again.json).toMatchObject({ event_type: 'REGISTER', agent_details: { agentId: 'survivor' } });
  });
});
