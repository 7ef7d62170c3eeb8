import type { Logger } from 'pino';
import type { Store } from '../store/types.js';
import type { Clock } from './clock.js';
import type { FailureReport } from './delivery.js';
import { taskErrors } from './task.js';

export interface TaskWatchdogOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** What each task it fails reports to Ops-Core. */
  failureReport: FailureReport;
  /**
   * How long after a taken task's deadline its agent may still report the outcome before the task
   * fails (the agent may have died), ms.
   */
  graceMs: number;
  /** Called after a sweep that queued reports. */
  queued: () => void;
  /** How often to look, ms. Default 1000. */
  intervalMs?: number;
  /** Tasks failed per transaction. Default 100. */
  batch?: number;
}

/**
 * The rule that every taken task ends: a task its agent took (delivered or running) that is past
 * its deadline by more than the grace, with no outcome, fails with `noOutcome`, and Ops-Core hears
 * `error`. The service runs it on a timer; on PostgreSQL every replica does, and each task is
 * failed by one (the store skips rows another transaction holds).
 */
export class TaskWatchdog {
  readonly #o: TaskWatchdogOptions;
  #timer: NodeJS.Timeout | null = null;
  #sweeping: Promise<void> | null = null;

  constructor(options: TaskWatchdogOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.sweep(), this.#o.intervalMs ?? 1000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#sweeping;
  }

  /** Fails what is overdue now (one sweep at a time; a call during a sweep waits for it). */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = null));
    return this.#sweeping;
  }

  async #sweep(): Promise<void> {
    const now = this.#o.clock.now();
    const cutoff = new Date(now.getTime() - this.#o.graceMs).toISOString();
    try {
      const ended = await this.#o.store.expireOverdueTasks(cutoff, now.toISOString(), taskErrors.noOutcome(), this.#o.failureReport, this.#o.batch ?? 100);
      if (ended.length === 0) return;
      this.#o.logger.warn({ tasks: ended.map((t) => t.taskId) }, 'tasks ended failed: no outcome from their agent by the deadline; error reported to Ops-Core');
      this.#o.queued();
    } catch (err) {
      this.#o.logger.error({ err }, 'could not look for overdue tasks; trying again');
    }
  }
}
