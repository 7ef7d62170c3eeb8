import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';

/** A header value: text (sent as UTF-8) or exact bytes. */
export type HeaderValue = string | Buffer;

/** One request as the fuzzer means to send it, byte for byte where it matters. */
export interface WireRequest {
  method: string;
  /** The request target exactly as sent (already percent-encoded, or deliberately not). */
  path: string;
  headers: Array<[string, HeaderValue]>;
  /** The body bytes; with `chunked` they are sent with Transfer-Encoding: chunked, without Content-Length. */
  body?: Buffer | undefined;
  chunked?: boolean | undefined;
  /** Send over a plain socket, bypassing node:http's checks (control characters, raw non-ASCII bytes). */
  raw?: boolean | undefined;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** How it was sent: through node:http, or a hand-written request on a raw socket. */
  via: 'http' | 'raw';
}

const TIMEOUT_MS = 15_000;

/** Characters node:http refuses in a path or header value; such requests go over a raw socket. */
const UNSENDABLE_PATH = /[^\u0021-\u00ff]/;
const UNSENDABLE_HEADER = /[^\t\u0020-\u007e\u0080-\u00ff]/;

function needsRaw(req: WireRequest): boolean {
  if (req.raw || UNSENDABLE_PATH.test(req.path)) return true;
  return req.headers.some(([, v]) => Buffer.isBuffer(v) || UNSENDABLE_HEADER.test(v));
}

/** Sends requests to one server: keep-alive node:http for ordinary ones, raw sockets for the rest. */
export class WireClient {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;

  constructor(baseUrl: string, maxSockets = 8) {
    const url = new URL(baseUrl);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(req: WireRequest): Promise<WireResponse> {
    return needsRaw(req) ? this.#sendRaw(req) : this.#sendHttp(req);
  }

  close(): void {
    this.#agent.destroy();
  }

  #sendHttp(req: WireRequest): Promise<WireResponse> {
    return new Promise((resolve, reject) => {
      // A raw header list gets no automatic Host header from node:http.
      const headers: Array<[string, string]> = [['host', `${this.#host}:${this.#port}`], ...req.headers.map(([k, v]): [string, string] => [k, String(v)])];
      if (req.body && !req.chunked && !headers.some(([k]) => k.toLowerCase() === 'content-length')) headers.push(['content-length', String(req.body.length)]);
      const r = httpRequest(
        {
          host: this.#host,
          port: this.#port,
          method: req.method,
          path: req.path,
          agent: this.#agent,
          headers: headers.flat(),
          timeout: TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
            resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks), via: 'http' });
          });
          res.on('error', reject);
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      r.on('error', (err: NodeJS.ErrnoException) => {
        // The server may answer (e.g. 413) and close before the whole body was written.
        reject(err);
      });
      if (req.body && req.chunked) {
        const size = Math.max(1, Math.ceil(req.body.length / 4));
        for (let i = 0; i < req.body.length; i += size) r.write(req.body.subarray(i, i + size));
        r.end();
      } else {
        r.end(req.body);
      }
    });
  }

  #sendRaw(req: WireRequest): Promise<WireResponse> {
    const lines: Buffer[] = [Buffer.from(`${req.method} `, 'latin1'), Buffer.from(req.path, 'utf8'), Buffer.from(` HTTP/1.1\r\nHost: ${this.#host}:${this.#port}\r\nConnection: close\r\n`, 'latin1')];
    for (const [k, v] of req.headers) lines.push(Buffer.from(`${k}: `, 'latin1'), Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'), Buffer.from('\r\n'));
    if (req.body) lines.push(Buffer.from(`Content-Length: ${req.body.length}\r\n`, 'latin1'));
    lines.push(Buffer.from('\r\n'));
    if (req.body) lines.push(req.body);
    const bytes = Buffer.concat(lines);
    return new Promise((resolve, reject) => {
      const socket = connect(this.#port, this.#host);
      const chunks: Buffer[] = [];
      socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      socket.on('connect', () => socket.end(bytes));
      socket.on('data', (c: Buffer) => chunks.push(c));
      // A reset after the answer arrived is the server closing early; the answer still counts.
      socket.on('error', (err) => (chunks.length ? undefined : reject(err)));
      socket.on('close', () => {
        if (!chunks.length) return reject(new Error('connection closed without an answer'));
        try {
          resolve(parseRawResponse(Buffer.concat(chunks)));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }
}

/** Parses one HTTP/1.1 response read until the server closed the connection. */
export function parseRawResponse(data: Buffer): WireResponse {
  const end = data.indexOf('\r\n\r\n');
  const head = (end < 0 ? data : data.subarray(0, end)).toString('latin1');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = end < 0 ? Buffer.alloc(0) : data.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(match[1]), headers, body, via: 'raw' };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}
