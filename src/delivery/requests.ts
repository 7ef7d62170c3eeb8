import { WebhookSigner } from '../client/webhooks.js';
import type { DeliveryRecord } from '../domain/delivery.js';
import { cancelUrl, withAttempt } from '../domain/messages.js';
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
  /** Signs lifecycle webhooks; null when they are disabled. */
  webhookSecret: string | null;
  /** Bearer token of AgentKit's own state reports to Ops-Core; null when they are disabled. */
  opsCoreApiKey: string | null;
}

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
  readonly #webhookSigner: WebhookSigner | null;
  readonly #agentSigners = new Map<string, { secret: string; signer: WebhookSigner }>();

  constructor(options: RequestBuilderOptions) {
    this.#o = options;
    this.#webhookSigner = options.webhookSecret ? new WebhookSigner(options.webhookSecret) : null;
  }

  /** The request of attempt number `attempt` of `d`. */
  async build(d: DeliveryRecord, attempt: number): Promise<OutgoingRequest | Unsendable> {
    switch (d.kind) {
      case 'agent.lifecycle':
        if (!this.#webhookSigner) return { unsendable: 'Lifecycle webhooks are disabled (OPSCORE_WEBHOOK_URL unset)' };
        return { url: d.targetUrl, headers: { ...this.#webhookSigner.sign(d.webhookId, d.payload) }, body: d.payload };
      case 'opscore.state':
        if (!this.#o.opsCoreApiKey) return { unsendable: 'OPSCORE_API_KEY is not set' };
        return { url: d.targetUrl, headers: { authorization: `Bearer ${this.#o.opsCoreApiKey}`, 'webhook-id': d.webhookId }, body: d.payload };
      case 'task.delivery': {
        const contact = await this.#o.store.getAgentContact(d.agentId);
        if (contact === null) return { unsendable: `Agent ${d.agentId} is no longer registered` };
        const body = withAttempt(d.payload, attempt);
        return { url: contact.contactEndpoint, headers: { ...this.#agentSigner(d.agentId, contact.signingSecret).sign(d.webhookId, body) }, body };
      }
      case 'task.cancel': {
        const contact = await this.#o.store.getAgentContact(d.agentId);
        if (contact === null || d.taskId === null) return { unsendable: `Agent ${d.agentId} is no longer registered` };
        return { url: cancelUrl(contact.contactEndpoint, d.taskId), headers: { ...this.#agentSigner(d.agentId, contact.signingSecret).sign(d.webhookId, d.payload) }, body: d.payload };
      }
    }
  }

  #agentSigner(agentId: string, secret: string): WebhookSigner {
    let cached = this.#agentSigners.get(agentId);
    if (!cached || cached.secret !== secret) {
      cached = { secret, signer: new WebhookSigner(secret) };
      this.#agentSigners.set(agentId, cached);
      if (this.#agentSigners.size > MAX_SIGNERS) this.#agentSigners.delete(this.#agentSigners.keys().next().value as string);
    }
    return cached.signer;
  }
}
