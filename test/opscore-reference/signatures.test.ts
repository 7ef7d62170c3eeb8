import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpsCoreReference, type OpsCoreReference, type RunningReference } from '../../src/opscore-reference/index.js';
import { WebhookSigner } from '../../src/client/webhooks.js';
import { captureLogger } from '../sdk/support/harness.js';

const SECRET = 'whsec_b3BzY29yZS1yZWZlcmVuY2Utd2ViaG9vay1zZWNyZXQ=';
const payload = JSON.stringify({
  event_type: 'REGISTER',
  agent_details: { agentId: 'signed-agent', agentName: 'n', version: '1', contactEndpoint: 'http://127.0.0.1:9000/tasks' },
});

describe('reference Ops-Core: lifecycle notification signatures', () => {
  let reference: OpsCoreReference;
  let server: RunningReference;
  const post = (headers: Record<string, string>, body = payload) =>
    fetch(`${server.url}/v1/opscore/internal/agent/notify`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    reference = createOpsCoreReference({ apiKey: 'k', webhookSecret: SECRET, logger: captureLogger() });
    server = await reference.start();
  });
  afterAll(async () => {
    await server.close();
  });

  it('when signed with the secret (all headers), then it is accepted and recorded as verified with its webhook-id', async () => {
    const response = await post(new WebhookSigner(SECRET).sign('msg_one', payload) as unknown as Record<string, string>);
    expect(response.status).toBe(200);
    expect(reference.received().notifications.at(-1)).toMatchObject({ webhookId: 'msg_one', signature: 'verified', eventType: 'REGISTER', agentId: 'signed-agent' });
  });

  it('when only the X-AgentKit pair is sent, then it is accepted', async () => {
    const signed = new WebhookSigner(SECRET).sign('msg_two', payload);
    const response = await post({ 'X-AgentKit-Timestamp': signed['x-agentkit-timestamp'], 'X-AgentKit-Signature': signed['x-agentkit-signature'] });
    expect(response.status).toBe(200);
  });

  it('when unsigned, then it answers 401 {"detail"} and stores nothing', async () => {
    const before = reference.received().notifications.length;
    const response = await post({});
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ detail: 'Invalid webhook signature (missing-headers)' });
    expect(reference.received().notifications).toHaveLength(before);
  });

  it('when signed with another secret, then it answers 401', async () => {
    const response = await post(new WebhookSigner('whsec_c29tZS1vdGhlci1zZWNyZXQtdmFsdWU=').sign('msg_x', payload) as unknown as Record<string, string>);
    expect(response.status).toBe(401);
  });

  it('when the body was changed after signing, then it answers 401', async () => {
    const headers = new WebhookSigner(SECRET).sign('msg_y', payload) as unknown as Record<string, string>;
    const response = await post(headers, payload.replace('signed-agent', 'other-agent'));
    expect(response.status).toBe(401);
  });

  it('when the signature is ten minutes old, then it answers 401 (stale)', async () => {
    const old = new WebhookSigner(SECRET).sign('msg_z', payload, new Date(Date.now() - 600_000)) as unknown as Record<string, string>;
    const response = await post(old);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ detail: 'Invalid webhook signature (stale-timestamp)' });
  });

  it('when signed but not JSON, then it answers 422 (the signature is fine, the body is not)', async () => {
    const body = '{nope';
    const response = await post(new WebhookSigner(SECRET).sign('msg_j', body) as unknown as Record<string, string>, body);
    expect(response.status).toBe(422);
  });

  it('when no secret is configured, then unsigned notifications are accepted and marked not-checked', async () => {
    const open = createOpsCoreReference({ apiKey: 'k', logger: captureLogger() });
    const openServer = await open.start();
    try {
      const response = await fetch(`${openServer.url}/v1/opscore/internal/agent/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
      expect(response.status).toBe(200);
      expect(open.received().notifications[0]).toMatchObject({ signature: 'not-checked', webhookId: null });
    } finally {
      await openServer.close();
    }
  });
});
