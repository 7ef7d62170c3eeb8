/** A failure worth retrying: network error, timeout, 5xx, 408 or 429. */
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

/** Reads `Retry-After` (seconds or an HTTP date) as ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
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
 * Turns one HTTP exchange into success (returns) or the matching error (throws): 2xx is
 * success; 5xx, 408 and 429 are transient; 404 is not-found; any other status is permanent.
 */
export function classifyStatus(what: string, status: number, retryAfter: string | null, body: unknown): void {
  if (status >= 200 && status < 300) return;
  const text = `${what}: HTTP ${status}${describeBody(body) ? ` (${describeBody(body)})` : ''}`;
  if (status >= 500 || status === 429 || status === 408) {
    throw new TransientHttpError(text, status, retryAfterMs(retryAfter));
  }
  if (status === 404) throw new NotFoundHttpError(text);
  throw new PermanentHttpError(text, status, body);
}

/** {@link classifyStatus} of a fetch `Response`. */
export function classifyResponse(what: string, response: Response, body: unknown): void {
  classifyStatus(what, response.status, response.headers.get('retry-after'), body);
}

/** Wraps an error thrown by fetch itself (connection refused, reset, attempt timeout). */
export function networkError(what: string, err: unknown): TransientHttpError {
  const cause = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
  return new TransientHttpError(`${what}: ${cause}`, undefined, undefined);
}
