import type { RequestHandler } from 'express';
import { matchesSecret, secretDigest } from '../net/secrets.js';
import { sendProblem } from './problem.js';

/** Bearer API-key check, in constant time over every key (see matchesSecret). */
export function requireApiKey(keys: readonly string[]): RequestHandler {
  const digests = keys.map(secretDigest);
  return (req, res, next) => {
    const header = req.headers.authorization;
    const match = header ? /^bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendProblem(res, 401, 'Missing API key: send Authorization: Bearer <key>');
    }
    if (!matchesSecret(match[1]!, digests)) {
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      return sendProblem(res, 401, 'Invalid API key');
    }
    next();
  };
}
