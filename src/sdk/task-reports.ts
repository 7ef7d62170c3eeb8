import { taskStateDetails } from '@agentkit/client';
import type { AgentKitReporter } from './agentkit-reporter.js';
import { Heartbeats } from './heartbeats.js';
import type { OpsCoreReporter } from './opscore-reporter.js';
import type { RunningTask, TaskEvents } from './task-runner.js';
import type { TaskErrorBody } from './types.js';

/** What a running task last said of itself, repeated by each heartbeat. */
interface LastReport {
  progress: number;
  message: string | undefined;
  /** What the handler last attached to a heartbeat (sent with every later report, so a coalesced one loses nothing). */
  details: Record<string, unknown> | undefined;
}

/**
 * What each thing the task runner tells becomes: a task's progress and outcome reported to
 * AgentKit, and the agent's state reported to Ops-Core (`active` when a task starts, `finished`,
 * `error` or `canceled` when it ends, `idle` once nothing runs or waits), each naming the task.
 * While a task runs, a heartbeat (a `running` report with its last progress) goes to AgentKit
 * whenever it has been quiet for the heartbeat interval.
 */
export class TaskReports implements TaskEvents {
  readonly #last = new Map<string, LastReport>();
  readonly #heartbeats: Heartbeats;

  constructor(
    private readonly agentId: () => string,
    private readonly opsCore: OpsCoreReporter,
    private readonly agentKit: AgentKitReporter,
    /** Null: the agent declared no heartbeats. */
    heartbeatIntervalMs: number | null,
  ) {
    this.#heartbeats = new Heartbeats(heartbeatIntervalMs, (taskId) => this.#running(taskId));
  }

  started(task: RunningTask): void {
    this.opsCore.report(this.agentId(), 'active', { ...taskStateDetails(task.envelope) });
    this.#last.set(task.envelope.taskId, { progress: 0, message: undefined, details: undefined });
    this.#running(task.envelope.taskId);
  }

  progress(task: RunningTask, percent: number, message: string | undefined): void {
    const last = this.#last.get(task.envelope.taskId);
    if (!last) return;
    last.progress = percent;
    last.message = message;
    this.#running(task.envelope.taskId);
  }

  heartbeat(task: RunningTask, details: Record<string, unknown> | undefined): void {
    const last = this.#last.get(task.envelope.taskId);
    if (!last) return;
    if (details !== undefined) last.details = details;
    this.#running(task.envelope.taskId);
  }

  finished(task: RunningTask, result: unknown): void {
    this.#ended(task);
    this.opsCore.report(this.agentId(), 'finished', { ...taskStateDetails(task.envelope), result });
    this.agentKit.finished(task.envelope.taskId, result);
  }

  failed(task: RunningTask, error: TaskErrorBody): void {
    this.#ended(task);
    this.opsCore.report(this.agentId(), 'error', { ...taskStateDetails(task.envelope), error });
    this.agentKit.failed(task.envelope.taskId, error);
  }

  canceled(task: RunningTask, reason: string | null): void {
    this.#ended(task);
    this.opsCore.report(this.agentId(), 'canceled', { ...taskStateDetails(task.envelope), reason });
    this.agentKit.canceled(task.envelope.taskId);
  }

  idle(): void {
    this.opsCore.report(this.agentId(), 'idle', null);
  }

  /** Stops the heartbeats (the agent is stopping). */
  close(): void {
    this.#heartbeats.stopAll();
  }

  #running(taskId: string): void {
    const last = this.#last.get(taskId);
    if (!last) return;
    this.agentKit.running(taskId, last.progress, last.message, last.details);
    this.#heartbeats.touch(taskId);
  }

  #ended(task: RunningTask): void {
    this.#last.delete(task.envelope.taskId);
    this.#heartbeats.stop(task.envelope.taskId);
  }
}
