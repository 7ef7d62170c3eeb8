import type { AgentDetails, AgentRecord } from '../domain/agent.js';
import type { DeliveryAttempt, DeliveryRecord, NewDelivery } from '../domain/delivery.js';
import type { TaskRecord } from '../domain/task.js';

/**
 * Row shapes as both stores' SQL returns them (snake_case; the schemas keep the same column names
 * and encodings: times as ISO text, JSON as text, epoch ms as integers), and their mapping to and
 * from the domain's records.
 */
export interface AgentRow {
  seq: number;
  agent_id: string;
  agent_name: string;
  version: string;
  capabilities: string;
  contact_endpoint: string;
  metadata: string;
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

export function toAgent(row: AgentRow): AgentRecord {
  return {
    agentId: row.agent_id,
    agentName: row.agent_name,
    version: row.version,
    capabilities: JSON.parse(row.capabilities) as string[],
    contactEndpoint: row.contact_endpoint,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
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
 * The columns a task's life changes (status, progress, message, result, error, times), in this
 * order, as the stores write them after a domain rule decided the new task.
 */
export const TASK_STATE_COLUMNS = ['status', 'progress', 'message', 'result', 'error', 'updated_at', 'delivered_at', 'finished_at'] as const;

/** The values of {@link TASK_STATE_COLUMNS} for `task`. */
export function taskStateValues(task: TaskRecord): unknown[] {
  return [task.status, task.progress, task.message, encodeResult(task.result), jsonOrNull(task.error), task.updatedAt, task.deliveredAt, task.finishedAt];
}

/** The values of the columns a new task is inserted with, in {@link NEW_TASK_COLUMNS}' order. */
export const NEW_TASK_COLUMNS = [
  'task_id', 'agent_id', 'task_name', 'parameters', 'opscore_session_id', 'opscore_task_id', 'timeout_seconds', 'opscore_message',
  'deadline', 'status', 'created_at', 'updated_at', 'idempotency_key', 'request_hash',
] as const;

export function newTaskValues(t: TaskRecord, idempotencyKey: string | null, requestHash: string): unknown[] {
  return [
    t.taskId, t.agentId, t.taskName, JSON.stringify(t.parameters), t.opscoreSessionId, t.opscoreTaskId, t.timeoutSeconds, jsonOrNull(t.opscoreMessage),
    t.deadline, t.status, t.createdAt, t.updatedAt, idempotencyKey, requestHash,
  ];
}

/** The columns a new delivery is inserted with (status `pending`, no attempts yet), in {@link newDeliveryValues}' order. */
export const NEW_DELIVERY_COLUMNS = [
  'delivery_id', 'webhook_id', 'kind', 'event_type', 'agent_id', 'task_id', 'target_url', 'payload', 'order_key',
  'next_attempt_at', 'expires_at', 'created_at', 'updated_at',
] as const;

export function newDeliveryValues(d: NewDelivery): unknown[] {
  return [d.deliveryId, d.webhookId, d.kind, d.eventType, d.agentId, d.taskId, d.targetUrl, d.payload, d.orderKey, d.nextAttemptAt, d.expiresAt, d.createdAt, d.createdAt];
}

/** The columns an agent's registration writes, in {@link agentValues}' order. */
export const AGENT_COLUMNS = ['agent_name', 'version', 'capabilities', 'contact_endpoint', 'metadata'] as const;

export function agentValues(a: AgentDetails): unknown[] {
  return [a.agentName, a.version, JSON.stringify(a.capabilities), a.contactEndpoint, JSON.stringify(a.metadata)];
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
    opscoreMessage: row.opscore_message === null ? null : (JSON.parse(row.opscore_message) as TaskRecord['opscoreMessage']),
    deadline: row.deadline,
    status: row.status,
    progress: row.progress,
    message: row.message,
    result: row.result === null ? undefined : (JSON.parse(row.result) as { value: unknown }).value,
    error: row.error === null ? null : (JSON.parse(row.error) as TaskRecord['error']),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
    finishedAt: row.finished_at,
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
    updatedAt: row.updated_at,
    attemptLog: attempts,
  };
}
