import type { AgentDetails, AgentRecord, RegisteredDetails } from '../domain/agent.js';
import type { DeliveryAttempt, DeliveryRecord, NewDelivery } from '../domain/delivery.js';
import type { StoredTaskEvent, TaskEvent } from '../domain/task-events.js';
import type { TaskRecord } from '../domain/task.js';

/**
 * Row shapes as both stores' SQL returns them (snake_case; the schemas keep the same column names
 * and encodings: times as ISO text, JSON as text, epoch ms and flags as integers), and their
 * mapping to and from the domain's records.
 */
export interface AgentRow {
  seq: number;
  agent_id: string;
  agent_name: string;
  version: string;
  capabilities: string;
  contact_endpoint: string;
  metadata: string;
  heartbeat_interval_s: number | null;
  max_concurrent_tasks: number | null;
  active_tasks: number;
  last_seen_at: string | null;
  registered_at: string;
  updated_at: string;
}

export interface TaskRow {
  seq: number;
  task_id: string;
  agent_id: string;
  task_name: string;
  parameters: string;
  opscore_session_id: string | null;
  opscore_task_id: string | null;
  timeout_seconds: number | null;
  opscore_message: string | null;
  deadline: string | null;
  status: TaskRecord['status'];
  progress: number | null;
  message: string | null;
  result: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
  finished_at: string | null;
  idempotency_key: string | null;
  request_hash: string;
  heartbeat_timeout_ms: number | null;
  heartbeat_due_at: number | null;
  last_heartbeat_at: string | null;
  heartbeats: number;
  heartbeat: string | null;
  cancel_requested_at: string | null;
  cancel_reason: string | null;
  cancel_due_at: number | null;
  holds_slot: number;
  late_outcome: string | null;
}

export interface DeliveryRow {
  seq: number;
  delivery_id: string;
  webhook_id: string;
  kind: DeliveryRecord['kind'];
  event_type: string;
  agent_id: string;
  task_id: string | null;
  target_url: string;
  payload: string;
  order_key: string | null;
  status: DeliveryRecord['status'];
  attempts: number;
  retry_base: number;
  next_attempt_at: number;
  expires_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  last_status_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  held: number;
  created_at: string;
  updated_at: string;
}

export interface AttemptRow {
  delivery_seq: number;
  attempt: number;
  at: string;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
}

/**
 * `next_attempt_at` of a task delivery that waits for a slot of its agent: past every real time,
 * so that no claim ever reaches it; the agent's oldest such delivery is made due when a slot frees.
 */
export const HELD_UNTIL = Number.MAX_SAFE_INTEGER;

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export function toAgent(row: AgentRow): AgentRecord {
  return {
    agentId: row.agent_id,
    agentName: row.agent_name,
    version: row.version,
    capabilities: JSON.parse(row.capabilities) as string[],
    contactEndpoint: row.contact_endpoint,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    heartbeatIntervalSeconds: row.heartbeat_interval_s,
    maxConcurrentTasks: row.max_concurrent_tasks,
    activeTasks: row.active_tasks,
    lastSeenAt: row.last_seen_at,
    registeredAt: row.registered_at,
    updatedAt: row.updated_at,
  };
}

/** `result` is stored as JSON text of `{ "value": ... }` so that a JSON null result is kept; no result is NULL. */
export function encodeResult(result: unknown): string | null {
  return result === undefined ? null : JSON.stringify({ value: result });
}

/** JSON text of a value that may be null (NULL then). */
export const jsonOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/**
 * The columns a task's life changes, in this order, as the stores write them after a domain rule
 * decided the new task ({@link taskStateValues}).
 */
export const TASK_STATE_COLUMNS = [
  'status', 'progress', 'message', 'result', 'error', 'updated_at', 'delivered_at', 'finished_at',
  'heartbeat_due_at', 'last_heartbeat_at', 'heartbeat', 'cancel_requested_at', 'cancel_reason', 'cancel_due_at', 'holds_slot', 'late_outcome',
  'heartbeats',
] as const;

export function taskStateValues(task: TaskRecord): unknown[] {
  return [
    task.status, task.progress, task.message, encodeResult(task.result), jsonOrNull(task.error), task.updatedAt, task.deliveredAt, task.finishedAt,
    task.heartbeatDueAt, task.lastHeartbeatAt, jsonOrNull(task.heartbeat), task.cancelRequestedAt, task.cancelReason, task.cancelDueAt,
    task.holdsSlot ? 1 : 0, jsonOrNull(task.lateOutcome), task.heartbeatCount,
  ];
}

/** The columns a new task is inserted with, in {@link newTaskValues}' order. */
export const NEW_TASK_COLUMNS = [
  'task_id', 'agent_id', 'task_name', 'parameters', 'opscore_session_id', 'opscore_task_id', 'timeout_seconds', 'opscore_message',
  'deadline', 'status', 'created_at', 'updated_at', 'idempotency_key', 'request_hash', 'heartbeat_timeout_ms', 'holds_slot',
] as const;

export function newTaskValues(t: TaskRecord, idempotencyKey: string | null, requestHash: string): unknown[] {
  return [
    t.taskId, t.agentId, t.taskName, JSON.stringify(t.parameters), t.opscoreSessionId, t.opscoreTaskId, t.timeoutSeconds, jsonOrNull(t.opscoreMessage),
    t.deadline, t.status, t.createdAt, t.updatedAt, idempotencyKey, requestHash, t.heartbeatTimeoutMs, t.holdsSlot ? 1 : 0,
  ];
}

/** The columns a new delivery is inserted with (status `pending`, no attempts yet), in {@link newDeliveryValues}' order. */
export const NEW_DELIVERY_COLUMNS = [
  'delivery_id', 'webhook_id', 'kind', 'event_type', 'agent_id', 'task_id', 'target_url', 'payload', 'order_key',
  'next_attempt_at', 'expires_at', 'created_at', 'updated_at', 'held',
] as const;

/** `held`: the delivery waits for a slot of its agent (see {@link HELD_UNTIL}). */
export function newDeliveryValues(d: NewDelivery, held = false): unknown[] {
  return [d.deliveryId, d.webhookId, d.kind, d.eventType, d.agentId, d.taskId, d.targetUrl, d.payload, d.orderKey, held ? HELD_UNTIL : d.nextAttemptAt, d.expiresAt, d.createdAt, d.createdAt, held ? 1 : 0];
}

/** The columns an agent's registration writes, in {@link agentValues}' order. */
export const AGENT_COLUMNS = ['agent_name', 'version', 'capabilities', 'contact_endpoint', 'metadata', 'heartbeat_interval_s', 'max_concurrent_tasks'] as const;

export function agentValues(a: AgentDetails & Partial<RegisteredDetails>): unknown[] {
  return [a.agentName, a.version, JSON.stringify(a.capabilities), a.contactEndpoint, JSON.stringify(a.metadata), a.heartbeatIntervalSeconds ?? null, a.maxConcurrentTasks ?? null];
}

export function toTask(row: TaskRow): TaskRecord {
  return {
    taskId: row.task_id,
    agentId: row.agent_id,
    taskName: row.task_name,
    parameters: JSON.parse(row.parameters) as Record<string, unknown>,
    opscoreSessionId: row.opscore_session_id,
    opscoreTaskId: row.opscore_task_id,
    timeoutSeconds: row.timeout_seconds,
    opscoreMessage: parse<TaskRecord['opscoreMessage']>(row.opscore_message),
    deadline: row.deadline,
    status: row.status,
    progress: row.progress,
    message: row.message,
    result: row.result === null ? undefined : (JSON.parse(row.result) as { value: unknown }).value,
    error: parse<TaskRecord['error']>(row.error),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
    finishedAt: row.finished_at,
    heartbeatTimeoutMs: row.heartbeat_timeout_ms,
    heartbeatDueAt: row.heartbeat_due_at,
    lastHeartbeatAt: row.last_heartbeat_at,
    heartbeatCount: row.heartbeats,
    heartbeat: parse<Record<string, unknown>>(row.heartbeat),
    cancelRequestedAt: row.cancel_requested_at,
    cancelReason: row.cancel_reason,
    cancelDueAt: row.cancel_due_at,
    holdsSlot: row.holds_slot === 1,
    lateOutcome: parse<TaskRecord['lateOutcome']>(row.late_outcome),
  };
}

/** A row of `task_events`. */
export interface TaskEventRow {
  seq: number;
  task_id: string;
  at: string;
  kind: TaskEvent['kind'];
  status: TaskEvent['status'];
  source: TaskEvent['source'];
  progress: number | null;
  message: string | null;
  error: string | null;
}

/** The columns an event is inserted with (the store numbers it), in {@link taskEventValues}' order. */
export const TASK_EVENT_COLUMNS = ['task_id', 'at', 'kind', 'status', 'source', 'progress', 'message', 'error'] as const;

export function taskEventValues(e: TaskEvent): unknown[] {
  return [e.taskId, e.at, e.kind, e.status, e.source, e.progress, e.message, jsonOrNull(e.error)];
}

export function toTaskEvent(row: TaskEventRow): StoredTaskEvent {
  return {
    seq: row.seq,
    taskId: row.task_id,
    at: row.at,
    kind: row.kind,
    status: row.status,
    source: row.source,
    progress: row.progress,
    message: row.message,
    error: parse<TaskRecord['error']>(row.error),
  };
}

export function toAttempt(row: AttemptRow): DeliveryAttempt {
  return { attempt: row.attempt, at: row.at, statusCode: row.status_code, latencyMs: row.latency_ms, error: row.error };
}

export function toDelivery(row: DeliveryRow, attempts: DeliveryAttempt[]): DeliveryRecord {
  return {
    deliveryId: row.delivery_id,
    webhookId: row.webhook_id,
    kind: row.kind,
    eventType: row.event_type,
    agentId: row.agent_id,
    taskId: row.task_id,
    targetUrl: row.target_url,
    payload: row.payload,
    orderKey: row.order_key,
    nextAttemptAt: row.next_attempt_at,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    status: row.status,
    attempts: row.attempts,
    retryBase: row.retry_base,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    lastLatencyMs: row.last_latency_ms,
    waitingForSlot: row.held === 1,
    updatedAt: row.updated_at,
    attemptLog: attempts,
  };
}
