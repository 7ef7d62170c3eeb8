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

/**
 * Ops-Core parses the timestamp into a datetime and answers it in ISO 8601 form, so forms the
 * update accepts but that are not RFC 3339 date-times (a space for `T`, no seconds, `+hhmm`) are
 * rewritten as pydantic writes them (`2026-11-24 08:15+0100` -> `2026-11-24T08:15:00+01:00`).
 * Anything else is kept as sent.
 */
export function asDateTime(timestamp: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?([Zz]|[+-]\d{2}:?\d{2})?$/.exec(timestamp);
  if (!m || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(timestamp)) return timestamp;
  const [, date, hh, mm, ss = '00', fraction = '', zone] = m;
  const offset = zone === undefined ? '' : /z/i.test(zone) ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  return `${date}T${hh}:${mm}:${ss}${fraction}${offset === '+00:00' || offset === '-00:00' ? 'Z' : offset}`;
}

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
    const timestamp = asDateTime(update.timestamp);
    this.#current.set(update.agentId, { agentId: update.agentId, state: update.state, details, timestamp });
    const list = this.#states.get(update.agentId) ?? [];
    list.push({ state: update.state, details, timestamp, receivedAt: new Date().toISOString() });
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
