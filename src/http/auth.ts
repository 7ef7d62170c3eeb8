import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Principal, Role } from '../domain/access.js';
import type { Clock } from '../domain/clock.js';
import { inForce } from '../domain/rotation.js';
import { agentOfToken } from '../domain/ids.js';
import { secretDigest } from '../net/secrets.js';
import type { Store } from '../store/types.js';
import { sendProblem } from './problem.js';

export interface KeyWithRole {
  role: Role;
  key: string;
}

const PRINCIPAL = Symbol('principal');
const CREDENTIAL = Symbol('credential');
type WithPrincipal = Request & { [PRINCIPAL]?: Principal; [CREDENTIAL]?: string };

/** Who the request was authenticated as (set by {@link authenticate}). */
export function principalOf(req: Request): Principal {
  const p = (req as WithPrincipal)[PRINCIPAL];
  if (!p) throw new Error('principalOf() before authenticate()');
  return p;
}

/** Which credential the request came with, for per-credential limits: `key:<n>` (the n-th API key) or `agent:<id>`. */
export function credentialOf(req: Request): string {
  const c = (req as WithPrincipal)[CREDENTIAL];
  if (c === undefined) throw new Error('credentialOf() before authenticate()');
  return c;
}

/**
 * Bearer authentication: an API key (compared in constant time with every key, so the time
 * taken tells nothing about which matched) or an agent's credential (`agentToken`, which names
 * its agent: one read of its stored digests; after a rotation the previous credential holds for
 * the grace period). 401 when neither; what the caller may then do is the spec's and the
 * domain's to say ({@link requireRoles}, domain/access.ts).
 */
export function authenticate(keys: readonly KeyWithRole[], store: Pick<Store, 'agentTokenHashes'>, clock: Clock): RequestHandler {
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
      let matched = -1;
      digests.forEach((k, i) => {
        if (timingSafeEqual(k.digest, digest) && matched === -1) matched = i;
      });
      if (matched === -1) return unauthorized(res, 'Invalid API key', 'invalid_token');
      (req as WithPrincipal)[PRINCIPAL] = { role: digests[matched]!.role, agentId: null };
      (req as WithPrincipal)[CREDENTIAL] = `key:${matched}`;
      return next();
    }
    store.agentTokenHashes(agentId).then(
      (stored) => {
        const valid = stored !== null && inForce(stored, clock.now().getTime()).some((hash) => timingSafeEqual(Buffer.from(hash, 'hex'), digest));
        if (!valid) return unauthorized(res, 'Invalid or revoked agent credential', 'invalid_token');
        (req as WithPrincipal)[PRINCIPAL] = { role: 'agent', agentId };
        (req as WithPrincipal)[CREDENTIAL] = `agent:${agentId}`;
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
