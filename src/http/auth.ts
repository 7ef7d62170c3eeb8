import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Principal, Role } from '../domain/access.js';
import { agentOfToken } from '../domain/ids.js';
import { secretDigest } from '../net/secrets.js';
import type { Store } from '../store/types.js';
import { sendProblem } from './problem.js';

export interface KeyWithRole {
  role: Role;
  key: string;
}

const PRINCIPAL = Symbol('principal');
type WithPrincipal = Request & { [PRINCIPAL]?: Principal };

/** Who the request was authenticated as (set by {@link authenticate}). */
export function principalOf(req: Request): Principal {
  const p = (req as WithPrincipal)[PRINCIPAL];
  if (!p) throw new Error('principalOf() before authenticate()');
  return p;
}

/**
 * Bearer authentication: an API key (compared in constant time with every key, so the time
 * taken tells nothing about which matched) or an agent's credential (`agentToken`, which names
 * its agent: one read of its stored digest). 401 when neither; what the caller may then do is
 * the spec's and the domain's to say ({@link requireRoles}, domain/access.ts).
 */
export function authenticate(keys: readonly KeyWithRole[], store: Pick<Store, 'agentTokenHash'>): RequestHandler {
  const digests = keys.map((k) => ({ role: k.role, digest: secretDigest(k.key) }));
  const unauthorized = (res: Parameters<RequestHandler>[1], detail: string, error?: string) => {
    res.setHeader('WWW-Authenticate', error ? `Bearer error="${error}"` : 'Bearer');
    sendProblem(res, 401, detail);
  };
  return (req, res, next) => {
    const header = req.headers.authorization;
    const match = header ? /^bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (!match) return unauthorized(res, 'Missing credential: send Authorization: Bearer <API key or agentToken>');
    const token = match[1]!;
    const digest = secretDigest(token);
    const agentId = agentOfToken(token);
    if (agentId === null) {
      let role: Role | null = null;
      for (const k of digests) if (timingSafeEqual(k.digest, digest) && role === null) role = k.role;
      if (role === null) return unauthorized(res, 'Invalid API key', 'invalid_token');
      (req as WithPrincipal)[PRINCIPAL] = { role, agentId: null };
      return next();
    }
    store.agentTokenHash(agentId).then(
      (stored) => {
        if (stored === null || !timingSafeEqual(Buffer.from(stored, 'hex'), digest)) return unauthorized(res, 'Invalid or revoked agent credential', 'invalid_token');
        (req as WithPrincipal)[PRINCIPAL] = { role: 'agent', agentId };
        next();
      },
      next,
    );
  };
}

/**
 * The validator's handler for `bearerAuth`: the operation's scopes in the spec are the roles
 * that may call it. Admin is listed on every operation, so the spec alone says who may.
 */
export function requireRoles(req: Request, scopes: readonly string[]): true {
  const { role } = principalOf(req);
  if (scopes.includes(role)) return true;
  throw Object.assign(new Error(`This credential has the role ${role}; this operation needs one of: ${scopes.join(', ')}`), { status: 403 });
}
