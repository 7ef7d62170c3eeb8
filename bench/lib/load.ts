import autocannon from 'autocannon';

/** One HTTP load run's figures. */
export interface LoadResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  max_ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  duration_s: number;
  connections: number;
}

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Cycled through, one per request (overrides method/path/body of `url`). */
  requests?: Array<{ method?: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> }>;
  connections: number;
  /** Seconds of load; ignored when `amount` is set. */
  durationS?: number;
  /** Total requests to send instead of a duration. */
  amount?: number;
}

/** Drives load with autocannon (in this process, never inside the server under test). */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.requests ? { requests: options.requests } : {}),
    connections: options.connections,
    pipelining: 1,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.durationS ?? 10 }),
    timeout: 30,
  });
  const ok = result['2xx'];
  return {
    rps: Math.round(ok / result.duration),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    mean_ms: Math.round(result.latency.mean * 100) / 100,
    max_ms: result.latency.max,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    duration_s: Math.round(result.duration * 10) / 10,
    connections: options.connections,
  };
}

/** Warm-up then measurement with the same load shape; returns the measurement. */
export async function warmAndLoad(options: LoadOptions, warmupS: number): Promise<LoadResult> {
  if (warmupS > 0) await load({ ...options, durationS: warmupS, amount: undefined });
  return load(options);
}
