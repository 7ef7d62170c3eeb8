import { describe, expect, it } from 'vitest';
import { WebhookSignatureError, WebhookSigner, WebhookVerifier } from '../../src/client/webhooks.js';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const body = '{"event_type":"REGISTER"}';

function reason(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof WebhookSignatureError) return err.reason;
    throw err;
  }
  return 'accepted';
}

describe('WebhookVerifier', () => {
  const headers = { ...new WebhookSigner(secret).sign('msg_1', body) };

  it('when the headers are right, then it accepts (Standard Webhooks or X-AgentKit alone)', () => {
    expect(reason(() => new WebhookVerifier(secret).verify(body, headers))).toBe('accepted');
    const { 'webhook-id': _i, 'webhook-timestamp': _t, 'webhook-signature': _s, ...xOnly } = headers;
    expect(reason(() => new WebhookVerifier(secret).verify(body, xOnly))).toBe('accepted');
  });

  it('when signature headers are missing, then missing-headers', () => {
    expect(reason(() => new WebhookVerifier(secret).verify(body, {}))).toBe('missing-headers');
  });

  it('when the signature or the body is wrong, then bad-signature', () => {
    expect(reason(() => new WebhookVerifier(secret).verify(`${body} `, headers))).toBe('bad-signature');
    expect(reason(() => new WebhookVerifier('whsec_b3RoZXI=').verify(body, headers))).toBe('bad-signature');
    const { 'webhook-id': _i, 'webhook-timestamp': _t, 'webhook-signature': _s, ...xOnly } = headers;
    expect(reason(() => new WebhookVerifier(secret).verify(body, { ...xOnly, 'x-agentkit-signature': '0'.repeat(64) }))).toBe('bad-signature');
  });

  it('when the timestamp is stale, then stale-timestamp', () => {
    const old = new WebhookSigner(secret).sign('msg_1', body, new Date(Date.now() - 3_600_000));
    expect(reason(() => new WebhookVerifier(secret).verify(body, { ...old }))).toBe('stale-timestamp');
  });
});

describe('WebhookVerifier and bodies that are not JSON', () => {
  it('when a correctly signed body is not JSON, then the signature verifies (parsing is the caller\'s job)', () => {
    const text = 'not json at all';
    const headers = { ...new WebhookSigner(secret).sign('msg_2', text) };
    expect(reason(() => new WebhookVerifier(secret).verify(text, headers))).toBe('accepted');
  });
});
