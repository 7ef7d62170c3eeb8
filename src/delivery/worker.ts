import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AgentHostPolicy } from '../domain/agent-hosts.js';
import { goesToAgent, type AttemptOutcome, type DeliveryAttempt, type DeliveryRecord, type EndReport } from '../domain/delivery.js';
import { taskErrors } from '../domain/task.js';
import { retryAfterMs } from '../net/http-outcome.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/types.js';
import { HttpSender, describeNetworkError, egressRefusal, type Resolver } from './http-sender.js';
import { attemptOutcome, failedFor, type AttemptResult } from './outcome.js';
import type { RequestBuilder } from './requests.js';

const MIN_SLEEP_MS = 20;
/** How long the worker trusts that a short claim took everything due outside the busy targets, ms. */
const EXHAUSTED_TTL_MS = 250;

/**
 * What a delivery's target is for the per-target limit: its URL up to the first `/` after the
 * host and port (scheme, host and port, with a `/` at the end). Always a prefix of `url + '/'`,
 * which is how the store matches it.
 */
export function targetOf(url: string): string {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash === -1 ? `${url}/` : url.slice(0, slash + 1);
}

export interface DeliveryWorkerOptions {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** Builds and signs each delivery's request. */
  requests: RequestBuilder;
  /** What a task that fails because its delivery did reports to Ops-Core. */
  endReport: EndReport;
  webhookRetrySchedule: readonly number[];
  taskRetrySchedule: readonly number[];
  /** Per-attempt timeout, ms. */
  timeoutMs: number;
  /** Attempts in flight at once. */
  concurrency: number;
  /**
   * Attempts in flight at once to one target (scheme, host and port), so that receivers that
   * hang cannot hold every slot. Default `concurrency` / 8 (rounded up).
   */
  perTargetConcurrency?: number;
  /** Longest sleep between looks at the outbox when nothing wakes the worker, ms. Default 1000. */
  pollIntervalMs?: number;
  /**
   * How long a claimed delivery stays this worker's, ms; another process takes it over
   * after that. Must exceed `timeoutMs`. Default `timeoutMs` + 30000.
   */
  leaseMs?: number;
  /** Which addresses an agent's URL may lead to. */
  agentHosts: AgentHostPolicy;
  /** Resolves agents' host names (a test passes its own); default node:dns. */
  resolver?: Resolver;
}

/**
 * Works the outbox: claims due deliveries (with a lease), sends them, and records each
 * attempt and its outcome. Woken at once when something is queued in this process, and
 * otherwise by its own timer, so work left by a killed process resumes after restart.
 */
export class DeliveryWorker {
  readonly id = `worker-${randomUUID()}`;
  readonly #o: DeliveryWorkerOptions;
  readonly #sender: HttpSender;
  readonly #inflight = new Set<Promise<void>>();
  /** Attempts in flight per target (see {@link targetOf}). */
  readonly #perTarget = new Map<string, number>();
  readonly #targetCap: number;
  #running = false;
  #loop: Promise<void> | null = null;
  #wakeRequested = false;
  #wake: (() => void) | null = null;
  #lastLoopAt = 0;
  /**
   * Set when a claim came back short: then everything due, except for the busy targets it
   * skipped, was taken. Until something new is queued (see {@link wake}), an ordered
   * delivery ends, or EXHAUSTED_TTL_MS pass (retries falling due, other replicas' rows), a claim
   * skipping the same targets or more would walk the busy targets' backlog to find nothing, at a
   * cost that grows with that backlog; the loop leaves it out.
   */
  #exhausted: { busy: ReadonlySet<string>; until: number } | null = null;

  constructor(options: DeliveryWorkerOptions) {
    this.#o = options;
    this.#sender = new HttpSender(options.agentHosts, options.resolver);
    this.#targetCap = Math.max(1, options.perTargetConcurrency ?? Math.ceil(options.concurrency / 8));
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /**
   * Something was queued: look at the outbox now. Given the delivery's target URL, the look is
   * skipped when it could not be sent anyway (every slot, or that target's share, is in flight):
   * the attempt that frees a slot wakes the loop, and a look that finds nothing to send costs
   * more the longer the backlog of a busy target.
   */
  wake(targetUrl?: string): void {
    const target = targetUrl === undefined ? undefined : targetOf(targetUrl);
    // New work outside the targets the last short claim skipped: that claim no longer says all.
    if (target === undefined || !this.#exhausted?.busy.has(target)) this.#exhausted = null;
    if (target !== undefined && (this.#inflight.size >= this.#o.concurrency || this.#isBusy(target))) return;
    this.#nudge();
  }

  /** Ends the loop's sleep (or makes it go round again). */
  #nudge(): void {
    this.#wakeRequested = true;
    this.#wake?.();
  }

  /** True while the loop runs and has looked at the outbox recently. */
  isAlive(): boolean {
    const poll = this.#o.pollIntervalMs ?? 1000;
    return this.#running && Date.now() - this.#lastLoopAt < poll * 5 + this.#o.timeoutMs;
  }

  /** Stops claiming work, waits up to `deadlineMs` for attempts in flight, releases leases. */
  async stop(deadlineMs: number): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.wake();
    await this.#loop;
    const drained = Promise.allSettled([...this.#inflight]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), deadlineMs)));
    const result = await Promise.race([drained.then(() => 'drained' as const), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') this.#o.logger.warn({ inflight: this.#inflight.size }, 'shutdown deadline passed with deliveries in flight; they will be retried after restart');
    await this.#o.store.releaseLeases(this.id).catch(() => undefined);
    await this.#sender.close().catch(() => undefined);
  }

  async #run(): Promise<void> {
    const poll = this.#o.pollIntervalMs ?? 1000;
    const leaseMs = this.#o.leaseMs ?? this.#o.timeoutMs + 30_000;
    while (this.#running) {
      this.#lastLoopAt = Date.now();
      this.#wakeRequested = false;
      let claimedFull = false;
      let targetsBusy = false;
      try {
        const free = this.#o.concurrency - this.#inflight.size;
        if (free > 0) {
          const now = Date.now();
          // At most a target's share per batch, and nothing for targets that have their share in
          // flight: deliveries to receivers that hang cannot take every slot.
          const limit = Math.min(free, this.#targetCap);
          const busy = [...this.#perTarget.keys()].filter((target) => this.#isBusy(target));
          const ex = this.#exhausted;
          const nothingNew = ex !== null && now < ex.until && [...ex.busy].every((t) => this.#isBusy(t));
          const batch = nothingNew ? [] : await this.#o.store.claimDeliveries(now, limit, this.id, now + leaseMs, busy);
          // A short claim took everything due outside `busy`. A full one leaves an earlier such
          // finding true: whatever was queued since for other targets cleared it (see wake).
          if (!nothingNew && batch.length < limit) this.#exhausted = { busy: new Set(busy), until: now + EXHAUSTED_TTL_MS };
          for (const d of batch) this.#track(this.#sendTo(targetOf(d.targetUrl), d), d);
          claimedFull = batch.length === limit;
          targetsBusy = busy.length > 0;
        }
      } catch (err) {
        this.#o.logger.error({ err }, 'could not read the outbox; trying again');
      }
      if (!this.#running) break;
      if (this.#wakeRequested || (claimedFull && this.#inflight.size < this.#o.concurrency)) {
        // Yield to I/O between rounds: the store may answer without ever leaving the microtask queue.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      let sleepMs = poll;
      // What is due now but was left waits for a busy target; its deliveries in flight wake the
      // loop when they end, so don't look again sooner (the look costs more the longer its queue).
      if (this.#inflight.size < this.#o.concurrency && !targetsBusy) {
        const due = await this.#o.store.nextDueAt(Date.now()).catch(() => null);
        // Something due that could not be claimed waits behind an ordered delivery in flight;
        // that one wakes the loop when it ends. The floor keeps the loop from spinning.
        if (due !== null) sleepMs = Math.max(MIN_SLEEP_MS, Math.min(poll, due - Date.now()));
      }
      await this.#sleep(sleepMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
      if (this.#wakeRequested) this.#wake();
    });
  }

  /** Processes a delivery, counted against its target's share while in flight. */
  async #sendTo(target: string, d: DeliveryRecord): Promise<void> {
    this.#perTarget.set(target, (this.#perTarget.get(target) ?? 0) + 1);
    try {
      await this.#process(d);
    } finally {
      const left = (this.#perTarget.get(target) ?? 1) - 1;
      if (left > 0) this.#perTarget.set(target, left);
      else this.#perTarget.delete(target);
    }
  }

  #isBusy(target: string): boolean {
    return (this.#perTarget.get(target) ?? 0) >= this.#targetCap;
  }

  #track(p: Promise<void>, d: DeliveryRecord): void {
    this.#inflight.add(p);
    void p.finally(() => {
      this.#inflight.delete(p);
      // The next delivery of its order key may now be sendable; if its target was not among the
      // skipped ones, a claim may find it (to a skipped target it frees that target anyway).
      if (d.orderKey !== null && this.#exhausted && !this.#exhausted.busy.has(targetOf(d.targetUrl))) this.#exhausted = null;
      this.#nudge();
    });
  }

  async #process(d: DeliveryRecord): Promise<void> {
    const startedAt = Date.now();
    const at = new Date(startedAt).toISOString();
    const attemptNo = d.attempts + 1;
    try {
      if (d.expiresAt !== null && startedAt >= d.expiresAt) {
        const attempt = { attempt: attemptNo, at, statusCode: null, latencyMs: 0, error: 'Task deadline passed before delivery' };
        return await this.#finish(d, attempt, failedFor(d, taskErrors.notDeliveredInTime(d.agentId)));
      }
      const request = await this.#o.requests.build(d, attemptNo);
      if ('unsendable' in request) {
        const attempt = { attempt: attemptNo, at, statusCode: null, latencyMs: 0, error: request.unsendable };
        return await this.#finish(d, attempt, failedFor(d, taskErrors.undeliverable(d.agentId, request.unsendable)));
      }
      let result: AttemptResult;
      try {
        const res = await this.#sender.post(request.url, request.headers, request.body, this.#o.timeoutMs, goesToAgent(d.kind));
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        const error = ok ? null : `HTTP ${res.statusCode}${res.bodySnippet ? `: ${res.bodySnippet.slice(0, 300)}` : ''}`;
        result = { statusCode: res.statusCode, error, retryAfterMs: retryAfterMs(res.headers['retry-after'], Date.now()) };
      } catch (err) {
        result = { statusCode: null, error: describeNetworkError(err, this.#o.timeoutMs), retryAfterMs: null, egressRefused: egressRefusal(err) !== null };
      }
      const attempt = { attempt: attemptNo, at, statusCode: result.statusCode, latencyMs: Date.now() - startedAt, error: result.error };
      const schedule = d.kind === 'task.delivery' ? this.#o.taskRetrySchedule : this.#o.webhookRetrySchedule;
      await this.#finish(d, attempt, attemptOutcome(d, result, schedule, Date.now()));
    } catch (err) {
      // The store failed: the lease lapses and the delivery is attempted again later.
      this.#o.logger.error({ err, deliveryId: d.deliveryId }, 'could not record a delivery attempt');
    }
  }

  async #finish(d: DeliveryRecord, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    await this.#o.store.recordAttempt(d.deliveryId, this.id, attempt, outcome, this.#o.endReport);
    const m = this.#o.metrics;
    m.deliveryAttempts.inc({ kind: d.kind, outcome: outcome.outcome });
    if (attempt.statusCode !== null || attempt.latencyMs > 0) m.deliveryLatency.observe({ kind: d.kind }, attempt.latencyMs / 1000);
    const log = { deliveryId: d.deliveryId, webhookId: d.webhookId, kind: d.kind, agentId: d.agentId, taskId: d.taskId ?? undefined, attempt: attempt.attempt, statusCode: attempt.statusCode, latencyMs: attempt.latencyMs };
    if (outcome.outcome === 'failed') {
      m.deliveryFailures.inc({ kind: d.kind });
      this.#o.logger.warn({ ...log, error: attempt.error }, 'delivery failed for good');
      // A task that failed queued its error report to Ops-Core.
      if (outcome.taskError) this.wake();
    } else if (outcome.outcome === 'retry') {
      this.#o.logger.info({ ...log, error: attempt.error, nextAttemptAt: new Date(outcome.nextAttemptAt).toISOString() }, 'delivery attempt failed; will retry');
    } else {
      this.#o.logger.debug(log, 'delivered');
    }
  }
}
