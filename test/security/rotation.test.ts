import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebhookSigner, WebhookVerifier } from '../../src/client/webhooks.js';
import type { Clock } from '../../src/domain/clock.js';
import { SigningKeys } from '../../src/sdk/signing-keys.js';
import { Receiver, type ReceivedRequest } from '../support/receiver.js';
import { API_KEY, registration, startService, type TestService } from '../support/service.js';

/**
 * Rotation without downtime: after an agent's signing secret is rotated, deliveries carry a
 * signature with each secret for the grace period, so a receiver holding either verifies; after
 * it (a test clock moves past it), only the new one does. The same for the agent's credential and
 * for OPSCORE_WEBHOOK_SECRET listing `new,old`.
 */

/** Short enough that signatures made at its start are still fresh at its end (5 minutes' tolerance). */
const GRACE_S = 120;

/** A clock the test moves; it may start in the past, so that moving it on brings it back to now. */
class TestClock implements Clock {
  #ms: number;
  constructor(startMs = Date.now()) {
    this.#ms = startMs;
  }
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** Whether a receiver holding only `secret` accepts the request, by either signature scheme. */
function verifies(secret: string, req: ReceivedRequest, scheme: 'standard' | 'x-agentkit'): boolean {
  const headers = { ...req.headers };
  if (scheme === 'x-agentkit') for (const h of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) delete headers[h];
  // Verified at the time it was signed: the service's clock is the test's.
  const signedAt = new Date(Number(headers['x-agentkit-timestamp']) * 1000);
  try {
    new WebhookVerifier(secret).verify(req.rawBody, headers, signedAt);
    return true;
  } catch {
    return false;
  }
}

let agentSide: Receiver;
const services: TestService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});
beforeAll(async () => {
  agentSide = await new Receiver().start();
});
afterAll(async () => {
  await agentSide?.stop();
});

async function call(ak: TestService, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${ak.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (res.headers.get('content-type')?.includes('json') ? await res.json() : null) as Record<string, unknown> };
}

async function deliveredTask(ak: TestService, agentId: string): Promise<ReceivedRequest> {
  const task = await call(ak, API_KEY, 'POST', `/v1/agents/${agentId}/run`, { task_name: 'echo', parameters: {} });
  expect(task.status).toBe(202);
  const taskId = task.body.taskId as string;
  await agentSide.waitFor(() => agentSide.requests.some((r) => (r.json as { taskId?: string }).taskId === taskId), 10_000, 'the task delivery');
  return agentSide.requests.find((r) => (r.json as { taskId?: string }).taskId === taskId)!;
}

describe("rotating an agent's signing secret", () => {
  it('when it is rotated, then for the grace period receivers with the old or the new secret both verify each delivery, and after it only the new one does', async () => {
    // Deliveries are due by the real time: the grace period ends when the clock is back at now.
    const clock = new TestClock(Date.now() - (GRACE_S + 5) * 1000);
    const ak = await startService({ AGENTKIT_SECRET_ROTATION_GRACE_S: String(GRACE_S) }, { clock });
    services.push(ak);
    const reg = await call(ak, API_KEY, 'POST', '/v1/agents', registration({ agentId: 'rot-1', contactEndpoint: `${agentSide.url}/rot-1` }));
    const [oldSecret, token] = [reg.body.signingSecret as string, reg.body.agentToken as string];

    const before = await deliveredTask(ak, 'rot-1');
    expect([verifies(oldSecret, before, 'standard'), verifies(oldSecret, before, 'x-agentkit')]).toEqual([true, true]);
    expect(before.headers['webhook-signature']!.split(' ')).toHaveLength(1);

    // The agent rotates its own secret with its credential.
    const rotated = await call(ak, token, 'POST', '/v1/agents/rot-1/signing-secret/rotate', {});
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.signingSecret as string;
    expect(newSecret).not.toBe(oldSecret);
    expect(Date.parse(rotated.body.previousSecretValidUntil as string)).toBe(clock.now().getTime() + GRACE_S * 1000);

    const during = await deliveredTask(ak, 'rot-1');
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const scheme of ['standard', 'x-agentkit'] as const) {
      expect(verifies(oldSecret, during, scheme), `old secret, ${scheme}`).toBe(true);
      expect(verifies(newSecret, during, scheme), `new secret, ${scheme}`).toBe(true);
    }

    clock.advance(GRACE_S * 1000 + 1000);
    const after = await deliveredTask(ak, 'rot-1');
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    for (const scheme of ['standard', 'x-agentkit'] as const) {
      expect(verifies(oldSecret, after, scheme), `old secret, ${scheme}`).toBe(false);
      expect(verifies(newSecret, after, scheme), `new secret, ${scheme}`).toBe(true);
    }
  });

  it('when it is rotated with graceSeconds 0, then the old secret stops at once; another agent, a dispatcher or no credential may not rotate it', async () => {
    const ak = await startService({ AGENTKIT_API_KEYS: `admin:${API_KEY},dispatcher:disp-key` });
    services.push(ak);
    const reg = await call(ak, API_KEY, 'POST', '/v1/agents', registration({ agentId: 'rot-2', contactEndpoint: `${agentSide.url}/rot-2` }));
    const other = await call(ak, API_KEY, 'POST', '/v1/agents', registration({ agentId: 'rot-3', contactEndpoint: `${agentSide.url}/rot-3` }));
    expect((await call(ak, other.body.agentToken as string, 'POST', '/v1/agents/rot-2/signing-secret/rotate', {})).status).toBe(403);
    expect((await call(ak, 'disp-key', 'POST', '/v1/agents/rot-2/signing-secret/rotate', {})).status).toBe(403);
    expect((await call(ak, 'nobody', 'POST', '/v1/agents/rot-2/signing-secret/rotate', {})).status).toBe(401);
    expect((await call(ak, API_KEY, 'POST', '/v1/agents/rot-2/signing-secret/rotate', { graceSeconds: -1 })).status).toBe(400);
    expect((await call(ak, API_KEY, 'POST', '/v1/agents/ghost/signing-secret/rotate', {})).status).toBe(404);

    const rotated = await call(ak, API_KEY, 'POST', '/v1/agents/rot-2/signing-secret/rotate', { graceSeconds: 0 });
    expect(rotated.body.previousSecretValidUntil).toBeNull();
    const task = await deliveredTask(ak, 'rot-2');
    expect(verifies(reg.body.signingSecret as string, task, 'standard')).toBe(false);
    expect(verifies(rotated.body.signingSecret as string, task, 'standard')).toBe(true);
  });
});

describe("rotating an agent's credential", () => {
  it('when it is rotated, then the old credential works for the grace period and not after it; graceSeconds 0 revokes it at once', async () => {
    const clock = new TestClock();
    const ak = await startService({ AGENTKIT_SECRET_ROTATION_GRACE_S: String(GRACE_S) }, { clock });
    services.push(ak);
    const reg = await call(ak, API_KEY, 'POST', '/v1/agents', registration({ agentId: 'tok-1', contactEndpoint: `${agentSide.url}/tok-1` }));
    const oldToken = reg.body.agentToken as string;
    const rotated = await call(ak, oldToken, 'POST', '/v1/agents/tok-1/agent-token/rotate');
    expect(rotated.status).toBe(200);
    const newToken = rotated.body.agentToken as string;
    expect(newToken).toMatch(/^akt\./);
    expect((await call(ak, oldToken, 'GET', '/v1/agents/tok-1')).status).toBe(200);
    expect((await call(ak, newToken, 'GET', '/v1/agents/tok-1')).status).toBe(200);

    clock.advance(GRACE_S * 1000 + 1000);
    expect((await call(ak, oldToken, 'GET', '/v1/agents/tok-1')).status).toBe(401);
    expect((await call(ak, newToken, 'GET', '/v1/agents/tok-1')).status).toBe(200);

    const revoked = await call(ak, newToken, 'POST', '/v1/agents/tok-1/agent-token/rotate', { graceSeconds: 0 });
    expect(revoked.body.previousTokenValidUntil).toBeNull();
    expect((await call(ak, newToken, 'GET', '/v1/agents/tok-1')).status).toBe(401);
    expect((await call(ak, revoked.body.agentToken as string, 'GET', '/v1/agents/tok-1')).status).toBe(200);
  });
});

describe('rotating OPSCORE_WEBHOOK_SECRET', () => {
  const OLD = 'whsec_T2xkU2VjcmV0T2xkU2VjcmV0T2xkU2VjcmV0';
  const NEW = 'whsec_TmV3U2VjcmV0TmV3U2VjcmV0TmV3U2VjcmV0';

  async function registerNotification(secrets: string): Promise<ReceivedRequest> {
    const opsCore = await new Receiver().start();
    try {
      const ak = await startService({ OPSCORE_WEBHOOK_URL: `${opsCore.url}/v1/opscore/internal/agent/notify`, OPSCORE_WEBHOOK_SECRET: secrets });
      services.push(ak);
      await call(ak, API_KEY, 'POST', '/v1/agents', registration({ agentId: 'hook-1', contactEndpoint: `${agentSide.url}/hook-1` }));
      await opsCore.waitFor(() => opsCore.requests.length > 0, 10_000, 'the REGISTER webhook');
      return opsCore.requests[0]!;
    } finally {
      await opsCore.stop();
    }
  }

  it('when it lists new,old with OPSCORE_WEBHOOK_PREVIOUS_SECRET_UNTIL, then both verify until that time and only the new one after it', async () => {
    const opsCore = await new Receiver().start();
    try {
      const clock = new TestClock(Date.now() - (GRACE_S + 5) * 1000);
      const until = new Date(clock.now().getTime() + GRACE_S * 1000).toISOString();
      const ak = await startService(
        { OPSCORE_WEBHOOK_URL: `${opsCore.url}/v1/opscore/internal/agent/notify`, OPSCORE_WEBHOOK_SECRET: `${NEW},${OLD}`, OPSCORE_WEBHOOK_PREVIOUS_SECRET_UNTIL: until },
        { clock },
      );
      services.push(ak);
      const notified = async (agentId: string) => {
        await call(ak, API_KEY, 'POST', '/v1/agents', registration({ agentId, contactEndpoint: `${agentSide.url}/${agentId}` }));
        await opsCore.waitFor(() => opsCore.requests.some((r) => r.rawBody.includes(agentId)), 10_000, `the REGISTER of ${agentId}`);
        return opsCore.requests.find((r) => r.rawBody.includes(agentId))!;
      };
      const during = await notified('timed-1');
      expect([verifies(OLD, during, 'standard'), verifies(NEW, during, 'standard'), verifies(OLD, during, 'x-agentkit')]).toEqual([true, true, true]);
      clock.advance(GRACE_S * 1000 + 1000);
      const after = await notified('timed-2');
      expect([verifies(OLD, after, 'standard'), verifies(NEW, after, 'standard'), verifies(OLD, after, 'x-agentkit')]).toEqual([false, true, false]);
    } finally {
      await opsCore.stop();
    }
  });

  it('when it lists new,old, then a receiver with either verifies every lifecycle webhook; once the old one is removed, only the new one does', async () => {
    const during = await registerNotification(`${NEW},${OLD}`);
    for (const scheme of ['standard', 'x-agentkit'] as const) {
      expect(verifies(OLD, during, scheme), `old, ${scheme}`).toBe(true);
      expect(verifies(NEW, during, scheme), `new, ${scheme}`).toBe(true);
    }
    const after = await registerNotification(NEW);
    for (const scheme of ['standard', 'x-agentkit'] as const) {
      expect(verifies(OLD, after, scheme), `old, ${scheme}`).toBe(false);
      expect(verifies(NEW, after, scheme), `new, ${scheme}`).toBe(true);
    }
  });
});

describe("the SDK's signing keys", () => {
  it('when the SDK rotated its secret, then it accepts deliveries signed with the previous one until AgentKit stops using it, and only the new one after', () => {
    const [oldSecret, newSecret] = ['whsec_T2xkU2VjcmV0T2xkU2VjcmV0T2xkU2VjcmV0', 'whsec_TmV3U2VjcmV0TmV3U2VjcmV0TmV3U2VjcmV0'];
    // Near now: the Standard Webhooks library checks freshness against the real time too.
    const t0 = Date.now() - 120_000;
    const keys = new SigningKeys(oldSecret, 300);
    keys.rotated(newSecret, new Date(t0 + 60_000).toISOString());
    const signed = (secret: string, at: number) => ({ body: '{"a":1}', headers: new WebhookSigner(secret).sign('msg_1', '{"a":1}', new Date(at)) });
    const check = (secret: string, at: number) => {
      const s = signed(secret, at);
      try {
        keys.verify(s.body, { ...s.headers }, new Date(at));
        return true;
      } catch {
        return false;
      }
    };
    expect([check(oldSecret, t0 + 59_000), check(newSecret, t0 + 59_000)]).toEqual([true, true]);
    expect([check(oldSecret, t0 + 61_000), check(newSecret, t0 + 61_000)]).toEqual([false, true]);
    keys.rotated('whsec_VGhpcmRTZWNyZXRUaGlyZFNlY3JldFRoaXJkU2Vj', null);
    expect(check(newSecret, t0)).toBe(false);
  });
});
