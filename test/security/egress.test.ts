import { afterEach, describe, expect, it } from 'vitest';
import type { Resolver } from '../../src/delivery/http-sender.js';
import { eventually, Receiver } from '../support/receiver.js';
import { registration, startService, type TestService } from '../support/service.js';

let ak: TestService | undefined;
const receivers: Receiver[] = [];

afterEach(async () => {
  await ak?.stop();
  ak = undefined;
  for (const r of receivers.splice(0)) await r.stop();
});

async function receiver(): Promise<Receiver> {
  const r = await new Receiver().start();
  receivers.push(r);
  return r;
}

/** AgentKit reporting to a receiver standing in for Ops-Core (operator-configured: trusted). */
async function service(agentHosts: string, resolver?: Resolver): Promise<{ opsCore: Receiver }> {
  const opsCore = await receiver();
  opsCore.answer(() => ({ status: 202, body: '{"status":"success","message":null}' }));
  ak = await startService(
    { AGENTKIT_AGENT_HOSTS: agentHosts, OPSCORE_API_URL: opsCore.url, OPSCORE_API_KEY: 'ops-key', AGENTKIT_TASK_RETRY_SCHEDULE: '0,0.05' },
    resolver ? { resolver } : {},
  );
  return { opsCore };
}

const taskOf = (taskId: string, done: (t: { status: string }) => boolean) =>
  eventually(async () => {
    const { data } = await ak!.client.GET('/v1/tasks/{taskId}', { params: { path: { taskId } } });
    return data && done(data) ? data : undefined;
  }, 10_000, `task ${taskId}`);

describe('egress: AgentKit does not send agents\' requests to internal addresses', () => {
  it('when an agent registers an internal endpoint of any kind, then 422 problem+json names the address and its range', async () => {
    await service('');
    const refused: Array<[string, string]> = [
      ['http://127.0.0.1:8000/v1/opscore/internal/agent/notify', 'loopback'],
      ['http://169.254.169.254/latest/meta-data/', 'link-local'],
      ['http://10.0.0.5/tasks', 'private'],
      ['http://172.20.1.1/tasks', 'private'],
      ['http://192.168.1.10/tasks', 'private'],
      ['http://100.64.1.1/tasks', 'cgnat'],
      ['http://0.0.0.0:9000/tasks', 'unspecified'],
      ['http://224.0.0.1/tasks', 'multicast'],
      ['http://255.255.255.255/tasks', 'broadcast'],
      ['http://240.0.0.1/tasks', 'reserved'],
      ['http://[::1]:9000/tasks', 'loopback'],
      ['http://[fe80::1]/tasks', 'link-local'],
      ['http://[fd00::1]/tasks', 'private'],
      ['http://[ff02::1]/tasks', 'multicast'],
      ['http://[::ffff:127.0.0.1]:9000/tasks', 'loopback'],
      ['http://[::ffff:169.254.169.254]/tasks', 'link-local'],
      ['http://localhost:9000/tasks', 'loopback'],
    ];
    for (const [contactEndpoint, range] of refused) {
      const res = await fetch(`${ak!.url}/v1/agents`, {
        method: 'POST',
        headers: { authorization: ak!.auth, 'content-type': 'application/json' },
        body: JSON.stringify(registration({ contactEndpoint })),
      });
      expect(res.status, contactEndpoint).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as { detail: string };
      expect(problem.detail, contactEndpoint).toMatch(new RegExp(`is an? ${range} address`));
    }
    const { data } = await ak!.client.GET('/v1/agents', {});
    expect(data!.items).toEqual([]);
  });

  it('when a name resolves to a public address at registration and to 127.0.0.1 at delivery, then the delivery is refused and Ops-Core hears error', async () => {
    const agent = await receiver();
    let lookups = 0;
    const resolver: Resolver = async (hostname) => {
      if (hostname !== 'rebind.test') throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      lookups += 1;
      return lookups === 1 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
    };
    const { opsCore } = await service('', resolver);
    const reg = await ak!.client.POST('/v1/agents', { body: registration({ agentId: 'rebinder', contactEndpoint: `http://rebind.test:${agent.port}/tasks` }) });
    expect(reg.response.status).toBe(201);

    const { data: queued } = await ak!.client.POST('/v1/agents/{agentId}/run', { params: { path: { agentId: 'rebinder' } }, body: { task_name: 'echo', parameters: {} } });
    const task = (await taskOf(queued!.taskId, (t) => t.status === 'failed')) as { error: { code: string; message: string } };
    expect(task.error.code).toBe('egress_refused');
    expect(task.error.message).toMatch(/127\.0\.0\.1 is a loopback address \(rebind\.test resolves to it\)/);
    expect(agent.requests).toHaveLength(0);
    expect(lookups).toBeGreaterThanOrEqual(2);
    await opsCore.waitFor(() => opsCore.requests.some((r) => (r.json as { state?: string }).state === 'error'), 10_000, 'error at Ops-Core');

    const { data: deliveries } = await ak!.client.GET('/v1/webhook-deliveries', { params: { query: { kind: 'task.delivery' } } });
    const d = deliveries!.items[0]!;
    expect(d.status).toBe('failed');
    expect(d.attempts).toBe(1);
    expect(d.lastError).toMatch(/^Refused: 127\.0\.0\.1 is a loopback address/);
  });

  it('when an allowed agent answers 302 to an internal address, then AgentKit does not follow it', async () => {
    const inside = await receiver();
    const agent = await receiver();
    agent.answer(() => ({ status: 302, headers: { location: `${inside.url}/v1/opscore/internal/agent/notify` } }));
    await service(`127.0.0.1/32`);
    await ak!.client.POST('/v1/agents', { body: registration({ agentId: 'redirector', contactEndpoint: `${agent.url}/tasks` }) });
    const { data: queued } = await ak!.client.POST('/v1/agents/{agentId}/run', { params: { path: { agentId: 'redirector' } }, body: { task_name: 'echo', parameters: {} } });
    await taskOf(queued!.taskId, (t) => t.status === 'failed');
    expect(agent.requests.length).toBeGreaterThanOrEqual(1);
    expect(inside.requests).toHaveLength(0);
  });

  it('when AGENTKIT_AGENT_HOSTS lists a CIDR, then an agent inside it registers and gets its task', async () => {
    const agent = await receiver();
    await service('127.0.0.0/8');
    const reg = await ak!.client.POST('/v1/agents', { body: registration({ agentId: 'inside', contactEndpoint: `${agent.url}/tasks` }) });
    expect(reg.response.status).toBe(201);
    const { data: queued } = await ak!.client.POST('/v1/agents/{agentId}/run', { params: { path: { agentId: 'inside' } }, body: { task_name: 'echo', parameters: {} } });
    await taskOf(queued!.taskId, (t) => t.status === 'delivered');
    expect(agent.requests).toHaveLength(1);
  });
});
