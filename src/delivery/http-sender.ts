import { Agent, request } from 'undici';

export interface SendResult {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The first KiB of the answer, for the delivery log. */
  bodySnippet: string;
}

/**
 * Posts delivery bodies over keep-alive connections (undici). Throws on network errors
 * and timeouts; any HTTP answer, whatever its status, is a result.
 */
export class HttpSender {
  readonly #agent = new Agent({ keepAliveTimeout: 10_000, connections: 128, pipelining: 1 });

  async post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult> {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'AgentKit', ...headers },
      body,
      dispatcher: this.#agent,
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    let bodySnippet = '';
    try {
      const text = await res.body.text();
      bodySnippet = text.slice(0, 1024);
    } catch {
      // The status is what counts; an unreadable body doesn't change it.
    }
    return { statusCode: res.statusCode, headers: res.headers, bodySnippet };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/** A short, secret-free description of a network error for the delivery log. */
export function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError' || /timeout/i.test(err.name)) return `Timed out after ${timeoutMs} ms`;
    const code = (err as { code?: string }).code ?? (err.cause as { code?: string } | undefined)?.code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
