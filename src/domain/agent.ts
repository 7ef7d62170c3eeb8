import type { components } from '../../generated/ts/agentkit.js';

/** What an agent sends to register (the spec's `AgentRegistrationRequest`). */
export type RegistrationRequest = components['schemas']['AgentRegistrationRequest'];

/** An agent as Ops-Core knows it too (its `AgentRegistrationDetails`). */
export interface AgentDetails {
  agentId: string;
  agentName: string;
  version: string;
  capabilities: string[];
  contactEndpoint: string;
  metadata: Record<string, unknown>;
}

/** What an agent declares to AgentKit alone: how it is supervised and how much it takes. */
export interface RegisteredDetails {
  /** How often it sends a heartbeat while a task runs, s; null: never. */
  heartbeatIntervalSeconds: number | null;
  /** The most tasks it takes at once; null: no limit. */
  maxConcurrentTasks: number | null;
}

/** A registered agent. */
export interface AgentRecord extends AgentDetails, RegisteredDetails {
  /** Its tasks that hold one of its `maxConcurrentTasks` slots now. */
  activeTasks: number;
  /** When AgentKit last heard from it: registration, or a report on one of its tasks. */
  lastSeenAt: string | null;
  registeredAt: string;
  updatedAt: string;
}

/** How many more tasks the agent takes now; null: no limit (`maxConcurrentTasks` unset). */
export function freeSlots(agent: Pick<AgentRecord, 'maxConcurrentTasks' | 'activeTasks'>): number | null {
  return agent.maxConcurrentTasks === null ? null : Math.max(0, agent.maxConcurrentTasks - agent.activeTasks);
}

/**
 * Whether a task of an agent gets to it now. An agent without a limit takes every task
 * (`unlimited`); one with `maxConcurrentTasks` takes one more while fewer hold a slot (`slot`),
 * and otherwise the task waits, queued, until one ends (`wait`).
 */
export function admit(agent: Pick<AgentRecord, 'maxConcurrentTasks' | 'activeTasks'>): 'unlimited' | 'slot' | 'wait' {
  const free = freeSlots(agent);
  return free === null ? 'unlimited' : free > 0 ? 'slot' : 'wait';
}

/** Default AGENTKIT_MAX_QUEUED_TASKS: far above any backlog a working agent has, low enough to stop a flood. */
export const DEFAULT_MAX_QUEUED_TASKS = 100_000;

/**
 * Whether a new task would exceed the agent's cap on tasks it has not taken yet (queued, waiting
 * for a slot or for delivery); null: no cap. A full queue answers 429, storing nothing.
 */
export function queueFull(queued: number, cap: number | null): boolean {
  return cap !== null && queued >= cap;
}

/**
 * How stale an agent's `lastSeenAt` may get before a report on one of its tasks writes it again:
 * kept to the second, so that a busy agent's reports do not all write (and lock) its row.
 */
export const LAST_SEEN_RESOLUTION_MS = 1000;

/** A `lastSeenAt` before this (ISO) is written again by a report at `now`. */
export function lastSeenStaleBefore(now: string): string {
  return new Date(Date.parse(now) - LAST_SEEN_RESOLUTION_MS).toISOString();
}

/**
 * Whether a new registration of `agent` means it restarted and lost the tasks it had. An agent
 * that declared heartbeats runs our SDK (or works like it): it registers when its process starts,
 * so it registering again is a new process, which knows none of its tasks; they end at once
 * rather than at their heartbeat timeout (which would report `error` after the new process said
 * `idle`). An agent without heartbeats may register again while it works (and reports to Ops-Core
 * itself): its tasks are left alone.
 */
export function restartLosesTasks(agent: Pick<AgentRecord, 'heartbeatIntervalSeconds'>): boolean {
  return agent.heartbeatIntervalSeconds !== null;
}
