import type { components as AgentKitSchemas } from '../../generated/ts/agentkit.js';
import type { components as OpsCoreSchemas } from '../../generated/ts/opscore.js';
import { taskStateDetails } from '../client/state-details.js';
import type { AgentDetails } from './agent.js';
import type { EndReport, NewDelivery } from './delivery.js';
import { newDeliveryIds } from './ids.js';
import type { TaskRecord } from './task.js';

type AgentNotificationPayload = OpsCoreSchemas['schemas']['AgentNotificationPayload'];
type AgentStateUpdatePayload = OpsCoreSchemas['schemas']['AgentStateUpdatePayload'];
type TaskEnvelope = AgentKitSchemas['schemas']['TaskEnvelope'];
type TaskCancelNotice = AgentKitSchemas['schemas']['TaskCancelNotice'];

/** Where AgentKit's own messages to Ops-Core go; null parts disable them. */
export interface OpsCoreTargets {
  webhookUrl: string | null;
  apiUrl: string | null;
}

/** The lifecycle webhook body: exactly Ops-Core's AgentNotificationPayload. */
export function lifecyclePayload(eventType: 'REGISTER' | 'DEREGISTER', agent: AgentDetails): AgentNotificationPayload {
  return {
    event_type: eventType,
    agent_details: {
      agentId: agent.agentId,
      agentName: agent.agentName,
      version: agent.version,
      capabilities: agent.capabilities,
      contactEndpoint: agent.contactEndpoint,
      metadata: agent.metadata,
    },
  };
}

/** The order key of an agent's lifecycle webhooks: they go out one by one, in the order queued. */
export const lifecycleOrderKey = (agentId: string): string => `lifecycle:${agentId}`;

/** A REGISTER/DEREGISTER webhook, ordered per agent; null without a webhook URL. */
export function lifecycleDelivery(
  targets: OpsCoreTargets,
  eventType: 'REGISTER' | 'DEREGISTER',
  agent: AgentDetails,
  now: Date,
): NewDelivery | null {
  if (!targets.webhookUrl) return null;
  return {
    kind: 'agent.lifecycle',
    eventType,
    agentId: agent.agentId,
    taskId: null,
    targetUrl: targets.webhookUrl,
    payload: JSON.stringify(lifecyclePayload(eventType, agent)),
    orderKey: lifecycleOrderKey(agent.agentId),
    nextAttemptAt: now.getTime(),
    expiresAt: null,
    createdAt: now.toISOString(),
    ...newDeliveryIds(),
  };
}

/** The envelope an agent receives for a task, but for `attempt` (see {@link withAttempt}). */
export function taskEnvelope(task: TaskRecord): Omit<TaskEnvelope, 'attempt'> {
  return {
    taskId: task.taskId,
    agentId: task.agentId,
    task_name: task.taskName,
    parameters: task.parameters,
    opscore_session_id: task.opscoreSessionId,
    opscore_task_id: task.opscoreTaskId,
    timeout_seconds: task.timeoutSeconds,
    opscoreMessage: task.opscoreMessage,
    deadline: task.deadline,
    dispatchedAt: task.createdAt,
  };
}

/**
 * A stored envelope (JSON text of {@link taskEnvelope}) with the attempt's number added, as the
 * bytes that attempt sends and signs. The payload is stored once and each attempt only appends.
 */
export function withAttempt(payload: string, attempt: number): string {
  if (!payload.endsWith('}') || payload === '{}') throw new Error('a task envelope is a non-empty JSON object');
  return `${payload.slice(0, -1)},"attempt":${attempt}}`;
}

/** The task's delivery to the agent; each attempt adds its number to the payload (see {@link withAttempt}). */
export function taskDelivery(task: TaskRecord, contactEndpoint: string, now: Date): NewDelivery {
  return {
    kind: 'task.delivery',
    eventType: 'TASK',
    agentId: task.agentId,
    taskId: task.taskId,
    targetUrl: contactEndpoint,
    payload: JSON.stringify(taskEnvelope(task)),
    orderKey: null,
    nextAttemptAt: now.getTime(),
    expiresAt: task.deadline === null ? null : Date.parse(task.deadline),
    createdAt: now.toISOString(),
    ...newDeliveryIds(),
  };
}

/** Where the agent is told that a task it has is canceled: `<contactEndpoint>/<taskId>/cancel`. */
export function cancelUrl(contactEndpoint: string, taskId: string): string {
  const url = new URL(contactEndpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${encodeURIComponent(taskId)}/cancel`;
  return url.toString();
}

/** The cancel notice to the agent (the `taskCancel` webhook), tried until the cancel grace ends. */
export function cancelNotice(task: TaskRecord, contactEndpoint: string, now: Date): NewDelivery {
  const body: TaskCancelNotice = { taskId: task.taskId, agentId: task.agentId, reason: task.cancelReason, requestedAt: task.cancelRequestedAt ?? now.toISOString() };
  return {
    kind: 'task.cancel',
    eventType: 'CANCEL',
    agentId: task.agentId,
    taskId: task.taskId,
    targetUrl: cancelUrl(contactEndpoint, task.taskId),
    payload: JSON.stringify(body),
    orderKey: null,
    nextAttemptAt: now.getTime(),
    expiresAt: task.cancelDueAt,
    createdAt: now.toISOString(),
    ...newDeliveryIds(),
  };
}

/**
 * AgentKit's own state report to Ops-Core for a task that ended without its agent's word, so that
 * Ops-Core does not wait forever: `error` for one that failed (never delivered, its agent gone,
 * silent past its deadline or heartbeat), `canceled` for one whose agent did not confirm a cancel
 * in time. Its time is the task's end; null without OPSCORE_API_URL.
 */
export function taskEndReport(targets: OpsCoreTargets, task: TaskRecord): NewDelivery | null {
  if (!targets.apiUrl) return null;
  const at = task.finishedAt ?? task.updatedAt;
  const body: AgentStateUpdatePayload =
    task.status === 'canceled'
      ? { agentId: task.agentId, state: 'canceled', timestamp: at, details: { ...taskStateDetails(taskEnvelope(task)), reason: task.cancelReason, reportedBy: 'agentkit' } }
      : { agentId: task.agentId, state: 'error', timestamp: at, details: { ...taskStateDetails(taskEnvelope(task)), error: task.error, reportedBy: 'agentkit' } };
  return {
    kind: 'opscore.state',
    eventType: 'STATE',
    agentId: task.agentId,
    taskId: task.taskId,
    targetUrl: `${targets.apiUrl.replace(/\/+$/, '')}/v1/opscore/agent/${encodeURIComponent(task.agentId)}/state`,
    payload: JSON.stringify(body),
    orderKey: `state:${task.agentId}`,
    nextAttemptAt: Date.parse(at),
    expiresAt: null,
    createdAt: at,
    ...newDeliveryIds(),
  };
}

/** The one way the report to Ops-Core of a task that ended without its agent's word is built, wherever it ended. */
export const endReport = (targets: OpsCoreTargets): EndReport => (task) => taskEndReport(targets, task);

/**
 * The report of a task that ended because its agent restarted: queued with the registration, in
 * the agent's lifecycle order, so that Ops-Core hears it before the REGISTER (and so before the
 * new process reports `idle`).
 */
export const restartReport =
  (targets: OpsCoreTargets): EndReport =>
  (task) => {
    const report = taskEndReport(targets, task);
    return report && { ...report, orderKey: lifecycleOrderKey(task.agentId) };
  };
