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

// Fixed vectors, computed apart from this code (Python's hmac; the first is the Standard Webhooks
// specification's own example), so that signer and verifier cannot agree on a wrong scheme.
describe('WebhookSigner against fixed test vectors', () => {
  const msgId = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const payload = '{"test": 2432232314}';
  const at = new Date(1614265330 * 1000);

  it('when the secret is whsec_, then webhook-signature is Standard Webhooks\' (key: the base64 after the prefix) and X-AgentKit keys with the whole string', () => {
    expect(new WebhookSigner('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').sign(msgId, payload, at)).toEqual({
      'webhook-id': msgId,
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      'x-agentkit-timestamp': '1614265330',
      'x-agentkit-signature': '2e37df5d4a028c51a7f3133d64ae1e300d2c2c900f1b1d49d4369ad2530f8964',
    });
  });

  it('when the secret is raw, then both schemes key with its UTF-8 bytes', () => {
    const headers = new WebhookSigner('a-raw-shared-secret').sign(msgId, payload, at);
    expect(headers['webhook-signature']).toBe('v1,nYYTINMUdNbiT6lShf7SwG6T/oCmcc00ewSGJgr3Hdw=');
    expect(headers['x-agentkit-signature']).toBe('f9956551fd3c64e3b458e6b1be7f711cbcbb0040208be944763e3f669c3895ed');
  });
});
