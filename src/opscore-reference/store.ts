import type { components } from '../../generated/ts/opscore.js';

export type AgentRegistrationDetails = components['schemas']['AgentRegistrationDetails'];
export type AgentState = components['schemas']['AgentState'];
export type AgentStateUpdatePayload = components['schemas']['AgentStateUpdatePayload'];

/** One state update as received, with when it arrived. */
export interface StateRecord {
  state: string;
  details: Record<string, unknown> | null;
  timestamp: string;
  receivedAt: string;
}

/** One lifecycle notification as received. */
export interface NotificationRecord {
  receivedAt: string;
  /** The Standard Webhooks `webhook-id` header, if sent. */
  webhookId: string | null;
  eventType: string;
  agentId: string;
  /** `verified` when a webhook secret is configured (unsigned ones are refused), else `not-checked`. */
  signature: 'verified' | 'not-checked';
  body: unknown;
}

/** One request to the Ops-Core API paths and the status it got. */
export interface RequestRecord {
  at: string;
  method: string;
  path: string;
  status: number;
  webhookId: string | null;
  /** True when the answer came from an injected fault. */
  injected: boolean;
}

export interface ReceivedAgent extends AgentRegistrationDetails {
  registeredAt: string;
  currentState: AgentState | null;
}

/** What `GET /_reference/received` answers. */
export interface ReceivedSnapshot {
  note: string;
  agents: ReceivedAgent[];
  notifications: NotificationRecord[];
  /** State updates accepted, per agent, in arrival order (kept after DEREGISTER). */
  states: Record<string, StateRecord[]>;
  requests: RequestRecord[];
}

const MAX_REQUESTS = 10_000;

/** The reference Ops-Core's memory: registered agents, their states, and what arrived. */
export class ReferenceStore {
  readonly #agents = new Map<string, { details: AgentRegistrationDetails; registeredAt: string }>();
  readonly #current = new Map<string, AgentState>();
  #states = new Map<string, StateRecord[]>();
  #notifications: NotificationRecord[] = [];
  #requests: RequestRecord[] = [];

  /** Stores (or overwrites) an agent; like Ops-Core, its state becomes `UNKNOWN`. */
  register(details: AgentRegistrationDetails): void {
    const now = new Date().toISOString();
    this.#agents.set(details.agentId, { details, registeredAt: now });
    this.#current.set(details.agentId, { agentId: details.agentId, state: 'UNKNOWN', details: null, timestamp: now });
  }

  deregister(agentId: string): void {
    this.#agents.delete(agentId);
    this.#current.delete(agentId);
  }

  isKnown(agentId: string): boolean {
    return this.#agents.has(agentId);
  }

  currentState(agentId: string): AgentState | undefined {
    return this.#current.get(agentId);
  }

  recordState(update: AgentStateUpdatePayload): void {
    const details = update.details ?? null;
    this.#current.set(update.agentId, { agentId: update.agentId, state: update.state, details, timestamp: update.timestamp });
    const list = this.#states.get(update.agentId) ?? [];
    list.push({ state: update.state, details, timestamp: update.timestamp, receivedAt: new Date().toISOString() });
    this.#states.set(update.agentId, list);
  }

  recordNotification(record: NotificationRecord): void {
    this.#notifications.push(record);
  }

  recordRequest(record: RequestRecord): void {
    this.#requests.push(record);
    if (this.#requests.length > MAX_REQUESTS) this.#requests.splice(0, this.#requests.length - MAX_REQUESTS);
  }

  snapshot(): ReceivedSnapshot {
    return structuredClone({
      note: 'Reference Ops-Core for development and tests. This view is not part of Ops-Core\'s API.',
      agents: [...this.#agents.values()].map(({ details, registeredAt }) => ({
        ...details,
        registeredAt,
        currentState: this.#current.get(details.agentId) ?? null,
      })),
      notifications: this.#notifications,
      states: Object.fromEntries(this.#states),
      requests: this.#requests,
    });
  }

  reset(): void {
    this.#agents.clear();
    this.#current.clear();
    this.#states = new Map();
    this.#notifications = [];
    this.#requests = [];
  }
}
