import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { credentialOf } from './auth.js';
import { sendProblem } from './problem.js';

export interface RateLimitOptions {
  /** Requests one credential may make per window; 0: no limit. */
  limit: number;
  windowS: number;
}

type Limited = Request & { rateLimit?: { resetTime?: Date | undefined } };

/**
 * A per-credential request rate limit (express-rate-limit, its in-process store: each replica
 * counts its own requests). Mounted after authentication and before the body is read, so a
 * refused request costs little and changes nothing; it gets 429 problem+json with Retry-After.
 */
export function rateLimitPerCredential(o: RateLimitOptions): RequestHandler | null {
  if (o.limit === 0) return null;
  const windowMs = o.windowS * 1000;
  return rateLimit({
    windowMs,
    limit: o.limit,
    // No RateLimit-* headers on every answer (they cost each request); Retry-After on a 429.
    standardHeaders: false,
    legacyHeaders: false,
    keyGenerator: (req) => credentialOf(req),
    // Its checks are of IP-based keys and proxy headers, which this limiter does not use.
    validate: false,
    handler: (req, res) => {
      const reset = (req as Limited).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : o.windowS;
      res.setHeader('Retry-After', String(seconds));
      sendProblem(res, 429, `Too many requests with this credential: at most ${o.limit} per ${o.windowS} s (AGENTKIT_RATE_LIMIT). Try again in ${seconds} s`);
    },
  });
}
