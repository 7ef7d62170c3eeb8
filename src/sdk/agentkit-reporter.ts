import type { ResolvedRetry } from './config.js';
import { checkAnswer } from './http-outcome.js';
import { ReportQueue } from './report-queue.js';
import type { ReportTransport } from './report-transport.js';
import type { Logger, TaskErrorBody, TaskReport } from './types.js';

interface QueuedReport {
  taskId: string;
  report: TaskReport;
}

/** The queue key of a task's pending progress report (replaced by newer progress or the outcome). */
const progressKey = (taskId: string) => `progress:${taskId}`;

/** AgentKit's limit on `TaskReport.message`. */
const MAX_MESSAGE = 2000;

/**
 * Reports task progress and outcome to AgentKit (`POST /v1/tasks/{taskId}/reports`), in order.
 * Progress reports not yet sent are replaced by newer ones, or by the outcome, of the same task.
 */
export class AgentKitReporter {
  readonly queue: ReportQueue<QueuedReport>;

  constructor(transport: ReportTransport, retry: ResolvedRetry, logger: Logger) {
    this.queue = new ReportQueue<QueuedReport>({
      target: 'AgentKit',
      retry,
      logger,
      async send({ taskId, report }, signal, timeoutMs) {
        const { status, retryAfter, body } = await transport.post(`/v1/tasks/${encodeURIComponent(taskId)}/reports`, report, signal, timeoutMs);
        checkAnswer(`AgentKit task report ${report.status}`, status, retryAfter, body);
      },
    });
  }

  /** Progress, which is also the task's heartbeat; `details`: what the handler attached to it. */
  running(taskId: string, progress: number, message?: string, details?: Record<string, unknown>): void {
    const report: TaskReport = { status: 'running', progress };
    if (message !== undefined) report.message = message.slice(0, MAX_MESSAGE);
    if (details !== undefined) report.details = details;
    this.queue.push({ taskId, report }, `task ${taskId} running ${progress}%`, progressKey(taskId));
  }

  // An outcome takes the place of the task's progress report when that is not sent yet: AgentKit
  // keeps the latest state of a task, so the progress report would change nothing for long.
  finished(taskId: string, result: unknown): void {
    this.queue.push({ taskId, report: { status: 'finished', result: result ?? null } }, `task ${taskId} finished`, undefined, progressKey(taskId));
  }

  failed(taskId: string, error: TaskErrorBody): void {
    const report: TaskReport = { status: 'failed', error: { ...error, message: error.message.slice(0, MAX_MESSAGE) } };
    this.queue.push({ taskId, report }, `task ${taskId} failed (${error.code ?? 'error'})`, undefined, progressKey(taskId));
  }

  canceled(taskId: string): void {
    this.queue.push({ taskId, report: { status: 'canceled' } }, `task ${taskId} canceled`, undefined, progressKey(taskId));
  }
}
