// Runs the `agentkit` CLI as a real child process (node with tsx as an import hook), and a
// recording proxy that sits in front of a Prism mock so tests can see what the CLI sent and
// ask Prism for a given answer (`Prefer: code=401`).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// At most two CLI processes at a time per test file: the tests run concurrently, and on a
// busy machine a dozen node processes starting at once would starve each other.
const MAX_RUNNING = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function slot(): Promise<() => void> {
  if (running >= MAX_RUNNING) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  return () => {
    running -= 1;
    waiting.shift()?.();
  };
}

/**
 * Runs `agentkit <args>` from the repository root and resolves when it exits. The parent's
 * AGENTKIT_* variables are not inherited; `env` sets the ones a test wants. A process still
 * running after `timeoutMs` is killed (code null, and stderr says so).
 */
export async function agentkit(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 45_000): Promise<CliResult> {
  const release = await slot();
  try {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AGENTKIT_')));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: repoRoot,
      env: { ...inherited, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const [code] = (await once(child, 'close')) as [number | null];
    clearTimeout(timer);
    if (killed) stderr += `\n[test: agentkit ${args.join(' ')} killed after ${timeoutMs} ms]`;
    return { code, stdout, stderr };
  } finally {
    release();
  }
}

/** One request that went through the proxy. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface RecordingProxy {
  baseUrl: string;
  requests: RecordedRequest[];
  /** When set, sent to Prism as the `Prefer` header (e.g. `code=401`), choosing its answer. */
  prefer: string | undefined;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1:0 that records each request and forwards it to `target`. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const proxy: RecordingProxy = {
    baseUrl: '',
    requests: [],
    prefer: undefined,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    proxy.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || ['host', 'connection', 'content-length'].includes(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    if (proxy.prefer) headers.set('prefer', proxy.prefer);
    try {
      const answer = await fetch(`${target}${req.url ?? '/'}`, {
        method: req.method,
        headers,
        ...(body && req.method !== 'GET' && req.method !== 'HEAD' ? { body } : {}),
      });
      const text = await answer.text();
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${String(error)}`);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  proxy.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/** A TypeScript entry file running as a child process (node with tsx as an import hook). */
export interface ChildService {
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx <entry>` with `env` added to this process's environment, and
 * resolves once `ready()` is true (polled every 100 ms until `timeoutMs`). Stops the process
 * when it does not become ready, and fails with its output.
 */
export async function startChild(
  entry: string,
  env: Record<string, string>,
  ready: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<ChildService> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-50_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = once(child, 'exit');
  const service: ChildService = {
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${entry} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output}`);
    }
    if (await ready().catch(() => false)) return service;
    if (Date.now() > deadline) {
      await service.stop();
      throw new Error(`${entry} was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** True when `url` answers 2xx. */
export async function answersOk(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.ok;
}
