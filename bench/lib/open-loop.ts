import { Pool } from 'undici';
import { nowMs } from './stats.js';

export interface OpenLoopOptions {
  /** Base URL of the target. */
  origin: string;
  /** Requests per second to offer, whatever the answers' speed (open loop). */
  rate: number;
  durationS: number;
  connections: number;
  /** Builds request `i`: path, headers, body. */
  request(i: number): { path: string; headers: Record<string, string>; body: string };
  /** Called as each answer (or network error: status 0) arrives. */
  onAnswer?: (i: number, latencyMs: number, status: number) => void;
}

export interface OpenLoopResult {
  sent: number;
  ok: number;
  failed: number;
  /** Send time (epoch ms, sub-ms) of request i. */
  sentAt: Float64Array;
  /** When request i was answered (epoch ms, sub-ms); 0 when it was not. */
  answeredAt: Float64Array;
  /** Latency of each answered request, ms. */
  latencies: number[];
  /** When the first and last requests were sent. */
  firstAt: number;
  lastAt: number;
}

/**
 * Sends POSTs at a fixed rate (ticks every 5 ms catch up to rate x elapsed), so a slow
 * system under test makes latency grow instead of slowing the offered load.
 */
export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const pool = new Pool(options.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const total = Math.round(options.rate * options.durationS);
  const sentAt = new Float64Array(total);
  const answeredAt = new Float64Array(total);
  const latencies: number[] = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const inflight = new Set<Promise<void>>();
  const start = nowMs();
  const fire = (i: number) => {
    const r = options.request(i);
    const t0 = nowMs();
    sentAt[i] = t0;
    const p = pool
      .request({ method: 'POST', path: r.path, headers: r.headers, body: r.body })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) ok++;
        else failed++;
        answeredAt[i] = nowMs();
        latencies.push(answeredAt[i]! - t0);
        options.onAnswer?.(i, answeredAt[i]! - t0, res.statusCode);
      })
      .catch(() => {
        failed++;
        options.onAnswer?.(i, nowMs() - t0, 0);
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((nowMs() - start) / 1000) * options.rate));
      while (sent < due) fire(sent++);
      if (sent >= total) return resolve();
      setTimeout(tick, 5);
    };
    tick();
  });
  const lastAt = nowMs();
  await Promise.all([...inflight]);
  await pool.close();
  return { sent, ok, failed, sentAt, answeredAt, latencies, firstAt: start, lastAt };
}
