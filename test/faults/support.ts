// Shared pieces of the fault-injection suite: seeded randomness, sizes from the environment,
// what-was-tried logging, AgentKit as a child process on a fixed port, raw API calls that
// survive a killed server, and readers of what the reference Ops-Core received.
import { randomInt } from 'node:crypto';
import { createAgent, TaskFailure, type Agent, type Logger } from '../../src/sdk/index.js';
import type { NotificationRecord, ReceivedSnapshot, StateRecord } from '../../src/opscore-reference/index.js';
import { startTsProcess, type RunningProcess } from '../support/processes.js';

export const AGENTKIT_KEY = 'faults-agentkit-key';
export const OPSCORE_KEY = 'faults-opscore-key';
export const WEBHOOK_SECRET = 'whsec_ZmF1bHRzLXN1aXRlLXdlYmhvb2stc2VjcmV0IQ==';

/** A whole number from the environment (sizes of the suite), or the default. */
export function envInt(name: string, fallback: number): number {
  const v = process.env[name]?.trim();
  if (!v) return fallback;
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a whole number, got "${v}"`);
  return Number(v);
}

/** mulberry32: a small, fast, seedable generator; enough for choosing fault moments. */
export class Rng {
  #state: number;
  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }
  /** A number in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/**
 * The seed of one scenario: `FAULTS_SEED` when set (to replay a failure), else a fresh one.
 * Printed either way, with how to replay it.
 */
export function scenarioSeed(scenario: string): Rng {
  const fixed = process.env.FAULTS_SEED?.trim();
  const seed = fixed ? Number(fixed) >>> 0 : randomInt(1, 2 ** 31);
  say(scenario, `seed=${seed} (replay: FAULTS_SEED=${seed} npx --no-install vitest run test/faults)`);
  return new Rng(seed);
}

/** One line of what the suite tried, prefixed with the scenario. */
export function say(scenario: string, text: string): void {
  console.log(`[faults:${scenario}] ${text}`);
}

/** A logger that keeps warnings and errors (printed when a check fails) and drops the rest. */
export function keepingLogger(limit = 200): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (obj: object, msg?: string) => {
    if (lines.length < limit) lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj).slice(0, 300)}`);
  };
  const logger: Logger & { lines: string[] } = {
    lines,
    debug() {},
    info() {},
    warn: keep('warn'),
    error: keep('error'),
    child: () => logger,
  };
  return logger;
}

/** Polls `check` until it returns true, or throws after `timeoutMs` with what `describe` says. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** AgentKit (src/main.ts) as one real node process on a given port, so it can come back on the same URL. */
export function startAgentKitOn(port: number, env: Record<string, string>): Promise<RunningProcess> {
  return startTsProcess('src/main.ts', { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', AGENTKIT_API_KEYS: AGENTKIT_KEY, AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1', ...env }, port);
}

/** The environment that points AgentKit at a (reference) Ops-Core. */
export function opsCoreEnv(opsCoreUrl: string): Record<string, string> {
  return {
    OPSCORE_WEBHOOK_URL: `${opsCoreUrl}/v1/opscore/internal/agent/notify`,
    OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    OPSCORE_API_URL: opsCoreUrl,
    OPSCORE_API_KEY: OPSCORE_KEY,
  };
}

/** A retry schedule: `0` then `n` times `step` seconds. */
export function schedule(n: number, step: number): string {
  return ['0', ...Array.from({ length: n }, () => String(step))].join(',');
}

export interface ApiAnswer {
  status: number;
  json: unknown;
}

/**
 * One call to AgentKit's API with a raw fetch and a deadline. Throws on network errors (the
 * server was killed, or is not back yet); any HTTP answer is returned.
 */
export async function api(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<ApiAnswer> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${AGENTKIT_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

export interface TaskView {
  taskId: string;
  agentId: string;
  task_name: string;
  status: string;
  error?: { code?: string; message: string } | null;
}

/** Every item of one of AgentKit's paged lists (`/v1/tasks`, `/v1/webhook-deliveries`), with filters. */
export async function listAll<T>(baseUrl: string, path: string, filters: Record<string, string> = {}): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ ...filters, limit: '100' });
    if (cursor) q.set('cursor', cursor);
    const res = await api(baseUrl, 'GET', `${path}?${q}`);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
    const page = res.json as { items: T[]; nextCursor: string | null };
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** Every task AgentKit knows (optionally of one agent). */
export function listAllTasks(baseUrl: string, agentId?: string): Promise<TaskView[]> {
  return listAll<TaskView>(baseUrl, '/v1/tasks', agentId ? { agentId } : {});
}

/** Counts of items by a key, as `key=n` strings. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): string[] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k}=${n}`);
}

/** Notifications received, per agent, in arrival order. */
export function notificationsByAgent(snapshot: ReceivedSnapshot): Map<string, NotificationRecord[]> {
  const byAgent = new Map<string, NotificationRecord[]>();
  for (const n of snapshot.notifications) {
    const list = byAgent.get(n.agentId) ?? [];
    list.push(n);
    byAgent.set(n.agentId, list);
  }
  return byAgent;
}

/** The version named in a notification's agent details. */
export function notifiedVersion(n: NotificationRecord): string {
  return (n.body as { agent_details: { version: string } }).agent_details.version;
}

export interface TaskStateRecord extends StateRecord {
  agentId: string;
}

/** State reports that name a task, by task id, in arrival order. */
export function statesByTask(snapshot: ReceivedSnapshot): Map<string, TaskStateRecord[]> {
  const byTask = new Map<string, TaskStateRecord[]>();
  for (const [agentId, list] of Object.entries(snapshot.states)) {
    for (const s of list) {
      const taskId = s.details?.taskId;
      if (typeof taskId !== 'string') continue;
      const records = byTask.get(taskId) ?? [];
      records.push({ ...s, agentId });
      byTask.set(taskId, records);
    }
  }
  return byTask;
}

export const isTerminal = (s: StateRecord) => s.state === 'finished' || s.state === 'error' || s.state === 'canceled';

/** Handlers of the suite's SDK agents: `echo` returns its parameters, `fail` throws. */
export const handlers = {
  echo: (parameters: Record<string, unknown>) => parameters,
  fail: () => {
    throw new TaskFailure('failed_on_purpose', 'Failed on purpose (fault suite)');
  },
};

/** An SDK agent in this process with short retry delays, so reports resume quickly after a fault. */
export function sdkAgent(options: { agentId: string; agentKitUrl: string; opsCoreUrl: string; concurrency?: number; logger: Logger }): Agent {
  const fast = { minDelayMs: 50, maxDelayMs: 400, maxRetryAfterMs: 5_000, requestTimeoutMs: 30_000 };
  return createAgent({
    agentId: options.agentId,
    name: 'fault-suite-agent',
    version: '1.0.0',
    handlers,
    agentKitUrl: options.agentKitUrl,
    agentKitApiKey: AGENTKIT_KEY,
    opsCoreUrl: options.opsCoreUrl,
    opsCoreApiKey: OPSCORE_KEY,
    concurrency: options.concurrency ?? 4,
    opsCoreRetry: fast,
    agentKitRetry: fast,
    logger: options.logger,
  });
}

/** Seconds with one decimal since `start`. */
export const since = (start: number) => `${((Date.now() - start) / 1000).toFixed(1)}s`;
