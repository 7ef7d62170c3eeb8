import type { AgentKitClient } from '../clients/agentkit.js';
import type { ResolvedRetry } from './config.js';
import { classifyResponse } from './http-outcome.js';
import { ReportQueue } from './report-queue.js';
import type { Logger, TaskErrorBody, TaskReport } from './types.js';

interface QueuedReport {
  taskId: string;
  report: TaskReport;
}

/** AgentKit's limit on `TaskReport.message`. */
const MAX_MESSAGE = 2000;

/**
 * Reports task progress and outcome to AgentKit (`POST /v1/tasks/{taskId}/reports`), in order.
 * Progress reports not yet sent are replaced by newer ones of the same task.
 */
export class AgentKitReporter {
  readonly queue: ReportQueue<QueuedReport>;

  constructor(client: AgentKitClient, retry: ResolvedRetry, logger: Logger) {
    this.queue = new ReportQueue<QueuedReport>({
      target: 'AgentKit',
      retry,
      logger,
      async send({ taskId, report }, signal) {
        const { data, error, response } = await client.POST('/v1/tasks/{taskId}/reports', {
          params: { path: { taskId } },
          body: report,
          signal,
        });
        classifyResponse(`AgentKit task report ${report.status}`, response, error ?? data);
      },
    });
  }

  running(taskId: string, progress: number, message?: string): void {
    const report: TaskReport = { status: 'running', progress };
    if (message !== undefined) report.message = message.slice(0, MAX_MESSAGE);
    this.queue.push({ taskId, report }, `task ${taskId} running ${progress}%`, `progress:${taskId}`);
  }

  finished(taskId: string, result: unknown): void {
    this.queue.push({ taskId, report: { status: 'finished', result: result ?? null } }, `task ${taskId} finished`);
  }

  failed(taskId: string, error: TaskErrorBody): void {
    const report: TaskReport = { status: 'failed', error: { ...error, message: error.message.slice(0, MAX_MESSAGE) } };
    this.queue.push({ taskId, report }, `task ${taskId} failed (${error.code ?? 'error'})`);
  }
}
