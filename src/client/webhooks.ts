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

/** Signs outgoing webhook bodies with one secret. */
export class WebhookSigner {
  readonly #secret: string;
  readonly #webhook: Webhook;

  constructor(secret: string) {
    if (!secret) throw new Error('A webhook signing secret must not be empty');
    this.#secret = secret;
    this.#webhook = standardWebhook(secret);
  }

  /** Headers for one attempt of message `msgId` carrying `body` (the exact bytes sent). */
  sign(msgId: string, body: string, now: Date = new Date()): SignatureHeaders {
    const timestamp = Math.floor(now.getTime() / 1000).toString();
    return {
      'webhook-id': msgId,
      'webhook-timestamp': timestamp,
      'webhook-signature': this.#webhook.sign(msgId, now, body),
      'x-agentkit-timestamp': timestamp,
      'x-agentkit-signature': agentKitSignature(this.#secret, timestamp, body),
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
 * headers when present, else the `X-AgentKit-*` pair. Header names must be lower-case.
 */
export class WebhookVerifier {
  readonly #secret: string;
  readonly #webhook: Webhook;
  readonly #tolerance: number;

  constructor(secret: string, options: VerifierOptions = {}) {
    if (!secret) throw new Error('A webhook signing secret must not be empty');
    this.#secret = secret;
    this.#webhook = standardWebhook(secret);
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
      try {
        this.#webhook.verify(rawBody, { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig }, { jsonParse: false });
      } catch (err) {
        if (err instanceof WebhookVerificationError) throw new WebhookSignatureError('bad-signature', err.message);
        throw err;
      }
      return;
    }
    const xts = h('x-agentkit-timestamp');
    const xsig = h('x-agentkit-signature');
    if (!xts || !xsig) {
      throw new WebhookSignatureError('missing-headers', 'Missing signature headers (webhook-id/-timestamp/-signature or X-AgentKit-Timestamp/-Signature)');
    }
    this.#checkFresh(xts, now);
    const expected = Buffer.from(agentKitSignature(this.#secret, xts, rawBody), 'hex');
    const given = /^[0-9a-f]{64}$/.test(xsig) ? Buffer.from(xsig, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new WebhookSignatureError('bad-signature', 'X-AgentKit-Signature does not match');
    }
  }

  #checkFresh(timestamp: string, now: Date): void {
    const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
    if (!Number.isFinite(seconds)) throw new WebhookSignatureError('bad-signature', 'Malformed signature timestamp');
    if (Math.abs(now.getTime() / 1000 - seconds) > this.#tolerance) {
      throw new WebhookSignatureError('stale-timestamp', 'Signature timestamp is too old or too new');
    }
  }
}
