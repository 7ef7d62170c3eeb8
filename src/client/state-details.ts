import type { components } from '../../generated/ts/agentkit.js';

type TaskEnvelope = components['schemas']['TaskEnvelope'];

/** What every state report about a task tells Ops-Core of the task (its `details`, beside a result or error). */
export interface TaskStateDetails {
  taskId: string;
  task_name: string;
  opscore_task_id: string | null;
  opscore_session_id: string | null;
}

/**
 * The `details` that name the task in a state report to Ops-Core. The SDK sends them with
 * `active`, `finished` and `error`; AgentKit with the `error` it reports itself.
 */
export function taskStateDetails(task: Pick<TaskEnvelope, 'taskId' | 'task_name' | 'opscore_task_id' | 'opscore_session_id'>): TaskStateDetails {
  return { taskId: task.taskId, task_name: task.task_name, opscore_task_id: task.opscore_task_id ?? null, opscore_session_id: task.opscore_session_id ?? null };
}
