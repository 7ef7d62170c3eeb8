/**
 * The store: everything AgentKit keeps durably, behind one interface so that the
 * embedded SQLite store and the PostgreSQL store behave the same. Each method that
 * changes several things does them in one transaction; callers answer only after it
 * returned.
 */

import type { OpsCoreMessageContext } from '../domain/dispatch.js';

export type TaskStatus = 'queued' | 'delivered' | 'running' | 'finished' | 'failed';
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';
export type DeliveryKind = 'agent.lifecycle' | 'task.delivery' | 'opscore.state';

export interface AgentDetails {
  agentId: string;
  agentName: string;
  version: string;
  capabilities: string[];
  contactEndpoint: string;
  metadata: Record<string, unknown>;
}

export interface AgentRecord extends AgentDetails {
  registeredAt: string;
  updatedAt: string;
}

export interface TaskError {
  code?: string;
  message: string;
}

export interface TaskRecord {
  taskId: string;
  agentId: string;
  taskName: string;
  parameters: Record<string, unknown>;
  opscoreSessionId: string | null;
  opscoreTaskId: string | null;
  timeoutSeconds: number | null;
  /** What an Ops-Core message envelope carried besides the mapped fields; null for a TaskDispatch. */
  opscoreMessage: OpsCoreMessageContext | null;
  /** ISO time after which the task may no longer be delivered; null without a timeout. */
  deadline: string | null;
  status: TaskStatus;
  progress: number | null;
  message: string | null;
  /** What the handler returned; `undefined` until finished. */
  result: unknown;
  error: TaskError | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
  finishedAt: string | null;
}

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** A message to send, as the domain builds it; the store adds status and bookkeeping. */
export interface NewDelivery {
  deliveryId: string;
  webhookId: string;
  kind: DeliveryKind;
  eventType: string;
  agentId: string;
  taskId: string | null;
  targetUrl: string;
  /** The exact body bytes to send (JSON text). */
  payload: string;
  /**
   * Deliveries with the same order key are sent one at a time, oldest first
   * (e.g. one agent's lifecycle events). Null: no ordering.
   */
  orderKey: string | null;
  /** Epoch ms of the first attempt. */
  nextAttemptAt: number;
  /** Epoch ms after which no further attempt is made (task deadline); null: none. */
  expiresAt: number | null;
  createdAt: string;
}

export interface DeliveryRecord extends NewDelivery {
  status: DeliveryStatus;
  attempts: number;
  /** Attempts made before the last redelivery; the retry schedule counts from here. */
  retryBase: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastLatencyMs: number | null;
  updatedAt: string;
  attemptLog: DeliveryAttempt[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface RegisterInput {
  agent: AgentDetails;
  /** A freshly generated secret, used when the agent is new or `rotateSecret` is set. */
  candidateSecret: string;
  rotateSecret: boolean;
  /** The REGISTER notification, or null when no webhook URL is configured. */
  notification: NewDelivery | null;
  now: string;
}

export interface RegisterResult {
  agent: AgentRecord;
  created: boolean;
  /** Set when a secret was issued by this call (new agent or rotation). */
  issuedSecret: string | null;
}

export interface DeregisterInput {
  agentId: string;
  /** Builds the DEREGISTER notification from the stored agent (null: no webhook URL). */
  notification: (agent: AgentRecord) => NewDelivery | null;
  /** Builds the `error` state report for a task that ends because the agent left. */
  failedTaskReport: (task: TaskRecord) => NewDelivery | null;
  now: string;
}

export interface CreateTaskInput {
  task: TaskRecord;
  /**
   * Builds the task's delivery from the agent's contact endpoint as it stands when the task is
   * stored (one read of the agent per dispatch; called again if the endpoint changed meanwhile).
   */
  delivery: (contactEndpoint: string) => NewDelivery;
  idempotencyKey: string | null;
  /** Hash of the request body, compared when the idempotency key was seen before ('' without a key). */
  requestHash: string;
}

export type CreateTaskResult =
  | { outcome: 'created'; task: TaskRecord }
  | { outcome: 'replayed'; task: TaskRecord }
  | { outcome: 'agent-not-found' }
  | { outcome: 'idempotency-conflict' };

export interface TaskReportInput {
  taskId: string;
  status: 'running' | 'finished' | 'failed';
  progress?: number | undefined;
  message?: string | undefined;
  /** Present (possibly null) when the report carries a result. */
  hasResult: boolean;
  result?: unknown;
  error?: TaskError | undefined;
  now: string;
}

export type TaskReportResult =
  | { outcome: 'updated'; task: TaskRecord }
  | { outcome: 'not-found' }
  | { outcome: 'conflict'; task: TaskRecord };

export interface TaskFilter {
  agentId?: string | undefined;
  status?: TaskStatus | undefined;
}

export interface DeliveryFilter {
  status?: DeliveryStatus | undefined;
  kind?: DeliveryKind | undefined;
  agentId?: string | undefined;
}

/** How an attempt ended, decided by the delivery worker. */
export type AttemptOutcome =
  | { outcome: 'succeeded' }
  | { outcome: 'retry'; nextAttemptAt: number }
  | {
      outcome: 'failed';
      /** For a task delivery: the task's error and the state report to send. */
      taskFailure?: { error: TaskError; report: NewDelivery | null } | undefined;
    };

export type RedeliverResult =
  | { outcome: 'requeued'; delivery: DeliveryRecord }
  | { outcome: 'not-found' }
  | { outcome: 'conflict'; reason: string };

export interface Store {
  /** Creates or upgrades the schema. Safe to run at every start. */
  migrate(): Promise<void>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;

  registerAgent(input: RegisterInput): Promise<RegisterResult>;
  /** Null when no such agent is registered. */
  deregisterAgent(input: DeregisterInput): Promise<{ agent: AgentRecord; failedTasks: TaskRecord[] } | null>;
  getAgent(agentId: string): Promise<AgentRecord | null>;
  /** Where and how to deliver to the agent now: its current endpoint and secret (null: not registered). */
  getAgentContact(agentId: string): Promise<{ contactEndpoint: string; signingSecret: string } | null>;
  listAgents(page: PageRequest, filter: { capability?: string | undefined }): Promise<Page<AgentRecord>>;
  countAgents(): Promise<number>;

  createTask(input: CreateTaskInput): Promise<CreateTaskResult>;
  getTask(taskId: string): Promise<TaskRecord | null>;
  listTasks(page: PageRequest, filter: TaskFilter): Promise<Page<TaskRecord>>;
  reportTask(input: TaskReportInput): Promise<TaskReportResult>;
  countTasks(): Promise<number>;

  /**
   * Takes up to `limit` due deliveries for `owner` until `leaseUntil` (epoch ms): pending,
   * due, not leased by someone else, and first in their order key. Deliveries whose
   * `targetUrl + '/'` starts with one of `skipTargets` (targets the caller has enough requests
   * in flight to, e.g. `http://10.0.0.5:8000/`) are left for later.
   */
  claimDeliveries(now: number, limit: number, owner: string, leaseUntil: number, skipTargets?: readonly string[]): Promise<DeliveryRecord[]>;
  /** Records one attempt and its outcome (and, for tasks, the task's new status). */
  recordAttempt(deliveryId: string, owner: string, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void>;
  /** Epoch ms of the earliest next attempt among pending deliveries not leased at `now`, or null. */
  nextDueAt(now: number): Promise<number | null>;
  /** Releases every lease held by `owner` (at shutdown). */
  releaseLeases(owner: string): Promise<void>;
  getDelivery(deliveryId: string): Promise<DeliveryRecord | null>;
  listDeliveries(page: PageRequest, filter: DeliveryFilter): Promise<Page<DeliveryRecord>>;
  redeliver(deliveryId: string, now: number, nowIso: string): Promise<RedeliverResult>;
  /** Number of pending deliveries, by kind. */
  outboxDepth(): Promise<Record<DeliveryKind, number>>;
  /**
   * Ends tasks the agent took (`delivered` or `running`) whose deadline passed before
   * `cutoff` (ISO) without an outcome: `failed` with `error`, and `report` queued for each,
   * in one transaction per batch of at most `limit`. Returns the tasks it ended.
   */
  expireOverdueTasks(cutoff: string, now: string, error: TaskError, report: (task: TaskRecord) => NewDelivery | null, limit: number): Promise<TaskRecord[]>;
}
