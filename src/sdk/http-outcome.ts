import { classifyStatus, retryAfterMs } from '../net/http-outcome.js';

/** A failure worth retrying: network error, timeout, 408, 425, 429 or 5xx. */
export class TransientHttpError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    /** Delay asked for by `Retry-After`, in ms. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'TransientHttpError';
  }
}

/** A 404: retried for a bounded time only (the receiver may not know the agent yet). */
export class NotFoundHttpError extends Error {
  readonly status = 404;
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundHttpError';
  }
}

/** A refusal that repeating will not change (400, 401, 409, 422...). */
export class PermanentHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'PermanentHttpError';
  }
}

/** Short text of an error body for logs: FastAPI's `detail` or problem+json's `title: detail`. */
export function describeBody(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.title === 'string') return typeof b.detail === 'string' ? `${b.title}: ${b.detail}` : b.title;
    if (b.detail !== undefined) return typeof b.detail === 'string' ? b.detail : JSON.stringify(b.detail);
  }
  if (typeof body === 'string') return body.slice(0, 500);
  return body === undefined ? '' : JSON.stringify(body).slice(0, 500);
}

/**
 * Returns on 2xx, else throws the error that says what to do next, by the answer's class (see
 * src/net/http-outcome.ts, which the delivery worker reads answers with too): transient, not
 * found (the SDK bounds how long it retries a 404), or permanent.
 */
export function checkAnswer(what: string, status: number, retryAfter: string | null, body: unknown): void {
  const answer = classifyStatus(status);
  if (answer === 'success') return;
  const text = `${what}: HTTP ${status}${describeBody(body) ? ` (${describeBody(body)})` : ''}`;
  if (answer === 'retry') throw new TransientHttpError(text, status, retryAfterMs(retryAfter, Date.now()) ?? undefined);
  if (answer === 'not-found') throw new NotFoundHttpError(text);
  throw new PermanentHttpError(text, status, body);
}

/** {@link checkAnswer} of a fetch `Response`. */
export function checkResponse(what: string, response: Response, body: unknown): void {
  checkAnswer(what, response.status, response.headers.get('retry-after'), body);
}

/** Wraps an error thrown by fetch itself (connection refused, reset, attempt timeout). */
export function networkError(what: string, err: unknown): TransientHttpError {
  const cause = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
  return new TransientHttpError(`${what}: ${cause}`, undefined, undefined);
}
