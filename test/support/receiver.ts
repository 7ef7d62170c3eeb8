import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  rawBody: string;
  json: unknown;
  at: number;
}

/** What to answer: a status (and headers/body), or 'hang' to never answer. */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/**
 * A real HTTP receiver on 127.0.0.1:0 that records every request (raw body and
 * lower-case headers) and answers as the test says: by default 200.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  #server: Server | null = null;
  #answer: (req: ReceivedRequest, index: number) => Answer = () => ({ status: 200, body: '{"status":"success","message":null}' });
  readonly #hanging = new Set<ServerResponse>();
  readonly #waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  url = '';

  /** Sets how the receiver answers from now on. */
  answer(fn: (req: ReceivedRequest, index: number) => Answer): this {
    this.#answer = fn;
    return this;
  }

  async start(port = 0): Promise<this> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
    this.#server = null;
  }

  /** Resolves once `predicate` holds (checked on every request), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; received ${this.requests.length} requests`)), timeoutMs);
      this.#waiters.push({
        predicate,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let json: unknown = undefined;
      try {
        json = JSON.parse(rawBody);
      } catch {
        json = undefined;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers, rawBody, json, at: Date.now() };
      const index = this.requests.length;
      this.requests.push(received);
      const answer = this.#answer(received, index);
      if (answer === 'hang') {
        this.#hanging.add(res);
      } else {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body ?? '');
      }
      for (const w of [...this.#waiters]) {
        if (w.predicate()) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
