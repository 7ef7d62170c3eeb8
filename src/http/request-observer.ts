import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Paths polled by probes and scrapers: counted in metrics, never logged. */
const QUIET = new Set(['/health', '/healthz', '/readyz', '/metrics']);

declare module 'http' {
  interface IncomingMessage {
    /** The request id: the caller's `X-Request-Id` when well-formed, else a new UUID. */
    id?: string;
  }
}

/** The route a request matched, as a low-cardinality metrics label. */
function routeOf(req: Request, status: number): string {
  if (req.route?.path) return `${req.baseUrl}${String(req.route.path)}`;
  return status === 404 ? 'unmatched' : req.path.split('/').slice(0, 3).join('/');
}

/**
 * Request ids, access logs and HTTP metrics in one middleware, with one `finish` listener per
 * request. Every request gets an id (the caller's `X-Request-Id` when well-formed, else a UUID),
 * echoed in `X-Request-Id` and in problem+json bodies. When it ends, the request is counted and
 * timed (prom-client) and logged through pino: 5xx at `error`, 4xx at `info`, the rest at
 * `debug`, so the default `info` level logs what went wrong and not the traffic. (Not pino-http:
 * it builds a child logger and serializes every request even when the line is then not written,
 * which costs on every request what only the logged ones need.)
 */
export function observeRequests(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const started = performance.now();
    res.once('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      const status = res.statusCode;
      const route = routeOf(req, status);
      metrics.httpDuration.observe({ method: req.method, route }, seconds);
      metrics.httpRequests.inc({ method: req.method, route, status: String(status) });
      if (QUIET.has(req.path)) return;
      const level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        { reqId: id, req: { method: req.method, url: req.originalUrl }, res: { statusCode: status }, responseTime: Math.round(seconds * 1000) },
        'request completed',
      );
    });
    next();
  };
}
