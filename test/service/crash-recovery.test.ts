import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Receiver } from '../support/receiver.js';
import { startAgentKitProcess, type RunningProcess } from '../support/processes.js';
import { freshSchema, type TestSchema } from '../support/postgres.js';
import { API_KEY, registration, WEBHOOK_SECRET } from '../support/service.js';

let dir: string;
let opsCore: Receiver;
let ak: RunningProcess | null = null;

afterEach(async () => {
  await ak?.kill('SIGKILL');
  ak = null;
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
      AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1',
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

describe.each([['SQLite'], ['PostgreSQL']])('AgentKit on %s killed the moment it answered 202', (storeName) => {
  let schema: TestSchema | undefined;
  let agent: Receiver | undefined;

  afterEach(async () => {
    await agent?.stop();
    await schema?.drop();
    agent = schema = undefined;
  });

  it('when dispatches without an Idempotency-Key are answered 202 and the process is SIGKILLed at once, then every answered task is there after restart and reaches its agent', async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentkit-crash-'));
    opsCore = await new Receiver().start();
    agent = await new Receiver().start();
    agent.answer(() => ({ status: 202 }));
    if (storeName === 'PostgreSQL') schema = await freshSchema('agentkit_crash');
    const env = { AGENTKIT_DB: schema ? schema.url : join(dir, 'agentkit.db'), AGENTKIT_API_KEYS: API_KEY, AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1', AGENTKIT_LEASE_MS: '11000' };
    ak = await startAgentKitProcess(env);
    const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
    const registered = await fetch(`${ak.url}/v1/agents`, { method: 'POST', headers, body: JSON.stringify(registration({ agentId: 'worker', contactEndpoint: `${agent.url}/tasks` })) });
    expect(registered.status).toBe(201);

    const running = ak;
    const answered: string[] = [];
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        try {
          const res = await fetch(`${running.url}/v1/agents/worker/run`, { method: 'POST', headers, body: JSON.stringify({ task_name: 'echo', parameters: { i } }) });
          if (res.status !== 202) return;
          // The id is in the Location header: no need to read a body the kill may cut.
          answered.push(res.headers.get('location')!.split('/').pop()!);
          void running.kill('SIGKILL');
        } catch {
          // Cut by the kill: never answered, so never promised.
        }
      }),
    );
    await running.kill('SIGKILL');
    ak = null;
    expect(answered.length).toBeGreaterThan(0);

    ak = await startAgentKitProcess(env);
    for (const taskId of answered) {
      const res = await fetch(`${ak.url}/v1/tasks/${taskId}`, { headers });
      expect(res.status, `task ${taskId} answered 202 before the kill`).toBe(200);
    }
    await agent.waitFor(
      () => answered.every((id) => agent!.requests.some((r) => (r.json as { taskId?: string } | undefined)?.taskId === id)),
      60_000,
      'every answered task delivered after the restart',
    );
  }, 120_000);
});
