import type { Logger } from 'pino';
import type { ExpiryRule, Store } from '../store/types.js';
import type { Clock } from './clock.js';
import type { EndReport } from './delivery.js';
import { canceled, failed, taskErrors } from './task.js';

export interface TaskWatchdogOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** What each task it ends reports to Ops-Core (`error` for a failed task, `canceled` for a canceled one). */
  endReport: EndReport;
  /**
   * How long after a taken task's deadline its agent may still report the outcome before the task
   * fails (the agent may have died), ms.
   */
  graceMs: number;
  /** Called after a sweep that queued reports. */
  queued: () => void;
  /** How often to look, ms. Default 1000. */
  intervalMs?: number;
  /** Tasks ended per rule and transaction. Default 100. */
  batch?: number;
}

/** One of the watchdog's rules, and what its log line says of the tasks it ended. */
interface Rule {
  rule: (now: Date) => ExpiryRule;
  says: string;
}

/**
 * The rules that every taken task ends, even when its agent dies:
 * - past its deadline by more than the grace, with no outcome: failed with `noOutcome`;
 * - its agent declared heartbeats and has been silent about it for the task's heartbeat timeout:
 *   failed with `heartbeatTimeout`, deadline or not;
 * - still waiting for a slot of its agent (maxConcurrentTasks) when its deadline passes: failed
 *   with `notDeliveredInTime`, as a delivery that never got through;
 * - canceling, and the agent did not confirm within the cancel grace: canceled by AgentKit.
 * Ops-Core hears each. The service runs the rules on a timer; on PostgreSQL every replica does,
 * and each task is ended by one (the store skips rows another transaction holds), so a replica
 * that dies leaves nothing unsupervised.
 */
export class TaskWatchdog {
  readonly #o: TaskWatchdogOptions;
  readonly #rules: Rule[];
  #timer: NodeJS.Timeout | null = null;
  #sweeping: Promise<void> | null = null;

  constructor(options: TaskWatchdogOptions) {
    this.#o = options;
    const report = options.endReport;
    this.#rules = [
      {
        rule: (now) => ({ overdue: 'deadline', before: now.getTime() - options.graceMs, end: (t) => failed(t, taskErrors.noOutcome(), now.toISOString()), report }),
        says: 'tasks ended failed: no outcome from their agent by the deadline; error reported to Ops-Core',
      },
      {
        rule: (now) => ({ overdue: 'heartbeat', before: now.getTime(), end: (t) => failed(t, taskErrors.heartbeatTimeout(), now.toISOString()), report }),
        says: 'tasks ended failed: their agent sent no heartbeat for too long; error reported to Ops-Core',
      },
      {
        rule: (now) => ({ overdue: 'waiting', before: now.getTime(), end: (t) => failed(t, taskErrors.notDeliveredInTime(t.agentId), now.toISOString()), report }),
        says: 'tasks ended failed: their deadline passed while they waited for a slot of their agent; error reported to Ops-Core',
      },
      {
        rule: (now) => ({ overdue: 'cancel', before: now.getTime(), end: (t) => canceled(t, now.toISOString()), report }),
        says: 'tasks ended canceled: their agent did not confirm the cancel in time; canceled reported to Ops-Core',
      },
    ];
  }

  /**
   * AgentKit's own absence is not its agents' silence: while it was down (or restarting) their
   * heartbeats and outcomes could not arrive, and after it they arrive behind a backlog. So a
   * starting process gives every taken task a full heartbeat window again before the first sweep.
   * (Another replica's start delays detection by at most one window.)
   */
  async renew(): Promise<void> {
    const renewed = await this.#o.store.renewHeartbeats(this.#o.clock.now().getTime());
    if (renewed > 0) this.#o.logger.info({ renewed }, 'heartbeat windows of taken tasks started again (AgentKit was not listening)');
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

  /** Ends what is overdue now (one sweep at a time; a call during a sweep waits for it). */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = null));
    return this.#sweeping;
  }

  async #sweep(): Promise<void> {
    const now = this.#o.clock.now();
    let queued = false;
    for (const { rule, says } of this.#rules) {
      try {
        const ended = await this.#o.store.expireTasks(rule(now), this.#o.batch ?? 100);
        if (ended.length === 0) continue;
        queued = true;
        this.#o.logger.warn({ tasks: ended.map((t) => t.taskId) }, says);
      } catch (err) {
        this.#o.logger.error({ err }, 'could not look for overdue tasks; trying again');
      }
    }
    if (queued) this.#o.queued();
  }
}
