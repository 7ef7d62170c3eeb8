/**
 * One timer per running task that fires `beat(taskId)` once the task has been quiet for the
 * interval: every report on the task (`touch`) starts the wait again, so a task that reports
 * progress often sends no extra heartbeats.
 */
export class Heartbeats {
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    /** Null: no heartbeats. */
    private readonly intervalMs: number | null,
    private readonly beat: (taskId: string) => void,
  ) {}

  /** The task was just reported on: its next heartbeat is an interval from now. */
  touch(taskId: string): void {
    if (this.intervalMs === null) return;
    const timer = this.#timers.get(taskId);
    if (timer) {
      timer.refresh();
      return;
    }
    const fresh = setTimeout(() => {
      this.beat(taskId);
      fresh.refresh();
    }, this.intervalMs);
    fresh.unref();
    this.#timers.set(taskId, fresh);
  }

  /** The task ended: no more heartbeats for it. */
  stop(taskId: string): void {
    clearTimeout(this.#timers.get(taskId));
    this.#timers.delete(taskId);
  }

  stopAll(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
