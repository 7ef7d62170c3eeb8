import { setTimeout as delay } from 'node:timers/promises';
import { hasEnded } from '../domain/task.js';
import type { Task } from './commands/tasks.js';

/** Options of {@link waitForTask}. */
export interface WaitOptions {
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** First pause between two reads, in milliseconds; default 200. It grows to `maxIntervalMs`. */
  intervalMs?: number;
  /** Longest pause between two reads, in milliseconds; default 2000. */
  maxIntervalMs?: number;
  /** Called with every task read (for a progress indicator). */
  onUpdate?: (task: Task) => void;
  /** Stops waiting (Ctrl-C); the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** True for a task that has ended (finished, failed or canceled). */
export const isTerminal = (task: Task): boolean => hasEnded(task);

/**
 * Reads the task again and again until it has ended, or `timeoutMs` runs out.
 * Returns the last task read and whether the wait timed out.
 */
export async function waitForTask(
  readTask: () => Promise<Task>,
  initial: Task,
  options: WaitOptions,
): Promise<{ task: Task; timedOut: boolean }> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = options.intervalMs ?? 200;
  const maxInterval = options.maxIntervalMs ?? 2000;
  let task = initial;
  options.onUpdate?.(task);
  while (!isTerminal(task)) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { task, timedOut: true };
    await delay(Math.min(interval, remaining), undefined, { signal: options.signal });
    interval = Math.min(maxInterval, Math.round(interval * 1.5));
    task = await readTask();
    options.onUpdate?.(task);
  }
  return { task, timedOut: false };
}
