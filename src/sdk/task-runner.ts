import { TaskCanceledError } from './task-canceled.js';
import type { Logger, TaskContext, TaskEnvelope, TaskErrorBody, TaskHandlers } from './types.js';

/** A task this agent accepted, in memory, from acceptance to its end. */
export interface RunningTask {
  readonly envelope: TaskEnvelope;
  readonly deadline: Date | null;
  readonly controller: AbortController;
  readonly logger: Logger;
  phase: 'queued' | 'running' | 'done';
  /** True once `finished`, `failed` or `canceled` was emitted: at most one outcome per task. */
  hasOutcome: boolean;
  /** True once the task gave its concurrency slot back. */
  released: boolean;
  startedAt?: number;
  timers: NodeJS.Timeout[];
}

/** What the runner tells the agent; the agent turns these into reports. */
export interface TaskEvents {
  started(task: RunningTask): void;
  progress(task: RunningTask, percent: number, message: string | undefined): void;
  /** The handler attached details to a heartbeat. */
  heartbeat(task: RunningTask, details: Record<string, unknown> | undefined): void;
  finished(task: RunningTask, result: unknown): void;
  failed(task: RunningTask, error: TaskErrorBody): void;
  /** The task stopped for a cancel (before it started, or its handler's signal aborted). */
  canceled(task: RunningTask, reason: string | null): void;
  /** Nothing runs and nothing waits. */
  idle(): void;
}

export interface TaskRunnerOptions {
  agentId: () => string;
  handlers: TaskHandlers;
  concurrency: number;
  abortGraceMs: number;
  rememberTasks: number;
  logger: Logger;
  events: TaskEvents;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function deadlineOf(envelope: TaskEnvelope): Date | null {
  if (envelope.deadline) {
    const at = Date.parse(envelope.deadline);
    if (!Number.isNaN(at)) return new Date(at);
  }
  if (envelope.timeout_seconds) {
    const from = Date.parse(envelope.dispatchedAt);
    if (!Number.isNaN(from)) return new Date(from + envelope.timeout_seconds * 1000);
  }
  return null;
}

/** Error body for what a handler threw: its string `code` when it has one, else `handler_error`. */
function errorBody(err: unknown): TaskErrorBody {
  const code = err && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'handler_error';
  const message = err instanceof Error ? err.message || err.name : String(err);
  return { code, message: message || 'The handler failed' };
}

/** What an abort makes of the task: canceled, or failed because the deadline passed (`timeout`) or the agent is stopping (`shutdown`). */
function abortOutcome(task: RunningTask): { canceled: string | null } | { failed: TaskErrorBody } {
  const reason: unknown = task.controller.signal.reason;
  if (reason instanceof TaskCanceledError) return { canceled: reason.reason };
  if (reason instanceof DOMException && reason.name === 'TimeoutError') {
    return { failed: { code: 'timeout', message: `The task did not end before its deadline (${task.deadline?.toISOString() ?? 'none'})` } };
  }
  return { failed: { code: 'shutdown', message: 'The agent stopped before the task ended' } };
}

/** The result as JSON (undefined becomes null); throws when it cannot be serialised. */
function asJson(result: unknown): unknown {
  const text = JSON.stringify(result);
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

/**
 * Runs accepted tasks through their handlers: each task id once, at most `concurrency` at a
 * time (the rest wait in arrival order), each aborted at its deadline or on shutdown.
 */
export class TaskRunner {
  readonly #options: TaskRunnerOptions;
  readonly #live = new Map<string, RunningTask>();
  readonly #remembered = new Set<string>();
  #waiting: RunningTask[] = [];
  #running = 0;
  #stopping = false;
  #onDrained: Array<() => void> = [];

  constructor(options: TaskRunnerOptions) {
    this.#options = options;
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Takes a delivered task. A task id seen before is a duplicate and is not run again. */
  accept(envelope: TaskEnvelope): { duplicate: boolean } {
    const { taskId } = envelope;
    if (this.#live.has(taskId) || this.#remembered.has(taskId)) return { duplicate: true };
    this.#remember(taskId);

    const log = this.#options.logger;
    const task: RunningTask = {
      envelope,
      deadline: deadlineOf(envelope),
      controller: new AbortController(),
      logger: log.child?.({ taskId, task_name: envelope.task_name }) ?? log,
      phase: 'queued',
      hasOutcome: false,
      released: false,
      timers: [],
    };
    task.logger.info({ attempt: envelope.attempt, deadline: task.deadline }, 'Task accepted');

    if (!Object.hasOwn(this.#options.handlers, envelope.task_name)) {
      task.phase = 'done';
      task.released = true;
      this.#outcome(task, () =>
        this.#options.events.failed(task, {
          code: 'unknown_task',
          message: `This agent has no handler for task_name "${envelope.task_name}" (it handles: ${Object.keys(this.#options.handlers).join(', ')})`,
        }),
      );
      this.#idleIfNothingLeft();
      return { duplicate: false };
    }

    this.#live.set(taskId, task);
    task.controller.signal.addEventListener('abort', () => this.#aborted(task), { once: true });
    if (task.deadline) {
      const ms = task.deadline.getTime() - Date.now();
      if (ms <= 0) task.controller.abort(new DOMException('The task deadline passed', 'TimeoutError'));
      else {
        task.timers.push(
          setTimeout(() => task.controller.abort(new DOMException('The task deadline passed', 'TimeoutError')), Math.min(ms, MAX_TIMER_MS)),
        );
      }
    }
    if (task.phase === 'queued') {
      this.#waiting.push(task);
      this.#pump();
    }
    return { duplicate: false };
  }

  /**
   * Cancels a task this agent has: aborts its signal with a {@link TaskCanceledError} (a waiting
   * task never starts), and the task ends `canceled`. `ended`: it already has its outcome, or was
   * seen and is over; `unknown`: this agent never got it (or has forgotten it).
   */
  cancel(taskId: string, reason: string | null): 'canceling' | 'ended' | 'unknown' {
    const task = this.#live.get(taskId);
    if (!task) return this.#remembered.has(taskId) ? 'ended' : 'unknown';
    if (task.hasOutcome) return 'ended';
    task.logger.info({ reason }, 'Task canceled');
    task.controller.abort(new TaskCanceledError(reason));
    return 'canceling';
  }

  /**
   * Stops taking work: aborts waiting and running tasks (each reported as failed, code
   * `shutdown`) and resolves when every handler settled, or after `graceMs`.
   */
  shutdown(graceMs: number): Promise<void> {
    this.#stopping = true;
    for (const task of [...this.#waiting, ...this.#live.values()]) {
      if (!task.controller.signal.aborted) task.controller.abort(new DOMException('The agent is stopping', 'AbortError'));
    }
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      this.#onDrained.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #remember(taskId: string): void {
    this.#remembered.add(taskId);
    if (this.#remembered.size > this.#options.rememberTasks) {
      const oldest = this.#remembered.values().next().value;
      if (oldest !== undefined) this.#remembered.delete(oldest);
    }
  }

  /** Emits the task's outcome unless it already has one. */
  #outcome(task: RunningTask, emit: () => void): void {
    if (task.hasOutcome) return;
    task.hasOutcome = true;
    emit();
  }

  #aborted(task: RunningTask): void {
    const outcome = abortOutcome(task);
    const emit = () => ('canceled' in outcome ? this.#options.events.canceled(task, outcome.canceled) : this.#options.events.failed(task, outcome.failed));
    const code = 'canceled' in outcome ? 'canceled' : outcome.failed.code;
    if (task.phase === 'queued') {
      this.#waiting = this.#waiting.filter((t) => t !== task);
      task.phase = 'done';
      task.released = true;
      this.#live.delete(task.envelope.taskId);
      this.#clearTimers(task);
      task.logger.warn({ code }, 'Task aborted before it started');
      this.#outcome(task, emit);
      this.#idleIfNothingLeft();
      return;
    }
    if (task.phase !== 'running') return;
    task.logger.warn({ code }, 'Task aborted while running');
    this.#outcome(task, emit);
    // The handler should honour its signal; if it does not, give its slot back after a grace period.
    task.timers.push(
      setTimeout(() => {
        if (!task.released) task.logger.warn({ graceMs: this.#options.abortGraceMs }, 'Handler ignored its abort signal; freeing its slot');
        this.#release(task);
      }, this.#options.abortGraceMs),
    );
  }

  #pump(): void {
    while (!this.#stopping && this.#running < this.#options.concurrency && this.#waiting.length > 0) {
      this.#start(this.#waiting.shift()!);
    }
  }

  #start(task: RunningTask): void {
    const { envelope } = task;
    const handler = this.#options.handlers[envelope.task_name]!;
    task.phase = 'running';
    task.startedAt = Date.now();
    this.#running++;
    this.#options.events.started(task);

    const context: TaskContext = {
      taskId: envelope.taskId,
      agentId: this.#options.agentId(),
      taskName: envelope.task_name,
      opscoreTaskId: envelope.opscore_task_id ?? null,
      opscoreSessionId: envelope.opscore_session_id ?? null,
      attempt: envelope.attempt,
      deadline: task.deadline,
      signal: task.controller.signal,
      logger: task.logger,
      envelope,
      progress: (percent, message) => {
        if (task.hasOutcome) return;
        if (typeof percent !== 'number' || Number.isNaN(percent)) throw new TypeError('progress(percent): percent must be a number from 0 to 100');
        this.#options.events.progress(task, Math.min(100, Math.max(0, percent)), message);
      },
      heartbeat: (details) => {
        if (task.hasOutcome) return;
        if (details !== undefined && (details === null || typeof details !== 'object' || Array.isArray(details))) {
          throw new TypeError('heartbeat(details): details must be a plain object');
        }
        this.#options.events.heartbeat(task, details);
      },
    };

    let run: Promise<unknown>;
    try {
      run = Promise.resolve(handler(envelope.parameters, context));
    } catch (err) {
      run = Promise.reject(err);
    }
    run
      .then(
        (result) => {
          if (task.hasOutcome) {
            task.logger.debug({}, 'Handler returned after its task had ended; result ignored');
            return;
          }
          let json: unknown;
          try {
            json = asJson(result);
          } catch (err) {
            const message = `The handler's result is not JSON: ${err instanceof Error ? err.message : String(err)}`;
            this.#outcome(task, () => this.#options.events.failed(task, { code: 'invalid_result', message }));
            return;
          }
          task.logger.info({ ms: Date.now() - (task.startedAt ?? Date.now()) }, 'Task finished');
          this.#outcome(task, () => this.#options.events.finished(task, json));
        },
        (err: unknown) => {
          if (task.hasOutcome) return;
          const body = errorBody(err);
          task.logger.warn({ code: body.code, err: body.message }, 'Task failed');
          this.#outcome(task, () => this.#options.events.failed(task, body));
        },
      )
      .finally(() => this.#release(task));
  }

  #clearTimers(task: RunningTask): void {
    for (const t of task.timers) clearTimeout(t);
    task.timers = [];
  }

  #release(task: RunningTask): void {
    if (task.released) return;
    task.released = true;
    task.phase = 'done';
    this.#clearTimers(task);
    this.#live.delete(task.envelope.taskId);
    this.#running--;
    this.#pump();
    this.#idleIfNothingLeft();
    if (this.#running === 0) {
      const waiters = this.#onDrained;
      this.#onDrained = [];
      for (const w of waiters) w();
    }
  }

  #idleIfNothingLeft(): void {
    if (!this.#stopping && this.#running === 0 && this.#waiting.length === 0) this.#options.events.idle();
  }
}
