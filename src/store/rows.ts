import type { AgentRecord, DeliveryAttempt, DeliveryRecord, TaskRecord } from '../types.js';

/** Row shapes as SQL returns them (snake_case), and their mapping to records. */
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

/** `result` is stored as JSON text of `{ "value": ... }` so that a JSON null result is kept. */
export function encodeResult(hasResult: boolean, result: unknown): string | null {
  return hasResult ? JSON.stringify({ value: result ?? null }) : null;
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
