import { isIP } from 'node:net';
import { ROLES, type Role } from '../domain/access.js';
import { DEFAULT_MAX_QUEUED_TASKS } from '../domain/agent.js';
import { DEFAULT_ROTATION_GRACE_S, MAX_ROTATION_GRACE_S } from '../domain/rotation.js';
import { DEFAULT_MISSED_HEARTBEATS } from '../domain/task.js';

/**
 * AgentKit's configuration, read from the environment (and `.env` when present, see
 * main.ts). Every variable is listed in README.md's configuration table.
 */
export interface Config {
  /** TCP port of the API. `PORT`, default 8080; 0 picks a free port. */
  port: number;
  /** Interface to listen on. `HOST`, default 0.0.0.0. */
  host: string;
  /** `AGENTKIT_DB`: a SQLite file path (default ./data/agentkit.db) or a postgres:// URL. */
  database: string;
  /**
   * `AGENTKIT_API_KEYS`: comma-separated `role:key` entries (roles: admin, dispatcher, agent),
   * accepted as Bearer tokens. A bare key is `admin`, as before roles existed. Required.
   */
  apiKeys: ApiKey[];
  /** `OPSCORE_WEBHOOK_URL`: where lifecycle webhooks go; unset disables them. */
  webhookUrl: string | null;
  /**
   * `OPSCORE_WEBHOOK_SECRET`: signs lifecycle webhooks; required with the URL. `new,old` while
   * Ops-Core rotates: every webhook then carries a signature with each. Empty: none set.
   */
  webhookSecrets: string[];
  /**
   * `OPSCORE_WEBHOOK_PREVIOUS_SECRET_UNTIL`: with `new,old`, when the old one stops signing (an ISO
   * time, epoch ms here); null: while it is listed.
   */
  webhookPreviousSecretUntil: number | null;
  /** `OPSCORE_API_URL`: Ops-Core base URL for `error` reports of undeliverable tasks. */
  opsCoreApiUrl: string | null;
  /** `OPSCORE_API_KEY`: Bearer token for those reports. */
  opsCoreApiKey: string | null;
  /** `AGENTKIT_WEBHOOK_RETRY_SCHEDULE`: seconds before each attempt of a lifecycle webhook or state report. */
  webhookRetrySchedule: number[];
  /** `AGENTKIT_TASK_RETRY_SCHEDULE`: seconds before each attempt of a task delivery. */
  taskRetrySchedule: number[];
  /** `AGENTKIT_DELIVERY_TIMEOUT_MS`: per-attempt timeout of every outgoing request. Default 10000. */
  deliveryTimeoutMs: number;
  /** `AGENTKIT_DELIVERY_CONCURRENCY`: outgoing requests in flight at once. Default 32. */
  deliveryConcurrency: number;
  /** `AGENTKIT_DELIVERY_TARGET_CONCURRENCY`: attempts in flight to one host:port. Default concurrency / 8. */
  deliveryTargetConcurrency: number;
  /** `AGENTKIT_TASK_OUTCOME_GRACE_MS`: wait past a delivered task's deadline for the agent's outcome before failing it. Default 30000. */
  taskOutcomeGraceMs: number;
  /** `AGENTKIT_MISSED_HEARTBEATS`: heartbeat intervals a task of an agent that declared heartbeats may go unheard before it fails. Default 3. */
  missedHeartbeats: number;
  /** `AGENTKIT_CANCEL_GRACE_MS`: how long an agent has to confirm a cancel before AgentKit marks the task canceled itself. Default 30000. */
  cancelGraceMs: number;
  /** `AGENTKIT_MAX_BODY_BYTES`: largest accepted request body. Default 1048576 (1 MiB). */
  maxBodyBytes: number;
  /** `AGENTKIT_AGENT_HOSTS`: optional allowlist of agent hosts (names, IPs or CIDRs). */
  agentHosts: string[];
  /** `AGENTKIT_VALIDATE_RESPONSES`: validate responses against the spec. Default: on unless NODE_ENV=production. */
  validateResponses: boolean;
  /** `AGENTKIT_SHUTDOWN_TIMEOUT_MS`: how long SIGTERM waits for in-flight work. Default 10000. */
  shutdownTimeoutMs: number;
  /** `AGENTKIT_SQLITE_SYNCHRONOUS`: NORMAL (default) or FULL. */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** `AGENTKIT_PG_POOL_SIZE`: PostgreSQL connections per process. Default 10. */
  pgPoolSize: number;
  /** `AGENTKIT_PG_STATEMENT_TIMEOUT_MS`: PostgreSQL statement timeout (lock waits included); 0: none. Default 30000. */
  pgStatementTimeoutMs: number;
  /**
   * `AGENTKIT_LEASE_MS`: how long a delivery stays claimed by the process sending it; a killed
   * process's deliveries are taken over once it lapses. Longer than the delivery timeout.
   * Default AGENTKIT_DELIVERY_TIMEOUT_MS + 30000.
   */
  leaseMs: number;
  /** `AGENTKIT_SECRET_ROTATION_GRACE_S`: how long a rotated agent secret or credential still holds. Default 86400. */
  secretRotationGraceS: number;
  /** `AGENTKIT_RATE_LIMIT`: requests one credential may make per window; 0: no limit. Default 600000. */
  rateLimit: number;
  /** `AGENTKIT_RATE_LIMIT_WINDOW_S`: the rate limit's window, seconds. Default 60. */
  rateLimitWindowS: number;
  /** `AGENTKIT_MAX_QUEUED_TASKS`: tasks one agent may have not yet taken; null (0): no cap. Default 100000. */
  maxQueuedTasks: number | null;
  /** `LOG_LEVEL`: pino level. Default info. */
  logLevel: string;
}

/** Standard Webhooks' recommended schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];
/** Tasks are waited for: give up within about ten minutes. */
export const DEFAULT_TASK_RETRY_SCHEDULE = [0, 1, 5, 15, 30, 60, 120, 300];

/** A configuration problem; the message names the variable and what is wrong. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | null {
  const v = env[name]?.trim();
  return v ? v : null;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = text(env, name);
  if (v === null) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  }
  return Number(v);
}

function httpUrl(env: Env, name: string): string | null {
  const v = text(env, name);
  if (v === null) return null;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${v}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${name} must be an http or https URL, got "${v}"`);
  return v;
}

function schedule(env: Env, name: string, fallback: number[]): number[] {
  const v = text(env, name);
  if (v === null) return fallback;
  const parts = v.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) {
    throw new ConfigError(`${name} must be comma-separated seconds, e.g. "0,5,300", got "${v}"`);
  }
  return parts.map(Number);
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const v = text(env, name)?.toLowerCase();
  if (v === undefined || v === null) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${v}"`);
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(env: Env): string {
  const v = (text(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LEVELS.includes(v)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${v}"`);
  return v;
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Host entries: names (`agents.internal`), suffixes (`*.agents.internal`), IP addresses and CIDR
 * ranges (`10.0.0.0/8`, `fd00::/8`), comma-separated, lower-cased.
 */
function agentHosts(env: Env, name: string): string[] {
  const entries = (text(env, name) ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const entry of entries) {
    const [addr = '', prefix, extra] = entry.split('/');
    const family = isIP(addr);
    const ok =
      extra === undefined &&
      (prefix === undefined
        ? family !== 0 || HOST_NAME.test(entry.startsWith('*.') ? entry.slice(2) : entry)
        : family !== 0 && /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!ok) throw new ConfigError(`${name} has "${entry}", which is neither a host name, *.suffix, IP address nor CIDR range (e.g. 10.0.0.0/8)`);
  }
  return entries;
}

/** An API key and the role it has; `bare`: given without a role (so `admin`, and said at start). */
export interface ApiKey {
  role: Role;
  key: string;
  bare: boolean;
}

function apiKey(entry: string): ApiKey {
  const colon = entry.indexOf(':');
  const role = entry.slice(0, colon);
  if (colon > 0 && (ROLES as readonly string[]).includes(role)) {
    const key = entry.slice(colon + 1).trim();
    if (!key) throw new ConfigError(`AGENTKIT_API_KEYS has the role ${role} without a key: write ${role}:<key>`);
    return { role: role as Role, key, bare: false };
  }
  return { role: 'admin', key: entry, bare: true };
}

/** Reads and checks the configuration; throws {@link ConfigError} on the first problem. */
export function loadConfig(env: Env = process.env): Config {
  const apiKeys = (text(env, 'AGENTKIT_API_KEYS') ?? '').split(',').map((k) => k.trim()).filter(Boolean).map(apiKey);
  if (apiKeys.length === 0) {
    throw new ConfigError('AGENTKIT_API_KEYS is not set: give at least one API key (comma-separated) that clients send as a Bearer token');
  }
  const webhookUrl = httpUrl(env, 'OPSCORE_WEBHOOK_URL');
  const webhookSecrets = (text(env, 'OPSCORE_WEBHOOK_SECRET') ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  if (webhookUrl && webhookSecrets.length === 0) {
    throw new ConfigError('OPSCORE_WEBHOOK_URL is set but OPSCORE_WEBHOOK_SECRET is not: AgentKit refuses to send unsigned webhooks. Set the secret shared with Ops-Core');
  }
  if (webhookSecrets.length > 2) throw new ConfigError('OPSCORE_WEBHOOK_SECRET lists at most two secrets: new,old while Ops-Core rotates');
  const untilText = text(env, 'OPSCORE_WEBHOOK_PREVIOUS_SECRET_UNTIL');
  const webhookPreviousSecretUntil = untilText === null ? null : Date.parse(untilText);
  if (untilText !== null && (!/^\d{4}-\d\d-\d\dT/.test(untilText) || Number.isNaN(webhookPreviousSecretUntil))) {
    throw new ConfigError(`OPSCORE_WEBHOOK_PREVIOUS_SECRET_UNTIL must be an ISO 8601 time (e.g. 2026-12-02T12:00:00Z), got "${untilText}"`);
  }
  if (untilText !== null && webhookSecrets.length !== 2) {
    throw new ConfigError('OPSCORE_WEBHOOK_PREVIOUS_SECRET_UNTIL needs OPSCORE_WEBHOOK_SECRET to list two secrets, new,old');
  }
  const opsCoreApiUrl = httpUrl(env, 'OPSCORE_API_URL');
  const opsCoreApiKey = text(env, 'OPSCORE_API_KEY');
  if (opsCoreApiUrl && !opsCoreApiKey) {
    throw new ConfigError('OPSCORE_API_URL is set but OPSCORE_API_KEY is not: state reports to Ops-Core need its API key');
  }
  const sync = (text(env, 'AGENTKIT_SQLITE_SYNCHRONOUS') ?? 'NORMAL').toUpperCase();
  if (sync !== 'NORMAL' && sync !== 'FULL') throw new ConfigError(`AGENTKIT_SQLITE_SYNCHRONOUS must be NORMAL or FULL, got "${sync}"`);
  const deliveryTimeoutMs = integer(env, 'AGENTKIT_DELIVERY_TIMEOUT_MS', 10_000, 1, 600_000);
  const deliveryConcurrency = integer(env, 'AGENTKIT_DELIVERY_CONCURRENCY', 32, 1, 1024);
  const leaseMs = integer(env, 'AGENTKIT_LEASE_MS', deliveryTimeoutMs + 30_000, 1, 3_600_000);
  if (leaseMs <= deliveryTimeoutMs) {
    throw new ConfigError(`AGENTKIT_LEASE_MS (${leaseMs}) must be longer than AGENTKIT_DELIVERY_TIMEOUT_MS (${deliveryTimeoutMs}), or another process could take over a delivery still in flight`);
  }
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: text(env, 'HOST') ?? '0.0.0.0',
    database: text(env, 'AGENTKIT_DB') ?? './data/agentkit.db',
    apiKeys,
    webhookUrl,
    webhookSecrets,
    webhookPreviousSecretUntil,
    opsCoreApiUrl,
    opsCoreApiKey,
    webhookRetrySchedule: schedule(env, 'AGENTKIT_WEBHOOK_RETRY_SCHEDULE', DEFAULT_WEBHOOK_RETRY_SCHEDULE),
    taskRetrySchedule: schedule(env, 'AGENTKIT_TASK_RETRY_SCHEDULE', DEFAULT_TASK_RETRY_SCHEDULE),
    deliveryTimeoutMs,
    deliveryConcurrency,
    deliveryTargetConcurrency: integer(env, 'AGENTKIT_DELIVERY_TARGET_CONCURRENCY', Math.ceil(deliveryConcurrency / 8), 1, 1024),
    taskOutcomeGraceMs: integer(env, 'AGENTKIT_TASK_OUTCOME_GRACE_MS', 30_000, 0, 86_400_000),
    missedHeartbeats: integer(env, 'AGENTKIT_MISSED_HEARTBEATS', DEFAULT_MISSED_HEARTBEATS, 1, 100),
    cancelGraceMs: integer(env, 'AGENTKIT_CANCEL_GRACE_MS', 30_000, 0, 86_400_000),
    maxBodyBytes: integer(env, 'AGENTKIT_MAX_BODY_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    agentHosts: agentHosts(env, 'AGENTKIT_AGENT_HOSTS'),
    validateResponses: flag(env, 'AGENTKIT_VALIDATE_RESPONSES', env.NODE_ENV !== 'production'),
    shutdownTimeoutMs: integer(env, 'AGENTKIT_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    sqliteSynchronous: sync,
    pgPoolSize: integer(env, 'AGENTKIT_PG_POOL_SIZE', 10, 1, 1000),
    pgStatementTimeoutMs: integer(env, 'AGENTKIT_PG_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    leaseMs,
    secretRotationGraceS: integer(env, 'AGENTKIT_SECRET_ROTATION_GRACE_S', DEFAULT_ROTATION_GRACE_S, 0, MAX_ROTATION_GRACE_S),
    rateLimit: integer(env, 'AGENTKIT_RATE_LIMIT', 600_000, 0, 1_000_000_000),
    rateLimitWindowS: integer(env, 'AGENTKIT_RATE_LIMIT_WINDOW_S', 60, 1, 86_400),
    maxQueuedTasks: integer(env, 'AGENTKIT_MAX_QUEUED_TASKS', DEFAULT_MAX_QUEUED_TASKS, 0, 1_000_000_000) || null,
    logLevel: logLevel(env),
  };
}
