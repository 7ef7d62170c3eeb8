import { WebhookSigner } from '../client/webhooks.js';
import type { DeliveryRecord } from '../domain/delivery.js';
import type { Clock } from '../domain/clock.js';
import { cancelUrl, withAttempt } from '../domain/messages.js';
import { inForce, type Rotated } from '../domain/rotation.js';
import type { Store } from '../store/types.js';

/** One attempt's request: where, with which headers, the exact body bytes. */
export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Why a delivery cannot be sent at all (it fails for good, naming this). */
export interface Unsendable {
  unsendable: string;
}

export interface RequestBuilderOptions {
  store: Store;
  /** Sign lifecycle webhooks, the new first during a rotation; empty when they are disabled. */
  webhookSecrets: readonly string[];
  /** Epoch ms until which the second of `webhookSecrets` signs too; null: as long as it is listed. */
  webhookPreviousSecretUntil?: number | null;
  /** Bearer token of AgentKit's own state reports to Ops-Core; null when they are disabled. */
  opsCoreApiKey: string | null;
  /** Which of an agent's secrets are in force, and the signatures' time. */
  clock: Clock;
}

/** The signers' cache key of the lifecycle webhooks' secrets (agent ids are never empty). */
const OPSCORE = '';

/** The most agents whose signer is kept (each holds its decoded key). */
const MAX_SIGNERS = 10_000;

/**
 * Builds and signs each kind of delivery's request: a lifecycle webhook to Ops-Core (signed with
 * OPSCORE_WEBHOOK_SECRET), a state report to Ops-Core (its API key), a task or a cancel notice to
 * its agent (signed with the agent's secret, at the agent's endpoint as they are now: it may have
 * re-registered).
 */
export class RequestBuilder {
  readonly #o: RequestBuilderOptions;
  readonly #webhookSecrets: Rotated<string> | null;
  readonly #agentSigners = new Map<string, { secrets: string; signer: WebhookSigner }>();

  constructor(options: RequestBuilderOptions) {
    this.#o = options;
    const [current, previous] = options.webhookSecrets;
    this.#webhookSecrets = current === undefined ? null : { current, previous: previous ?? null, previousUntil: previous === undefined ? null : (options.webhookPreviousSecretUntil ?? Infinity) };
  }

  /** The request of attempt number `attempt` of `d`. */
  async build(d: DeliveryRecord, attempt: number): Promise<OutgoingRequest | Unsendable> {
    switch (d.kind) {
      case 'agent.lifecycle': {
        if (!this.#webhookSecrets) return { unsendable: 'Lifecycle webhooks are disabled (OPSCORE_WEBHOOK_URL unset)' };
        const now = this.#o.clock.now();
        return { url: d.targetUrl, headers: { ...this.#signer(OPSCORE, this.#webhookSecrets, now).sign(d.webhookId, d.payload, now) }, body: d.payload };
      }
      case 'opscore.state':
        if (!this.#o.opsCoreApiKey) return { unsendable: 'OPSCORE_API_KEY is not set' };
        return { url: d.targetUrl, headers: { authorization: `Bearer ${this.#o.opsCoreApiKey}`, 'webhook-id': d.webhookId }, body: d.payload };
      case 'task.delivery': {
        const contact = await this.#o.store.getAgentContact(d.agentId);
        if (contact === null) return { unsendable: `Agent ${d.agentId} is no longer registered` };
        const body = withAttempt(d.payload, attempt);
        const now = this.#o.clock.now();
        return { url: contact.contactEndpoint, headers: { ...this.#signer(d.agentId, contact.secrets, now).sign(d.webhookId, body, now) }, body };
      }
      case 'task.cancel': {
        const contact = await this.#o.store.getAgentContact(d.agentId);
        if (contact === null || d.taskId === null) return { unsendable: `Agent ${d.agentId} is no longer registered` };
        const now = this.#o.clock.now();
        return { url: cancelUrl(contact.contactEndpoint, d.taskId), headers: { ...this.#signer(d.agentId, contact.secrets, now).sign(d.webhookId, d.payload, now) }, body: d.payload };
      }
    }
  }

  /** The signer of an agent's (or Ops-Core's) secrets in force at `now`: both during a rotation's grace period. */
  #signer(agentId: string, rotated: Rotated<string>, now: Date): WebhookSigner {
    const secrets = inForce(rotated, now.getTime());
    const key = secrets.join(' ');
    let cached = this.#agentSigners.get(agentId);
    if (!cached || cached.secrets !== key) {
      cached = { secrets: key, signer: new WebhookSigner(secrets) };
      this.#agentSigners.set(agentId, cached);
      if (this.#agentSigners.size > MAX_SIGNERS) this.#agentSigners.delete(this.#agentSigners.keys().next().value as string);
    }
    return cached.signer;
  }
}
