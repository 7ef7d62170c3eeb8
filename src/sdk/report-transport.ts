import { Pool } from 'undici';

/** What a report's receiver answered: enough for `checkAnswer`. */
export interface PostedReport {
  status: number;
  /** The `Retry-After` header, when there is one. */
  retryAfter: string | null;
  /** The parsed JSON body, its text when it is not JSON, or undefined when empty. */
  body: unknown;
}

/**
 * POSTs one JSON report to a path under the receiver's base URL. Throws on network errors and
 * when `timeoutMs` passes; `signal` aborts (the queue closed).
 */
export interface ReportTransport {
  post(path: string, body: unknown, signal: AbortSignal, timeoutMs: number): Promise<PostedReport>;
  close(): Promise<void>;
}

export interface TransportOptions {
  /** The receiver's base URL; a path prefix (`http://host/opscore`) is kept. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` (a function: read at each request). */
  apiKey: string | (() => string);
  /** An injected fetch (tests record or fake requests with one): used instead of the pool. */
  fetch?: typeof globalThis.fetch | undefined;
}

function parse(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The transport of the SDK's state and task reports. By default undici's `Pool`: keep-alive
 * connections to the receiver and `request()`, which costs far less CPU than `fetch` per call; a
 * task makes up to five reports, so under load this is the SDK's largest cost (bench/README.md
 * has the figures). The request and response types still come from the generated specs: the
 * reporters build their bodies as `AgentStateUpdate` and `TaskReport`.
 */
export function createReportTransport(options: TransportOptions): ReportTransport {
  const base = new URL(options.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const key = options.apiKey;
  const headersOf = (): Record<string, string> => ({ 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${typeof key === 'function' ? key() : key}` });

  if (options.fetch) {
    const fetchImpl = options.fetch;
    return {
      async post(path, body, signal, timeoutMs) {
        const res = await fetchImpl(`${base.origin}${prefix}${path}`, {
          method: 'POST',
          headers: headersOf(),
          body: JSON.stringify(body),
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: parse(await res.text()) };
      },
      async close() {},
    };
  }

  // One report is in flight per queue, so two connections per receiver are plenty.
  const pool = new Pool(base.origin, { connections: 2, keepAliveTimeout: 30_000 });
  return {
    async post(path, body, signal, timeoutMs) {
      const res = await pool.request({
        method: 'POST',
        path: `${prefix}${path}`,
        headers: headersOf(),
        body: JSON.stringify(body),
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const retryAfter = res.headers['retry-after'];
      return { status: res.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, body: parse(await res.body.text()) };
    },
    close: () => pool.close(),
  };
}
