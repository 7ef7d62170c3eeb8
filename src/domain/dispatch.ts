import type { components } from '../../generated/ts/agentkit.js';
import type { TaskRecord } from './task.js';

type Schemas = components['schemas'];
export type DispatchRequest = Schemas['DispatchRequest'];
export type TaskDispatch = Schemas['TaskDispatch'];
export type OpsCoreMessage = Schemas['OpsCoreMessage'];

/** What a dispatch body says about the task, whichever of the two shapes it came in. */
export type DispatchedTask = Pick<TaskRecord, 'taskName' | 'parameters' | 'opscoreSessionId' | 'opscoreTaskId' | 'timeoutSeconds' | 'opscoreMessage'>;

/** The request schema says a body is exactly one of the two shapes; `payload` tells them apart. */
export function isOpsCoreMessage(body: DispatchRequest): body is OpsCoreMessage {
  return 'payload' in body;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Maps a dispatch body onto the task's fields. A TaskDispatch maps one to one. Ops-Core's message
 * envelope maps as OPSCORE_CONTRACT.md describes: the task name from the top-level `task_name`,
 * else `payload.task_name`, else `messageType`; the parameters from `payload.task_parameters`
 * when it is an object, else the payload without its `task_name`; the Ops-Core ids from the
 * top-level fields, else from `sessionContext`; and the rest of the envelope is kept as it came.
 */
export function taskFromDispatch(body: DispatchRequest): DispatchedTask {
  if (!isOpsCoreMessage(body)) {
    return {
      taskName: body.task_name,
      parameters: body.parameters ?? {},
      opscoreSessionId: body.opscore_session_id ?? null,
      opscoreTaskId: body.opscore_task_id ?? null,
      timeoutSeconds: body.timeout_seconds ?? null,
      opscoreMessage: null,
    };
  }
  const { task_name: payloadTaskName, ...payloadRest } = body.payload;
  const context = body.sessionContext ?? null;
  return {
    taskName: body.task_name ?? text(payloadTaskName) ?? body.messageType,
    parameters: isObject(body.payload.task_parameters) ? body.payload.task_parameters : payloadRest,
    opscoreSessionId: body.opscore_session_id ?? text(context?.sessionId) ?? null,
    opscoreTaskId: body.opscore_task_id ?? text(context?.taskId) ?? null,
    timeoutSeconds: body.timeout_seconds ?? null,
    opscoreMessage: { senderId: body.senderId, messageType: body.messageType, sessionContext: context, timestamp: body.timestamp ?? null },
  };
}
