import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import type { AgentHostPolicy } from '../domain/agent-hosts.js';

/** Resolves a host name to all its addresses (node:dns `lookup`, or a test's resolver). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** AgentKit would not connect: the address an agent's URL leads to is internal (AgentHostPolicy). */
export class EgressRefusedError extends Error {
  readonly code = 'EGRESS_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'EgressRefusedError';
  }
}

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A connector that checks the address each new connection goes to, after resolving, so a name
 * that resolves elsewhere at delivery time than at registration is caught too. Keep-alive
 * connections are checked once, when they open.
 */
function guardedConnector(policy: AgentHostPolicy, resolver: Resolver): buildConnector.connector {
  const lookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    resolver(hostname).then(
      (addresses) => {
        const usable = addresses.filter((a) => !options.family || a.family === options.family);
        const refusal = usable.map((a) => policy.refusal(hostname, a.address)).find((r) => r !== null);
        if (refusal) return callback(new EgressRefusedError(refusal), []);
        if (usable.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
        if (options.all) return callback(null, usable);
        return callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: Error) => callback(err, []),
    );
  };
  const connect = buildConnector({ lookup } as unknown as buildConnector.BuildOptions);
  return (opts, callback) => {
    const host = opts.hostname.replace(/^\[|\]$/g, '');
    const refusal = isIP(host) ? policy.refusal(host, host) : null;
    if (refusal) return callback(new EgressRefusedError(refusal), null);
    return connect(opts, callback);
  };
}

export interface SendResult {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The first KiB of the answer, for the delivery log. */
  bodySnippet: string;
}

const POOL = { keepAliveTimeout: 10_000, connections: 128, pipelining: 1 } as const;

/**
 * Posts delivery bodies over keep-alive connections (undici), never following a redirect.
 * Requests to an address an agent gave (`toAgent`) go through a pool whose connections are
 * checked by the AgentHostPolicy; those to the operator's Ops-Core URLs are trusted as
 * configured. Throws on network errors, timeouts and refused addresses (EgressRefusedError);
 * any HTTP answer, whatever its status, is a result.
 */
export class HttpSender {
  readonly #trusted = new Agent(POOL);
  readonly #guarded: Agent;

  constructor(policy: AgentHostPolicy, resolver: Resolver = systemResolver) {
    this.#guarded = new Agent({ ...POOL, connect: guardedConnector(policy, resolver) });
  }

  async post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, toAgent: boolean): Promise<SendResult> {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'AgentKit', ...headers },
      body,
      dispatcher: toAgent ? this.#guarded : this.#trusted,
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
    await Promise.all([this.#trusted.close(), this.#guarded.close()]);
  }
}

/** A short, secret-free description of a network error for the delivery log. */
export function describeNetworkError(err: unknown, timeoutMs: number): string {
  const refused = egressRefusal(err);
  if (refused) return `Refused: ${refused}`;
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError' || /timeout/i.test(err.name)) return `Timed out after ${timeoutMs} ms`;
    const code = (err as { code?: string }).code ?? (err.cause as { code?: string } | undefined)?.code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** The refusal, when `err` (or its cause) is AgentKit refusing the address; null otherwise. */
export function egressRefusal(err: unknown): string | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof EgressRefusedError) return e.message;
  }
  return null;
}
