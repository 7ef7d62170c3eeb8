import { STATUS_CODES } from 'node:http';
import type { Problem } from '../client/problem.js';

/** The `type` slug and title of each status AgentKit (and the SDK's task endpoint) answers with. */
const KINDS: Record<number, [slug: string, title: string]> = {
  400: ['validation', 'Request validation failed'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  408: ['request-timeout', 'Request timeout'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['unprocessable', 'Unprocessable content'],
  429: ['too-many-requests', 'Too many requests'],
  431: ['headers-too-large', 'Request header fields too large'],
  500: ['internal', 'Internal server error'],
  503: ['unavailable', 'Service unavailable'],
};

/**
 * An RFC 9457 problem document: `type` `urn:agentkit:problem:<slug>` and a title by status unless
 * `extra` names others (e.g. the SDK's `bad-signature`), and whatever else `extra` adds.
 */
export function problemBody(status: number, detail?: string, extra: Partial<Problem> & { slug?: string } = {}): Problem {
  const { slug, ...rest } = extra;
  const [defaultSlug, title] = KINDS[status] ?? [String(status), STATUS_CODES[status] ?? 'Error'];
  return { type: `urn:agentkit:problem:${slug ?? defaultSlug}`, title, status, ...(detail !== undefined ? { detail } : {}), ...rest };
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
