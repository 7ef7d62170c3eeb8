import type { components } from '../../generated/ts/agentkit.js';
import type { AgentRecord } from '../domain/agent.js';
import type { DeliveryRecord } from '../domain/delivery.js';
import type { StoredTaskEvent } from '../domain/task-events.js';
import type { TaskRecord } from '../domain/task.js';
import type { Page } from '../store/types.js';

type Schemas = components['schemas'];

/** Store records as the API shows them (spec schemas). */
export function presentAgent(a: AgentRecord): Schemas['Agent'] {
  return {
    agentId: a.agentId,
    agentName: a.agentName,
    version: a.version,
    capabilities: a.capabilities,
    contactEndpoint: a.contactEndpoint,
    metadata: a.metadata,
    heartbeatIntervalSeconds: a.heartbeatIntervalSeconds,
    maxConcurrentTasks: a.maxConcurrentTasks,
    lastSeenAt: a.lastSeenAt,
    registeredAt: a.registeredAt,
    updatedAt: a.updatedAt,
  };
}

/** A registration's answer: the agent, its secret when one was issued, and the REGISTER it queued. */
export function presentRegistration(r: { agent: AgentRecord; issuedSecret: string | null; agentToken: string | null; registerDeliveryId: string | null }): Schemas['RegisteredAgent'] {
  return {
    ...presentAgent(r.agent),
    ...(r.issuedSecret ? { signingSecret: r.issuedSecret } : {}),
    ...(r.agentToken ? { agentToken: r.agentToken } : {}),
    registerDeliveryId: r.registerDeliveryId,
  };
}

export function presentTask(t: TaskRecord): Schemas['Task'] {
  const self = `/v1/tasks/${t.taskId}`;
  return {
    taskId: t.taskId,
    agentId: t.agentId,
    task_name: t.taskName,
    parameters: t.parameters,
    opscore_session_id: t.opscoreSessionId,
    opscore_task_id: t.opscoreTaskId,
    timeout_seconds: t.timeoutSeconds,
    opscoreMessage: t.opscoreMessage,
    status: t.status,
    progress: t.progress,
    message: t.message,
    ...(t.result !== undefined ? { result: t.result } : {}),
    error: t.error,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    deliveredAt: t.deliveredAt,
    finishedAt: t.finishedAt,
    lastHeartbeatAt: t.lastHeartbeatAt,
    heartbeat: t.heartbeat,
    cancelRequestedAt: t.cancelRequestedAt,
    cancelReason: t.cancelReason,
    lateOutcome: t.lateOutcome,
    links: { self, agent: `/v1/agents/${encodeURIComponent(t.agentId)}`, reports: `${self}/reports`, cancel: `${self}/cancel` },
  };
}

export function presentDelivery(d: DeliveryRecord): Schemas['WebhookDelivery'] {
  return {
    deliveryId: d.deliveryId,
    webhookId: d.webhookId,
    kind: d.kind,
    eventType: d.eventType,
    agentId: d.agentId,
    taskId: d.taskId,
    targetUrl: d.targetUrl,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' && !d.waitingForSlot ? new Date(d.nextAttemptAt).toISOString() : null,
    waitingForSlot: d.waitingForSlot,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastLatencyMs: d.lastLatencyMs,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    attemptLog: d.attemptLog,
  };
}

export function presentPage<T, U>(page: Page<T>, present: (item: T) => U): { items: U[]; nextCursor: string | null } {
  return { items: page.items.map(present), nextCursor: page.nextCursor };
}

/** A page of a task's events, with its heartbeats summed up from the task. */
export function presentTaskEvents(task: TaskRecord, page: Page<StoredTaskEvent>): Schemas['TaskEventList'] {
  return {
    items: page.items.map((e) => ({ seq: e.seq, at: e.at, kind: e.kind, status: e.status, source: e.source, progress: e.progress, message: e.message, error: e.error })),
    nextCursor: page.nextCursor,
    heartbeats: { count: task.heartbeatCount, lastAt: task.lastHeartbeatAt },
  };
}
