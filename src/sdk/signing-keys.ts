import { WebhookVerifier } from '@agentkit/client';

/** What the task endpoint needs of the agent's signing secret. */
export interface DeliveryVerifier {
  verify(rawBody: string | Buffer, headers: Record<string, string | string[] | undefined>, now?: Date): void;
}

/**
 * The agent's signing secret, and after a rotation the previous one until AgentKit stops signing
 * with it (`previousSecretValidUntil` of the rotation's answer): deliveries signed before the
 * rotation, or retried from then, still verify meanwhile.
 */
export class SigningKeys implements DeliveryVerifier {
  readonly #tolerance: number;
  #current: string;
  #currentOnly: WebhookVerifier;
  #withPrevious: WebhookVerifier | null = null;
  #previousUntil = 0;

  constructor(secret: string, toleranceSeconds: number) {
    this.#tolerance = toleranceSeconds;
    this.#current = secret;
    this.#currentOnly = new WebhookVerifier(secret, { toleranceSeconds });
  }

  /** Switches to `secret`; the one in use so far holds until `previousUntil` (ISO, or null: not at all). */
  rotated(secret: string, previousUntil: string | null): void {
    const previous = this.#current;
    this.#current = secret;
    this.#currentOnly = new WebhookVerifier(secret, { toleranceSeconds: this.#tolerance });
    this.#withPrevious = previousUntil === null ? null : new WebhookVerifier([secret, previous], { toleranceSeconds: this.#tolerance });
    this.#previousUntil = previousUntil === null ? 0 : Date.parse(previousUntil);
  }

  verify(rawBody: string | Buffer, headers: Record<string, string | string[] | undefined>, now: Date = new Date()): void {
    const verifier = this.#withPrevious !== null && now.getTime() < this.#previousUntil ? this.#withPrevious : this.#currentOnly;
    verifier.verify(rawBody, headers, now);
  }
}
