import type { components as AgentKitSchemas } from '../../generated/ts/agentkit.js';
import type { components as OpsCoreSchemas } from '../../generated/ts/opscore.js';
import type { AgentDetails, NewDelivery, TaskError, TaskRecord } from '../store/types.js';
import { newDeliveryIds } from './ids.js';

type AgentNotificationPayload = OpsCoreSchemas['schemas']['AgentNotificationPayload'];
type AgentStateUpdatePayload = OpsCoreSchemas['schemas']['AgentStateUpdatePayload'];
type TaskEnvelope = AgentKitSchemas['schemas']['TaskEnvelope'];

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

/** A REGISTER/DEREGISTER webhook, ordered per agent; null without a webhook URL. */
export function lifecycleDelivery(
  targets: OpsCoreTargets,
  eventType: 'REGISTER' | 'DEREGISTER',
  agent: AgentDetails,
  now: Date,
): NewDelivery | null {
  if (!targets.webhookUrl) return null;
  return {
    ...newDeliveryIds(),
    kind: 'agent.lifecycle',
    eventType,
    agentId: agent.agentId,
    taskId: null,
    targetUrl: targets.webhookUrl,
    payload: JSON.stringify(lifecyclePayload(eventType, agent)),
    orderKey: `lifecycle:${agent.agentId}`,
    nextAttemptAt: now.getTime(),
    expiresAt: null,
    createdAt: now.toISOString(),
  };
}

/** The envelope an agent receives for a task. */
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
 * The task delivery to the agent. The payload omits `attempt`: the worker adds it to
 * each attempt's body (and signs that exact body).
 */
export function taskDelivery(task: TaskRecord, contactEndpoint: string, now: Date): NewDelivery {
  return {
    ...newDeliveryIds(),
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
  };
}

/** `details` of every state report about a task: it always names the task. */
export function taskDetails(task: Pick<TaskRecord, 'taskId' | 'taskName' | 'opscoreTaskId' | 'opscoreSessionId'>) {
  return {
    taskId: task.taskId,
    task_name: task.taskName,
    opscore_task_id: task.opscoreTaskId,
    opscore_session_id: task.opscoreSessionId,
  };
}

/**
 * AgentKit's own `error` state report to Ops-Core for a task the agent never got, so
 * Ops-Core does not wait forever. Null without OPSCORE_API_URL.
 */
export function taskErrorReport(
  targets: OpsCoreTargets,
  task: Pick<TaskRecord, 'taskId' | 'taskName' | 'opscoreTaskId' | 'opscoreSessionId' | 'agentId'>,
  error: TaskError,
  now: Date,
): NewDelivery | null {
  if (!targets.apiUrl) return null;
  const body: AgentStateUpdatePayload = {
    agentId: task.agentId,
    state: 'error',
    timestamp: now.toISOString(),
    details: { ...taskDetails(task), error, reportedBy: 'agentkit' },
  };
  return {
    ...newDeliveryIds(),
    kind: 'opscore.state',
    eventType: 'STATE',
    agentId: task.agentId,
    taskId: task.taskId,
    targetUrl: `${targets.apiUrl.replace(/\/+$/, '')}/v1/opscore/agent/${encodeURIComponent(task.agentId)}/state`,
    payload: JSON.stringify(body),
    orderKey: `state:${task.agentId}`,
    nextAttemptAt: now.getTime(),
    expiresAt: null,
    createdAt: now.toISOString(),
  };
}
