import { forbidden } from './errors.js';

/**
 * What a credential may do. The spec says which roles may call each operation (its `security`
 * scopes); these rules add what the roles cannot say: an agent acts only for itself.
 * - `admin`: everything.
 * - `dispatcher`: what Ops-Core does (dispatch, read agents, tasks and the delivery log, redeliver, cancel).
 * - `agent`: an agent's credential (its `agentToken`) acts for that agent only; a registration
 *   key (role `agent`, no agent) may only register new agents.
 */
export const ROLES = ['admin', 'dispatcher', 'agent'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the role, and for an agent's own credential, its agent. */
export interface Principal {
  role: Role;
  agentId: string | null;
}

export const ADMIN: Principal = { role: 'admin', agentId: null };

/**
 * Refuses an agent credential acting on another agent's things (its record, tasks, deliveries),
 * and a registration key acting on any. Other roles are bounded by the spec's scopes alone.
 */
export function mustActFor(principal: Principal, agentId: string | null, what: string): void {
  if (principal.role !== 'agent') return;
  if (principal.agentId === null) throw forbidden('A registration key can only register new agents; use the agentToken the registration returned');
  if (principal.agentId !== agentId) throw forbidden(`An agent's credential acts for its own agent only; ${what} belongs to another`);
}

/** How a registration goes for `principal`. */
export interface RegistrationAccess {
  /** The id to register (an agent credential registers its own agent; undefined: a new id). */
  agentId: string | undefined;
  /** A registration key may not take over an id that exists. */
  onlyIfNew: boolean;
  /** A credential is issued unless the agent registers itself with the one it holds. */
  issueToken: boolean;
}

export function registrationAccess(principal: Principal, requestedId: string | undefined): RegistrationAccess {
  if (principal.role !== 'agent') return { agentId: requestedId, onlyIfNew: false, issueToken: true };
  if (principal.agentId === null) return { agentId: requestedId, onlyIfNew: true, issueToken: true };
  if (requestedId !== undefined && requestedId !== principal.agentId) {
    throw forbidden(`An agent's credential registers its own agent (${principal.agentId}) only`);
  }
  return { agentId: principal.agentId, onlyIfNew: false, issueToken: false };
}

/** Why a registration key could not register `agentId`. */
export const takenIdMessage = (agentId: string) =>
  `Agent ${agentId} is registered already: registering it again needs its own credential (agentToken) or an admin key`;
