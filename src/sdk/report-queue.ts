import pRetry, { AbortError } from 'p-retry';
import type { ResolvedRetry } from './config.js';
import { NotFoundHttpError, PermanentHttpError, TransientHttpError, networkError } from './http-outcome.js';
import type { Logger } from './types.js';

export interface ReportQueueOptions<T> {
  /** Names the receiver in logs, e.g. `Ops-Core`. */
  target: string;
  /** Sends one report within `timeoutMs`; throws the errors of `http-outcome.ts`. `signal` aborts it (queue closed). */
  send(payload: T, signal: AbortSignal, timeoutMs: number): Promise<void>;
  retry: ResolvedRetry;
  logger: Logger;
}

interface Entry<T> {
  payload: T;
  /** Short description for logs. */
  label: string;
  /** A pending entry with the same key is replaced instead of queued again (progress reports). */
  coalesceKey: string | undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The wait a receiver asked for (Retry-After), ms, when it asked. */
function serverDelay(error: Error): number | undefined {
  return error instanceof TransientHttpError ? error.retryAfterMs : undefined;
}

/**
 * The backoff before the retry after `retriesConsumed` retries, as p-retry computes it with this
 * queue's options (factor 2, randomized over [1, 2)): what a Retry-After is compared with.
 */
export function backoffMs(retry: Pick<ResolvedRetry, 'minDelayMs' | 'maxDelayMs'>, retriesConsumed: number, random = Math.random): number {
  return Math.min(retry.maxDelayMs, Math.round((random() + 1) * retry.minDelayMs * 2 ** retriesConsumed));
}

/**
 * Sends reports one at a time, in the order they were pushed, each retried (p-retry) until it
 * is accepted, refused for good, or its retry budget runs out. A report that is given up is
 * logged as an error and the next one goes on.
 */
export class ReportQueue<T> {
  readonly #options: ReportQueueOptions<T>;
  readonly #closed = new AbortController();
  #pending: Entry<T>[] = [];
  /** Pending entries by `coalesceKey`, so `supersedes` finds its entry without a scan. */
  readonly #byKey = new Map<string, Entry<T>>();
  #inFlight: Entry<T> | undefined;
  #draining = false;
  #waiters: Array<() => void> = [];
  /** Reports accepted by the receiver. */
  sent = 0;
  /** Reports given up (refused, out of retry budget, or pending at close). */
  dropped = 0;

  constructor(options: ReportQueueOptions<T>) {
    this.#options = options;
  }

  /** Reports not yet accepted, the one being sent included. */
  get size(): number {
    return this.#pending.length + (this.#inFlight ? 1 : 0);
  }

  /**
   * Queues a report. `coalesceKey`: replaces the last pending report when it has the same key
   * (progress reports). `supersedes`: replaces, in its place in the queue, a pending (not yet
   * sent) report that was pushed with that `coalesceKey`, because this one makes it stale (a
   * task's outcome makes its unsent progress report pointless).
   */
  push(payload: T, label: string, coalesceKey?: string, supersedes?: string): void {
    if (this.#closed.signal.aborted) {
      this.dropped++;
      this.#options.logger.error({ target: this.#options.target, report: label }, 'Report dropped: the agent is stopped');
      return;
    }
    const stale = supersedes === undefined ? undefined : this.#byKey.get(supersedes);
    const last = this.#pending.at(-1);
    if (stale) {
      this.#byKey.delete(supersedes!);
      stale.payload = payload;
      stale.label = label;
      stale.coalesceKey = coalesceKey;
      if (coalesceKey !== undefined) this.#byKey.set(coalesceKey, stale);
    } else if (coalesceKey !== undefined && last?.coalesceKey === coalesceKey) {
      last.payload = payload;
      last.label = label;
    } else {
      const entry = { payload, label, coalesceKey };
      this.#pending.push(entry);
      if (coalesceKey !== undefined) this.#byKey.set(coalesceKey, entry);
    }
    void this.#drain();
  }

  /** Resolves true when nothing is pending, false when `timeoutMs` passes first. */
  flush(timeoutMs: number): Promise<boolean> {
    if (this.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(done);
    });
  }

  /** Stops sending: the report in flight is abandoned and pending ones are dropped (logged). */
  close(): void {
    if (this.#closed.signal.aborted) return;
    const left = [...(this.#inFlight ? [this.#inFlight] : []), ...this.#pending];
    this.#pending = [];
    this.#byKey.clear();
    this.#closed.abort(new Error('report queue closed'));
    if (left.length > 0) {
      this.dropped += left.length;
      this.#options.logger.error(
        { target: this.#options.target, dropped: left.map((e) => e.label) },
        `${left.length} report(s) to ${this.#options.target} were never delivered: the agent stopped first`,
      );
    }
    this.#notifyIfEmpty(true);
  }

  #notifyIfEmpty(force = false): void {
    if (!force && this.size > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#pending.length > 0 && !this.#closed.signal.aborted) {
        const entry = this.#pending.shift()!;
        if (entry.coalesceKey !== undefined && this.#byKey.get(entry.coalesceKey) === entry) this.#byKey.delete(entry.coalesceKey);
        this.#inFlight = entry;
        try {
          await this.#deliver(entry);
          this.sent++;
        } catch (err) {
          if (!this.#closed.signal.aborted) this.#giveUp(entry, err);
        }
        this.#inFlight = undefined;
      }
    } finally {
      this.#draining = false;
      this.#notifyIfEmpty();
    }
  }

  #giveUp(entry: Entry<T>, err: unknown): void {
    this.dropped++;
    const { target, logger } = this.#options;
    const message = err instanceof Error ? err.message : String(err);
    const fields = { target, report: entry.label, payload: entry.payload, err: message };
    if (err instanceof PermanentHttpError) {
      // Loud on purpose: a refused report means the SDK and the receiver disagree on the contract.
      logger.error({ ...fields, status: err.status, body: err.body }, `${target} REFUSED a report; it will not be retried`);
    } else {
      logger.error(fields, `Gave up sending a report to ${target}`);
    }
  }

  #deliver(entry: Entry<T>): Promise<void> {
    const { retry, send, logger, target } = this.#options;
    const closed = this.#closed.signal;
    let firstNotFoundAt: number | undefined;
    return pRetry(
      async () => {
        try {
          await send(entry.payload, closed, retry.requestTimeoutMs);
        } catch (err) {
          if (closed.aborted) throw new AbortError('report queue closed');
          if (err instanceof PermanentHttpError) throw new AbortError(err);
          if (err instanceof NotFoundHttpError || err instanceof TransientHttpError) throw err;
          throw networkError(`${target} unreachable`, err);
        }
      },
      {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: retry.minDelayMs,
        maxTimeout: retry.maxDelayMs,
        randomize: true,
        maxRetryTime: retry.retryForMs,
        signal: closed,
        // An answer with Retry-After is waited for in onFailedAttempt (the longer of it and the
        // backoff), so p-retry must not add its own delay on top: such a retry is not consumed.
        shouldConsumeRetry: ({ error }) => serverDelay(error) === undefined,
        shouldRetry: ({ error }) => {
          if (error instanceof NotFoundHttpError) {
            firstNotFoundAt ??= Date.now();
            return Date.now() - firstNotFoundAt < retry.notFoundRetryForMs;
          }
          return error instanceof TransientHttpError;
        },
        onFailedAttempt: async ({ error, attemptNumber, retriesConsumed }) => {
          const fields = { target, report: entry.label, attempt: attemptNumber, err: error.message };
          if (error instanceof NotFoundHttpError) {
            logger.warn(fields, `${target} does not know the agent yet; retrying`);
          } else {
            logger.warn(fields, `Report to ${target} failed; retrying`);
          }
          const asked = serverDelay(error);
          if (asked !== undefined) await sleep(Math.max(Math.min(asked, retry.maxRetryAfterMs), backoffMs(retry, retriesConsumed)), closed);
        },
      },
    );
  }
}
