/** Which Ops-Core requests a fault applies to. */
export type FaultTarget = 'all' | 'state' | 'notify';

/** A failure to answer with on purpose, for fault tests. */
export interface FaultSpec {
  /** HTTP status to answer. Default 503. */
  status?: number;
  /** Which requests: every Ops-Core API path (`all`), state reads and updates (`state`), or `notify`. Default `all`. */
  match?: FaultTarget;
  /** Answer this many requests, then stop failing. Default: no limit. */
  count?: number;
  /** Fail for this many ms, then stop. Default: no limit. */
  forMs?: number;
  /** Send `Retry-After` with this many seconds. Default: none. */
  retryAfterSeconds?: number;
  /** Body to answer with. Default `{"detail": "<reason>"}`. */
  body?: unknown;
}

interface ActiveFault {
  status: number;
  match: FaultTarget;
  remaining: number;
  until: number;
  retryAfterSeconds: number | undefined;
  body: unknown;
}

/** The answer a faulty request gets. */
export interface FaultAnswer {
  status: number;
  body: unknown;
  retryAfterSeconds: number | undefined;
}

/** One injected fault at a time; `inject` replaces the previous one. */
export class Faults {
  #active: ActiveFault | undefined;

  inject(spec: FaultSpec = {}): void {
    const status = spec.status ?? 503;
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError('status must be an HTTP status code');
    this.#active = {
      status,
      match: spec.match ?? 'all',
      remaining: spec.count ?? Number.POSITIVE_INFINITY,
      until: spec.forMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + spec.forMs,
      retryAfterSeconds: spec.retryAfterSeconds,
      body: spec.body ?? { detail: `Injected fault (reference Ops-Core): HTTP ${status}` },
    };
  }

  clear(): void {
    this.#active = undefined;
  }

  /** What the fault looks like now, for the view; undefined when none is active. */
  describe(): Omit<FaultSpec, 'forMs' | 'count'> & { remaining: number | null; until: string | null } | undefined {
    const f = this.#active;
    if (!f || !this.#live(f)) return undefined;
    return {
      status: f.status,
      match: f.match,
      remaining: Number.isFinite(f.remaining) ? f.remaining : null,
      until: Number.isFinite(f.until) ? new Date(f.until).toISOString() : null,
      retryAfterSeconds: f.retryAfterSeconds,
      body: f.body,
    };
  }

  /** The answer for a request to `target`, consuming one use of the fault; undefined to answer normally. */
  take(target: Exclude<FaultTarget, 'all'> | 'other'): FaultAnswer | undefined {
    const f = this.#active;
    if (!f) return undefined;
    if (!this.#live(f)) {
      this.#active = undefined;
      return undefined;
    }
    if (f.match !== 'all' && f.match !== target) return undefined;
    f.remaining--;
    return { status: f.status, body: f.body, retryAfterSeconds: f.retryAfterSeconds };
  }

  #live(f: ActiveFault): boolean {
    return f.remaining > 0 && Date.now() < f.until;
  }
}
