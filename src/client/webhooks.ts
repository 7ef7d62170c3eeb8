import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/**
 * Headers AgentKit puts on every outgoing webhook: the Standard Webhooks trio and the
 * `X-AgentKit-*` pair that Ops-Core's integration notes describe. Lower-case names.
 */
export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'x-agentkit-timestamp': string;
  'x-agentkit-signature': string;
}

/**
 * The Standard Webhooks key of a secret: the base64 after `whsec_` when the secret has
 * that form, else the secret's UTF-8 bytes. The `X-AgentKit-Signature` key is always the
 * secret string exactly as configured.
 */
function standardWebhook(secret: string): Webhook {
  if (secret.startsWith('whsec_')) return new Webhook(secret);
  return new Webhook(Buffer.from(secret, 'utf8'), { format: 'raw' });
}

/** Hex HMAC-SHA256 over `"<timestamp>." + body`, keyed with the secret string. */
export function agentKitSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

interface Key {
  secret: string;
  webhook: Webhook;
}

function keysOf(secrets: string | readonly string[]): Key[] {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0 || list.some((s) => !s)) throw new Error('A webhook signing secret must not be empty');
  return list.map((secret) => ({ secret, webhook: standardWebhook(secret) }));
}

/**
 * Signs outgoing webhook bodies. With several secrets (a rotation: the new one first) each
 * header carries one signature per secret, space-separated as Standard Webhooks has it, so a
 * receiver holding any one of them verifies; with one secret the headers are the usual ones.
 */
export class WebhookSigner {
  readonly #keys: Key[];

  constructor(secrets: string | readonly string[]) {
    this.#keys = keysOf(secrets);
  }

  /** Headers for one attempt of message `msgId` carrying `body` (the exact bytes sent). */
  sign(msgId: string, body: string, now: Date = new Date()): SignatureHeaders {
    const timestamp = Math.floor(now.getTime() / 1000).toString();
    const keys = this.#keys;
    return {
      'webhook-id': msgId,
      'webhook-timestamp': timestamp,
      'webhook-signature': keys.length === 1 ? keys[0]!.webhook.sign(msgId, now, body) : keys.map((k) => k.webhook.sign(msgId, now, body)).join(' '),
      'x-agentkit-timestamp': timestamp,
      'x-agentkit-signature': keys.length === 1 ? agentKitSignature(keys[0]!.secret, timestamp, body) : keys.map((k) => agentKitSignature(k.secret, timestamp, body)).join(' '),
    };
  }
}

export type SignatureFailure = 'missing-headers' | 'bad-signature' | 'stale-timestamp';

/** Why a webhook was refused; `reason` is safe to show, it never contains the secret. */
export class WebhookSignatureError extends Error {
  constructor(
    readonly reason: SignatureFailure,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

export interface VerifierOptions {
  /** How far a signing time may be from now, in seconds. Default 300 (Standard Webhooks). */
  toleranceSeconds?: number;
}

/**
 * Verifies incoming webhooks signed by {@link WebhookSigner}. Accepts the Standard Webhooks
 * headers when present, else the `X-AgentKit-*` pair; either may list several signatures
 * (space-separated), and one that matches one of the secrets is enough. Several secrets: the
 * current one and, during a rotation's grace period, the previous one. Header names must be
 * lower-case.
 */
export class WebhookVerifier {
  readonly #keys: Key[];
  readonly #tolerance: number;

  constructor(secrets: string | readonly string[], options: VerifierOptions = {}) {
    this.#keys = keysOf(secrets);
    this.#tolerance = options.toleranceSeconds ?? 300;
  }

  /** Throws {@link WebhookSignatureError} unless `rawBody` carries a valid, fresh signature. */
  verify(rawBody: string | Buffer, headers: Record<string, string | string[] | undefined>, now: Date = new Date()): void {
    const h = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const id = h('webhook-id');
    const ts = h('webhook-timestamp');
    const sig = h('webhook-signature');
    if (id && ts && sig) {
      this.#checkFresh(ts, now);
      let failure: WebhookVerificationError | undefined;
      for (const k of this.#keys) {
        try {
          k.webhook.verify(rawBody, { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig }, { jsonParse: false });
          return;
        } catch (err) {
          if (!(err instanceof WebhookVerificationError)) throw err;
          failure = err;
        }
      }
      throw new WebhookSignatureError('bad-signature', failure!.message);
    }
    const xts = h('x-agentkit-timestamp');
    const xsig = h('x-agentkit-signature');
    if (!xts || !xsig) {
      throw new WebhookSignatureError('missing-headers', 'Missing signature headers (webhook-id/-timestamp/-signature or X-AgentKit-Timestamp/-Signature)');
    }
    this.#checkFresh(xts, now);
    const given = xsig.split(' ').filter((g) => /^[0-9a-f]{64}$/.test(g)).map((g) => Buffer.from(g, 'hex'));
    for (const k of this.#keys) {
      const expected = Buffer.from(agentKitSignature(k.secret, xts, rawBody), 'hex');
      if (given.some((g) => timingSafeEqual(g, expected))) return;
    }
    throw new WebhookSignatureError('bad-signature', 'X-AgentKit-Signature does not match');
  }

  #checkFresh(timestamp: string, now: Date): void {
    const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
    if (!Number.isFinite(seconds)) throw new WebhookSignatureError('bad-signature', 'Malformed signature timestamp');
    if (Math.abs(now.getTime() / 1000 - seconds) > this.#tolerance) {
      throw new WebhookSignatureError('stale-timestamp', 'Signature timestamp is too old or too new');
    }
  }
}
