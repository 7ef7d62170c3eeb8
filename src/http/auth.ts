import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendProblem } from './problem.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer API-key check. Keys are compared as SHA-256 digests with timingSafeEqual, and
 * every key is compared, so timing says nothing about which key or how much matched.
 */
export function requireApiKey(keys: readonly string[]): RequestHandler {
  const digests = keys.map(digest);
  return (req, res, next) => {
    const header = req.headers.authorization;
    const match = header ? /^bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendProblem(res, 401, 'Missing API key: send Authorization: Bearer <key>');
    }
    const given = digest(match[1]!);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    if (!ok) {
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      return sendProblem(res, 401, 'Invalid API key');
    }
    next();
  };
}
