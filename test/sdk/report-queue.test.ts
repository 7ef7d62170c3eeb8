import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientHttpError } from '../../src/sdk/http-outcome.js';
import { backoffMs, ReportQueue } from '../../src/sdk/report-queue.js';
import { createReportTransport } from '../../src/sdk/report-transport.js';
import { captureLogger } from './support/harness.js';

const retry = { minDelayMs: 1, maxDelayMs: 5, retryForMs: 2_000, notFoundRetryForMs: 0, maxRetryAfterMs: 10, requestTimeoutMs: 200 };

/** A queue whose sends wait until `release()`; records what was sent, in order. */
function gatedQueue() {
  const sent: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const queue = new ReportQueue<string>({
    target: 'test',
    retry,
    logger: captureLogger(),
    async send(payload) {
      await gate;
      sent.push(payload);
    },
  });
  return { queue, sent, release: () => open() };
}

describe('ReportQueue', () => {
  it('when an outcome is pushed while its progress report waits, then the outcome takes its place and the progress is never sent', async () => {
    const { queue, sent, release } = gatedQueue();
    queue.push('first', 'first');
    queue.push('A running', 'A running', 'progress:A');
    queue.push('B running', 'B running', 'progress:B');
    queue.push('A finished', 'A finished', undefined, 'progress:A');
    release();
    expect(await queue.flush(2_000)).toBe(true);
    expect(sent).toEqual(['first', 'A finished', 'B running']);
  });

  it('when the progress report is already in flight, then the outcome is queued after it', async () => {
    const { queue, sent, release } = gatedQueue();
    queue.push('A running', 'A running', 'progress:A');
    await new Promise((r) => setImmediate(r)); // the queue took it: in flight
    queue.push('A finished', 'A finished', undefined, 'progress:A');
    release();
    expect(await queue.flush(2_000)).toBe(true);
    expect(sent).toEqual(['A running', 'A finished']);
  });

  it('when progress reports of one task follow each other, then only the latest pending one is sent', async () => {
    const { queue, sent, release } = gatedQueue();
    queue.push('first', 'first');
    queue.push('A 10%', 'A 10%', 'progress:A');
    queue.push('A 50%', 'A 50%', 'progress:A');
    release();
    expect(await queue.flush(2_000)).toBe(true);
    expect(sent).toEqual(['first', 'A 50%']);
  });
});

describe('ReportQueue and Retry-After', () => {
  /** A queue whose first send fails as a 429 with Retry-After `retryAfterMs`; records when each send began. */
  function throttledOnce(retryAfterMs: number, backoff: number) {
    const at: number[] = [];
    const queue = new ReportQueue<string>({
      target: 'test',
      // maxDelayMs = minDelayMs: the backoff before the first retry is exactly `backoff`.
      retry: { ...retry, minDelayMs: backoff, maxDelayMs: backoff, maxRetryAfterMs: 60_000, retryForMs: 60_000 },
      logger: captureLogger(),
      async send() {
        at.push(performance.now());
        if (at.length === 1) throw new TransientHttpError('HTTP 429', 429, retryAfterMs);
      },
    });
    return { queue, at };
  }

  it('when Retry-After asks for longer than the backoff, then the retry waits Retry-After, not the two added up', async () => {
    const { queue, at } = throttledOnce(1500, 1000);
    queue.push('r', 'r');
    expect(await queue.flush(10_000)).toBe(true);
    const waited = at[1]! - at[0]!;
    expect(waited).toBeGreaterThanOrEqual(1450);
    expect(waited).toBeLessThan(2200); // Retry-After plus backoff would be 2500
  });

  it('when Retry-After asks for less than the backoff, then the retry waits the backoff', async () => {
    const { queue, at } = throttledOnce(800, 1000);
    queue.push('r', 'r');
    expect(await queue.flush(10_000)).toBe(true);
    const waited = at[1]! - at[0]!;
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(1500); // Retry-After plus backoff would be 1800
  });

  it('when computed, then the backoff doubles per retry, is randomized over [1, 2) and capped', () => {
    const r = { minDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffMs(r, 0, () => 0)).toBe(100);
    expect(backoffMs(r, 2, () => 0.5)).toBe(600);
    expect(backoffMs(r, 5, () => 0)).toBe(1000);
  });
});

describe('createReportTransport (undici pool)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('when posting, then the path prefix, Bearer key and JSON body arrive, and status, Retry-After and body come back', async () => {
    const seen: Array<{ url?: string; auth?: string; body: string }> = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ url: req.url, auth: req.headers.authorization, body });
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
        res.end('{"detail":"slow down"}');
      });
    });
    const transport = createReportTransport({ baseUrl: `${url}/prefix/`, apiKey: 'k1' });
    const answer = await transport.post('/v1/x', { a: 1 }, new AbortController().signal, 1_000);
    await transport.close();
    expect(seen).toEqual([{ url: '/prefix/v1/x', auth: 'Bearer k1', body: '{"a":1}' }]);
    expect(answer).toEqual({ status: 429, retryAfter: '3', body: { detail: 'slow down' } });
  });

  it('when the receiver never answers, then the post fails after its timeout and the queue retries it as transient', async () => {
    let calls = 0;
    const url = await serve(() => {
      calls++; // never answers
    });
    const transport = createReportTransport({ baseUrl: url, apiKey: 'k' });
    const started = Date.now();
    await expect(transport.post('/v1/x', {}, new AbortController().signal, 150)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);

    const logger = captureLogger();
    const queue = new ReportQueue<string>({
      target: 'hanging',
      retry: { ...retry, retryForMs: 1_500 },
      logger,
      async send(payload, signal, timeoutMs) {
        try {
          await transport.post('/v1/x', payload, signal, timeoutMs);
        } catch (err) {
          throw new TransientHttpError(String(err), undefined, undefined);
        }
      },
    });
    queue.push('r', 'r');
    expect(await queue.flush(10_000)).toBe(true);
    expect(queue.dropped).toBe(1);
    // undici checks its timeouts about once a second, so each attempt takes about that long.
    expect(calls).toBeGreaterThanOrEqual(3);
    await transport.close();
  });
});
