import { taskStateDetails } from '@agentkit/client';
import type { AgentKitReporter } from './agentkit-reporter.js';
import type { OpsCoreReporter } from './opscore-reporter.js';
import type { RunningTask, TaskEvents } from './task-runner.js';
import type { TaskErrorBody } from './types.js';

/**
 * What each thing the task runner tells becomes: a task's progress and outcome reported to
 * AgentKit, and the agent's state reported to Ops-Core (`active` when a task starts, `finished` or
 * `error` when it ends, `idle` once nothing runs or waits), each naming the task.
 */
export class TaskReports implements TaskEvents {
  constructor(
    private readonly agentId: () => string,
    private readonly opsCore: OpsCoreReporter,
    private readonly agentKit: AgentKitReporter,
  ) {}

  started(task: RunningTask): void {
    this.opsCore.report(this.agentId(), 'active', { ...taskStateDetails(task.envelope) });
    this.agentKit.running(task.envelope.taskId, 0);
  }

  progress(task: RunningTask, percent: number, message: string | undefined): void {
    this.agentKit.running(task.envelope.taskId, percent, message);
  }

  finished(task: RunningTask, result: unknown): void {
    this.opsCore.report(this.agentId(), 'finished', { ...taskStateDetails(task.envelope), result });
    this.agentKit.finished(task.envelope.taskId, result);
  }

  failed(task: RunningTask, error: TaskErrorBody): void {
    this.opsCore.report(this.agentId(), 'error', { ...taskStateDetails(task.envelope), error });
    this.agentKit.failed(task.envelope.taskId, error);
  }

  idle(): void {
    this.opsCore.report(this.agentId(), 'idle', null);
  }
}
