import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { SERVICE_NODE_FLAGS } from '../../src/config/node-flags.js';
import { type Child, ROOT, spawnServer } from './proc.js';

export const API_KEY = 'bench-key';
export const WEBHOOK_SECRET = 'bench-webhook-secret';
export const OPSCORE_KEY = 'bench-opscore-key';
export const AUTH = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };

/** The dispatch body every HTTP scenario sends (baselines parse the same bytes). */
export const DISPATCH_BODY = JSON.stringify({
  task_name: 'echo',
  parameters: { message: 'hello from the benchmark', n: 42, tags: ['a', 'b'] },
  opscore_session_id: 'bench-session',
  opscore_task_id: 'bench-task',
});

export interface AgentKitOptions {
  name: string;
  database: string;
  /** Ops-Core webhook and API base (a sink or the reference Ops-Core). */
  webhookUrl?: string | undefined;
  opsCoreApiUrl?: string | undefined;
  env?: Record<string, string>;
  cpuProfDir?: string | undefined;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

let compiledEntry: string | undefined;

/**
 * AgentKit's entry as production runs it: plain JavaScript, not TypeScript through a loader.
 * src/ is transpiled once per run with esbuild (what tsx uses, without type checking) into
 * node_modules/.cache/agentkit-bench/. BENCH_RUNTIME=tsx runs src/main.ts through tsx instead.
 * BENCH_AGENTKIT_SRC compiles another copy of src/ (to measure a change against its parent).
 */
export function agentKitEntry(): string {
  if (process.env.BENCH_RUNTIME === 'tsx') return 'src/main.ts';
  if (compiledEntry) return compiledEntry;
  const out = join(ROOT, 'node_modules', '.cache', 'agentkit-bench');
  rmSync(out, { recursive: true, force: true });
  const esbuild = join(ROOT, 'node_modules', '.bin', 'esbuild');
  // BENCH_AGENTKIT_SRC: another copy of src/ to compare against (A/B of an optimisation).
  const src = process.env.BENCH_AGENTKIT_SRC ?? join(ROOT, 'src');
  execFileSync(esbuild, [...tsFiles(src), `--outbase=${src}`, `--outdir=${join(out, 'src')}`, '--format=esm', '--platform=node', '--target=node20', '--supported:import-attributes=true', '--log-level=warning'], { cwd: ROOT, stdio: 'inherit' });
  // The client's bundled specs, which src/client/spec.ts imports as JSON from ../../generated/openapi.
  cpSync(join(ROOT, 'generated', 'openapi'), join(out, 'generated', 'openapi'), { recursive: true });
  compiledEntry = join(out, 'src', 'main.js');
  return compiledEntry;
}

/**
 * Starts AgentKit as production runs it: compiled JavaScript (see {@link agentKitEntry}),
 * NODE_ENV=production (response validation off), LOG_LEVEL=warn, SQLite synchronous NORMAL.
 */
export function startAgentKit(options: AgentKitOptions): Promise<Child> {
  return spawnServer({
    name: options.name,
    entry: agentKitEntry(),
    readyPath: '/readyz',
    cpuProfDir: options.cpuProfDir,
    // As `npm start` runs it; BENCH_AGENTKIT_NODE_ARGS adds (or, given as `none`, drops) flags.
    nodeArgs: process.env.BENCH_AGENTKIT_NODE_ARGS === 'none' ? [] : [...SERVICE_NODE_FLAGS, ...(process.env.BENCH_AGENTKIT_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      AGENTKIT_VALIDATE_RESPONSES: 'false',
      AGENTKIT_API_KEYS: API_KEY,
      AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1',
      AGENTKIT_DB: options.database,
      AGENTKIT_SHUTDOWN_TIMEOUT_MS: '2000',
      ...(options.webhookUrl ? { OPSCORE_WEBHOOK_URL: options.webhookUrl, OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET } : {}),
      ...(options.opsCoreApiUrl ? { OPSCORE_API_URL: options.opsCoreApiUrl, OPSCORE_API_KEY: OPSCORE_KEY } : {}),
      ...options.env,
    },
  });
}

export function dbPath(tmpDir: string, name: string): string {
  return join(tmpDir, `${name}.db`);
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = AUTH): Promise<{ status: number; json: unknown }> {
  const res = await request(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? (JSON.parse(text) as unknown) : null };
}

export async function getJson(url: string, headers: Record<string, string> = AUTH): Promise<unknown> {
  const res = await request(url, { headers });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`GET ${url}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** Registers agents whose contactEndpoint is `endpoint` (or `endpoint(i)`); returns their ids. */
export async function registerAgents(baseUrl: string, endpoint: string | ((i: number) => string), n: number, prefix = 'bench-agent', terms: { maxConcurrentTasks?: number } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const agentId = `${prefix}-${i}`;
    const { status } = await postJson(`${baseUrl}/v1/agents`, { agentId, agentName: agentId, version: '1.0.0', capabilities: ['echo'], contactEndpoint: typeof endpoint === 'string' ? endpoint : endpoint(i), ...terms });
    if (status !== 200 && status !== 201) throw new Error(`registering ${agentId}: HTTP ${status}`);
    ids.push(agentId);
  }
  return ids;
}

/** Pending deliveries in AgentKit's outbox (from /metrics). */
export async function outboxDepth(baseUrl: string): Promise<number> {
  const res = await request(`${baseUrl}/metrics`);
  const text = await res.body.text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('agentkit_outbox_depth{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Waits until the outbox is empty; returns the seconds it took, or null on timeout. */
export async function waitDrained(baseUrl: string, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await outboxDepth(baseUrl)) === 0) return (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

/** Task endpoints of a sink started with SINK_PORTS: agent i gets port i (round robin). */
export async function sinkEndpoints(sinkUrl: string): Promise<(i: number) => string> {
  const ports = (await getJson(`${sinkUrl}/_sink/ports`, {})) as number[];
  return (i) => `http://127.0.0.1:${ports[i % ports.length]}/tasks`;
}
