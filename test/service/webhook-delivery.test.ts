import { afterEach, describe, expect, it } from 'vitest';
import { eventually, Receiver, type ReceivedRequest } from '../support/receiver.js';
import { registration, startService, type TestService, WEBHOOK_SECRET } from '../support/service.js';

const FAST = '0,0.05,0.05,0.05,0.05';
let opsCore: Receiver;
let ak: TestService;

async function setup(schedule = FAST) {
  opsCore = await new Receiver().start();
  ak = await startService({
    OPSCORE_WEBHOOK_URL: `${opsCore.url}/v1/opscore/internal/agent/notify`,
    OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    AGENTKIT_WEBHOOK_RETRY_SCHEDULE: schedule,
  });
}
afterEach(async () => {
  await ak?.stop();
  await opsCore?.stop();
});

const agentOf = (r: ReceivedRequest) => (r.json as { agent_details: { agentId: string } }).agent_details.agentId;
const eventOf = (r: ReceivedRequest) => (r.json as { event_type: string }).event_type;

async function deliveryOf(agentId: string, eventType: string) {
  return eventually(async () => {
    const { data } = await ak.client.GET('/v1/webhook-deliveries', { params: { query: { agentId, kind: 'agent.lifecycle' } } });
    const d = data?.items.find((x) => x.eventType === eventType);
    return d && d.status !== 'pending' ? d : undefined;
  }, 10_000, `${eventType} delivery of ${agentId} to end`);
}

describe('lifecycle webhook retries', () => {
  it('when the receiver fails 3 times with 503, then the 4th attempt delivers, with the same webhook-id each time', async () => {
    await setup();
    opsCore.answer((_r, i) => (i < 3 ? { status: 503 } : { status: 200 }));
    await ak.client.POST('/v1/agents', { body: registration({ agentId: 'flaky' }) });
    const d = await deliveryOf('flaky', 'REGISTER');
    expect(d.status).toBe('succeeded');
    expect(d.attempts).toBe(4);
    expect(d.attemptLog.map((a) => a.statusCode)).toEqual([503, 503, 503, 200]);
    expect(new Set(opsCore.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(opsCore.requests[0]!.headers['webhook-id']).toBe(d.webhookId);
  });

  it('when the receiver is unreachable at first, then the webhook arrives once it listens', async () => {
    await setup('0,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2');
    const port = opsCore.port;
    await opsCore.stop();
    await ak.client.POST('/v1/agents', { body: registration({ agentId: 'late' }) });
    await eventually(async () => {
      const { data } = await ak.client.GET('/v1/webhook-deliveries', { params: { query: { agentId: 'late' } } });
      return (data?.items[0]?.attempts ?? 0) >= 2 ? true : undefined;
    });
    opsCore = await new Receiver().start(port);
    await opsCore.waitFor(() => opsCore.requests.length === 1);
    const d = await deliveryOf('late', 'REGISTER');
    expect(d.status).toBe('succeeded');
    expect(d.attemptLog[0]?.statusCode).toBeNull();
    expect(d.attemptLog[0]?.error).toMatch(/ECONNREFUSED/);
  });

  for (const status of [400, 410, 422]) {
    it(`when the receiver answers ${status}, then the delivery ends failed after one attempt and can be redelivered`, async () => {
      await setup();
      opsCore.answer((_r, i) => (i === 0 ? { status, body: '{"detail":"no"}' } : { status: 200 }));
      await ak.client.POST('/v1/agents', { body: registration({ agentId: `refused-${status}` }) });
      const d = await deliveryOf(`refused-${status}`, 'REGISTER');
      expect(d).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: status });
      expect(d.lastError).toContain(String(status));
      const failed = await ak.client.GET('/v1/webhook-deliveries', { params: { query: { status: 'failed' } } });
      expect(failed.data?.items.map((x) => x.deliveryId)).toContain(d.deliveryId);

      const again = await ak.client.POST('/v1/webhook-deliveries/{deliveryId}/redeliver', { params: { path: { deliveryId: d.deliveryId } } });
      expect(again.response.status).toBe(202);
      const after = await deliveryOf(`refused-${status}`, 'REGISTER');
      expect(after.status).toBe('succeeded');
      expect(after.attemptLog.map((a) => a.statusCode)).toEqual([status, 200]);
      expect(opsCore.requests[1]!.headers['webhook-id']).toBe(d.webhookId);
    });
  }

  it('when the retry budget is spent, then the delivery ends failed with every attempt logged', async () => {
    await setup('0,0.05,0.05');
    opsCore.answer(() => ({ status: 500 }));
    await ak.client.POST('/v1/agents', { body: registration({ agentId: 'doomed' }) });
    const d = await deliveryOf('doomed', 'REGISTER');
    expect(d.status).toBe('failed');
    expect(d.attempts).toBe(3);
  });

  it('when the receiver answers 429 with Retry-After, then the next attempt waits at least that long', async () => {
    await setup();
    opsCore.answer((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    await ak.client.POST('/v1/agents', { body: registration({ agentId: 'throttled' }) });
    await opsCore.waitFor(() => opsCore.requests.length === 2);
    expect(opsCore.requests[1]!.at - opsCore.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('when REGISTER is being retried and the agent deregisters, then DEREGISTER is sent only after REGISTER succeeded', async () => {
    await setup();
    // Each agent's REGISTER fails twice; DEREGISTERs always succeed.
    const failures = new Map<string, number>();
    opsCore.answer((r) => {
      if (eventOf(r) !== 'REGISTER') return { status: 200 };
      const n = failures.get(agentOf(r)) ?? 0;
      failures.set(agentOf(r), n + 1);
      return n < 2 ? { status: 503 } : { status: 200 };
    });
    const ids = Array.from({ length: 10 }, (_, i) => `ordered-${i}`);
    for (const agentId of ids) {
      await ak.client.POST('/v1/agents', { body: registration({ agentId }) });
      await ak.client.DELETE('/v1/agents/{agentId}', { params: { path: { agentId } } });
    }
    await opsCore.waitFor(() => opsCore.requests.filter((r) => eventOf(r) === 'DEREGISTER').length === ids.length, 15_000, 'all DEREGISTERs');
    for (const agentId of ids) {
      const mine = opsCore.requests.filter((r) => agentOf(r) === agentId).map(eventOf);
      expect(mine, agentId).toEqual(['REGISTER', 'REGISTER', 'REGISTER', 'DEREGISTER']);
    }
  });
});
