/**
 * The store: everything AgentKit keeps durably, behind one interface so that the embedded SQLite
 * store and the PostgreSQL store behave the same. A method that changes several things does them
 * in one transaction; callers answer only after it returned. The rules of what changes (a report
 * against a task, a failure, a redelivery) are the domain's (src/domain/task.ts, delivery.ts):
 * stores call them inside their transactions and store the outcome.
 */
import type { AgentDetails, AgentRecord, RegisteredDetails } from '../domain/agent.js';
import type { AttemptOutcome, DeliveryAttempt, DeliveryKind, DeliveryRecord, DeliveryStatus, EndReport, NewDelivery } from '../domain/delivery.js';
import type { Rotated } from '../domain/rotation.js';
import type { StoredTaskEvent } from '../domain/task-events.js';
import type { TaskRecord, TaskReport, TaskStatus } from '../domain/task.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface RegisterInput {
  /** Supervision terms left out are null: no heartbeats, no limit. */
  agent: AgentDetails & Partial<RegisteredDetails>;
  /** A freshly generated secret, used when the agent is new or `rotateSecret` is set (the old one then stops at once). */
  candidateSecret: string;
  rotateSecret: boolean;
  /** The hash of a newly issued agent credential to keep (the old one stops at once); null keeps what is stored. */
  tokenHash: string | null;
  /** Only a new agent may be registered: when the id exists, nothing changes and the result is null. */
  onlyIfNew: boolean;
  /** The REGISTER notification, or null when no webhook URL is configured. */
  notification: NewDelivery | null;
  /** What each task that ends because its agent restarted reports (queued before the REGISTER). */
  restartReport: EndReport;
  now: string;
}

export interface RegisterResult {
  agent: AgentRecord;
  created: boolean;
  /** Set when a secret was issued by this call (new agent or rotation). */
  issuedSecret: string | null;
  /** Tasks the agent had that ended because it restarted (see the domain's restartLosesTasks). */
  endedTasks: TaskRecord[];
}

export interface DeregisterInput {
  agentId: string;
  /** Builds the DEREGISTER notification from the stored agent (null: no webhook URL). */
  notification: (agent: AgentRecord) => NewDelivery | null;
  /** What each task that fails because the agent left reports to Ops-Core. */
  endReport: EndReport;
  now: string;
}

export interface CreateTaskInput {
  task: TaskRecord;
  /**
   * Builds the task's delivery from the agent's contact endpoint as it stands when the task is
   * stored (called again if the endpoint changed meanwhile).
   */
  delivery: (contactEndpoint: string) => NewDelivery;
  idempotencyKey: string | null;
  /** Hash of the request body, compared when the idempotency key was seen before ('' without a key). */
  requestHash: string;
  /** How many heartbeat intervals of its agent the task may go unheard (AGENTKIT_MISSED_HEARTBEATS; default DEFAULT_MISSED_HEARTBEATS). */
  missedHeartbeats?: number;
  /** The most tasks the agent may have not yet taken (AGENTKIT_MAX_QUEUED_TASKS; null: no cap). See the domain's queueFull. */
  maxQueuedTasks?: number | null;
}

export type CreateTaskResult =
  | { outcome: 'created'; task: TaskRecord }
  | { outcome: 'replayed'; task: TaskRecord }
  | { outcome: 'agent-not-found' }
  | { outcome: 'queue-full'; queued: number }
  | { outcome: 'idempotency-conflict' };

/** Which of an agent's secrets a rotation replaces: the key its deliveries are signed with, or its credential's hash. */
export type AgentSecretKind = 'signing-secret' | 'agent-token';

export interface RotateSecretInput {
  agentId: string;
  kind: AgentSecretKind;
  /** The new secret, or the new credential's hash. */
  value: string;
  /** Epoch ms until which the replaced one still holds (the domain's previousUntil); null: not at all. */
  previousUntil: number | null;
  now: string;
}

/** Where and how to deliver to an agent now. */
export interface AgentContact {
  contactEndpoint: string;
  /** The signing secret, and the one it replaced while that still holds (see domain/rotation.ts). */
  secrets: Rotated<string>;
}

export interface TaskReportInput {
  taskId: string;
  report: TaskReport;
  /** The report carried a `result` (possibly null). */
  hasResult: boolean;
  now: string;
  /**
   * Throws when the reporter may not report on a task of this agent (the domain's mustActFor);
   * called inside the transaction, before anything changes, so the task is read once.
   */
  checkReporter?: (agentId: string) => void;
}

export type TaskReportResult =
  | { outcome: 'updated'; task: TaskRecord }
  | { outcome: 'not-found' }
  | { outcome: 'conflict'; task: TaskRecord; message: string };

export interface TaskFilter {
  agentId?: string | undefined;
  status?: TaskStatus | undefined;
  /** Dispatched at or after this time (ISO, as toISOString writes it). */
  createdAfter?: string | undefined;
  /** Dispatched before this time (ISO). */
  createdBefore?: string | undefined;
}

export interface DeliveryFilter {
  status?: DeliveryStatus | undefined;
  kind?: DeliveryKind | undefined;
  agentId?: string | undefined;
}

export interface CancelInput {
  taskId: string;
  reason: string | null;
  now: string;
  /** How long the agent has to confirm, ms (AGENTKIT_CANCEL_GRACE_MS). */
  graceMs: number;
  /** Builds the notice to the agent from the canceling task and the agent's endpoint. */
  notice: (task: TaskRecord, contactEndpoint: string) => NewDelivery;
}

export type CancelResult =
  | { outcome: 'canceled'; task: TaskRecord }
  | { outcome: 'canceling'; task: TaskRecord }
  | { outcome: 'not-found' }
  | { outcome: 'conflict'; message: string };

/**
 * Which tasks a watchdog rule ends: taken tasks past their `deadline` (before `before`), taken
 * tasks whose heartbeat was due before `before`, canceling tasks whose agent did not confirm
 * before `before`, or tasks waiting for a slot of their agent past their deadline (`waiting`:
 * their delivery ends failed with them). `end` is the rule's transition (the domain's `failed`
 * or `canceled`).
 */
export interface ExpiryRule {
  overdue: 'deadline' | 'heartbeat' | 'cancel' | 'waiting';
  /** Epoch ms. */
  before: number;
  end: (task: TaskRecord) => TaskRecord;
  report: EndReport;
}

export type RedeliverResult =
  | { outcome: 'requeued'; delivery: DeliveryRecord }
  | { outcome: 'not-found' }
  | { outcome: 'conflict'; reason: string };

export interface Store extends ConsoleStore {
  /** Creates or upgrades the schema. Safe to run at every start. */
  migrate(): Promise<void>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;

  registerAgent(input: RegisterInput): Promise<RegisterResult | null>;
  /** The hashes of the agent's credential (agentToken) and of the one it replaced; null when there is no such agent or it has none. */
  agentTokenHashes(agentId: string): Promise<Rotated<string> | null>;
  /** Replaces the agent's signing secret or credential hash, keeping the old one as `previousUntil` says. Null when no such agent. */
  rotateAgentSecret(input: RotateSecretInput): Promise<AgentRecord | null>;
  /** Null when no such agent is registered. */
  deregisterAgent(input: DeregisterInput): Promise<{ agent: AgentRecord; failedTasks: TaskRecord[] } | null>;
  getAgent(agentId: string): Promise<AgentRecord | null>;
  /** Where and how to deliver to the agent now: its current endpoint and secrets (null: not registered). */
  getAgentContact(agentId: string): Promise<AgentContact | null>;
  listAgents(page: PageRequest, filter: { capability?: string | undefined }): Promise<Page<AgentRecord>>;

  createTask(input: CreateTaskInput): Promise<CreateTaskResult>;
  getTask(taskId: string): Promise<TaskRecord | null>;
  listTasks(page: PageRequest, filter: TaskFilter): Promise<Page<TaskRecord>>;
  /** Applies the agent's report as the domain decides it (decideReport); it also tells when the agent was last seen. */
  reportTask(input: TaskReportInput): Promise<TaskReportResult>;
  /** Cancels as the domain decides it (decideCancel), queueing the agent's notice when it must be told. */
  cancelTask(input: CancelInput): Promise<CancelResult>;

  /**
   * Takes up to `limit` due deliveries for `owner` until `leaseUntil` (epoch ms): pending,
   * due, not leased by someone else, and first in their order key. Deliveries whose
   * `targetUrl + '/'` starts with one of `skipTargets` (targets the caller has enough requests
   * in flight to, e.g. `http://10.0.0.5:8000/`) are left for later.
   */
  claimDeliveries(now: number, limit: number, owner: string, leaseUntil: number, skipTargets?: readonly string[]): Promise<DeliveryRecord[]>;
  /**
   * Records one attempt and its outcome. A task delivery's success moves its task on (delivered);
   * a failure for good fails the task unless the agent took it, and queues `endReport` of it.
   */
  recordAttempt(deliveryId: string, owner: string, attempt: DeliveryAttempt, outcome: AttemptOutcome, endReport: EndReport): Promise<void>;
  /** Epoch ms of the earliest next attempt among pending deliveries not leased at `now`, or null. */
  nextDueAt(now: number): Promise<number | null>;
  /** Releases every lease held by `owner` (at shutdown). */
  releaseLeases(owner: string): Promise<void>;
  getDelivery(deliveryId: string): Promise<DeliveryRecord | null>;
  listDeliveries(page: PageRequest, filter: DeliveryFilter): Promise<Page<DeliveryRecord>>;
  /** Requeues a delivery with a fresh retry budget, if the domain allows it (decideRedelivery). */
  redeliver(deliveryId: string, now: number, nowIso: string): Promise<RedeliverResult>;
  /** Number of pending deliveries, by kind. */
  outboxDepth(): Promise<Record<DeliveryKind, number>>;
  /** Registered agents, and tasks by status (for metrics). */
  counts(): Promise<{ agents: number; tasks: Record<TaskStatus, number> }>;
  /** Ends, as `rule` says, at most `limit` tasks it picks, each with its report, in one transaction. Returns them. */
  expireTasks(rule: ExpiryRule, limit: number): Promise<TaskRecord[]>;
  /** Starts every taken task's heartbeat window again at `now` (epoch ms): see TaskWatchdog.renew. Returns how many. */
  renewHeartbeats(now: number): Promise<number>;
}

/** An agent's open and failed tasks (the console's agent list). `running`: delivered, running or canceling. */
export interface AgentTaskCounts {
  agentId: string;
  queued: number;
  running: number;
  failed: number;
}

/** Tasks that ended in one minute (`minute`: its start, ISO). */
export interface MinuteCounts {
  minute: string;
  finished: number;
  failed: number;
}

/** Which failed deliveries a recovery sends again: created in [since, until), of `kind` when set. */
export interface RecoverInput {
  since: string;
  until: string;
  kind?: DeliveryKind | undefined;
  /** Epoch ms and ISO of now: the next attempt of each requeued delivery. */
  now: number;
  nowIso: string;
}

/** What the operator console reads and does besides the rest of the Store (issue 14). */
export interface ConsoleStore {
  /** Every delivery by status. */
  deliveryCounts(): Promise<Record<DeliveryStatus, number>>;
  /** Each agent with tasks: its queued, running and failed ones. */
  tasksByAgent(): Promise<AgentTaskCounts[]>;
  /** Tasks ended finished or failed in each of the 60 minutes ending with `now`'s, oldest first. */
  endedPerMinute(now: Date): Promise<MinuteCounts[]>;
  /** The task's deliveries with their attempts, oldest first. */
  taskDeliveries(taskId: string): Promise<DeliveryRecord[]>;
  /** A page of the task's event log (domain/task-events.ts), oldest first; written with each change of the task. */
  taskEvents(taskId: string, page: PageRequest): Promise<Page<StoredTaskEvent>>;
  /**
   * Requeues, in one transaction, every failed delivery the input selects that the domain lets
   * go again (decideRedelivery), with a fresh retry budget. Returns their ids, oldest first.
   */
  recoverDeliveries(input: RecoverInput): Promise<string[]>;
}
