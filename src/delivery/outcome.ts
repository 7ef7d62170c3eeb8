import type { AttemptOutcome, DeliveryRecord } from '../domain/delivery.js';
import { taskErrors, type TaskError } from '../domain/task.js';
import { classifyStatus } from '../net/http-outcome.js';
import { nextAttemptAt } from './retry-policy.js';

/** What one attempt got: an HTTP answer, or none (network error, timeout). */
export interface AttemptResult {
  /** The answer's status; null when there was none. */
  statusCode: number | null;
  /** For the delivery log: `HTTP 503: ...` or the network error; null on success. */
  error: string | null;
  /** The answer's Retry-After, ms. */
  retryAfterMs: number | null;
  /** AgentKit refused to connect: the address is internal (`error` says which and why). */
  egressRefused?: boolean;
}

/** A delivery that ends for good; a task delivery's task fails with `taskError` (if its agent has not taken it). */
export function failedFor(d: Pick<DeliveryRecord, 'kind'>, taskError: TaskError): AttemptOutcome {
  return d.kind === 'task.delivery' ? { outcome: 'failed', taskError } : { outcome: 'failed' };
}

/**
 * How an attempt ends the delivery: failed for good when AgentKit refused the address; succeeded on 2xx; retried on what may heal (408, 425, 429,
 * 5xx, network errors, and a 404 from Ops-Core to a state report, which it answers until it has
 * processed the agent's REGISTER) while the schedule and the task's deadline allow; failed for good
 * otherwise, with the error its task fails with.
 */
export function attemptOutcome(d: DeliveryRecord, result: AttemptResult, schedule: readonly number[], now: number): AttemptOutcome {
  // The address will not become public by trying again.
  if (result.egressRefused) return failedFor(d, taskErrors.egressRefused(d.agentId, result.error ?? 'internal address'));
  const answer = result.statusCode === null ? 'retry' : classifyStatus(result.statusCode);
  if (answer === 'success') return { outcome: 'succeeded' };
  const lastError = result.error ?? 'no answer';
  if (answer === 'refused' || (answer === 'not-found' && d.kind !== 'opscore.state')) return failedFor(d, taskErrors.refused(d.agentId, lastError));
  const next = nextAttemptAt({ schedule, attemptsMade: d.attempts - d.retryBase + 1, retryAfterMs: result.retryAfterMs, now, expiresAt: d.expiresAt });
  if (next !== null) return { outcome: 'retry', nextAttemptAt: next };
  const timedOut = d.expiresAt !== null && now + 1 >= d.expiresAt;
  return failedFor(d, timedOut ? taskErrors.notDeliveredInTime(d.agentId, lastError) : taskErrors.undeliverable(d.agentId, lastError));
}
