import type { components } from '../../generated/ts/agentkit.js';

/**
 * An RFC 9457 problem document, as every AgentKit error answers (`application/problem+json`):
 * `type`, `title`, `status`, optional `detail`, `instance`, `requestId`, and `errors[]` for
 * validation failures.
 */
export type Problem = components['schemas']['Problem'];

/** True when `value` looks like a problem document (e.g. the `error` of an openapi-fetch call). */
export function isProblem(value: unknown): value is Problem {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.type === 'string' && typeof v.title === 'string' && typeof v.status === 'number';
}
