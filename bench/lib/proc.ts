import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { captureOutput, freePort, ROOT } from '../../src/dev/local-process.js';

/** The repository root, and a free TCP port on 127.0.0.1 (shared with the tests). */
export { freePort, ROOT };

export interface Child {
  name: string;
  child: ChildProcess;
  pid: number;
  url: string;
  port: number;
  /** The last 100 KB of stdout and stderr. */
  output(): string;
  /** Resident set size now, bytes (from /proc). */
  rss(): number;
  /** SIGTERM (then SIGKILL after `graceMs`), resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  /** Shown in errors and logs. */
  name: string;
  /** Entry relative to the repository root (or absolute): `.ts` runs with `node --import tsx`, `.js` with plain node. */
  entry: string;
  env?: Record<string, string>;
  /** Polled until it answers 2xx. Default `/healthz`. */
  readyPath?: string;
  readyTimeoutMs?: number;
  /** Directory for `--cpu-prof` output; no profiling when unset. */
  cpuProfDir?: string | undefined;
  /** Extra node flags. */
  nodeArgs?: string[];
}

/** Resident set size of a process, bytes; 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process used so far, ms. */
export function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of /proc/pid/stat (1-based), i.e. 11 and 12 after the comm.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

async function waitReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${url} answered:\n${output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Starts a server under test as its own node process on a free port (passed as `PORT`)
 * and waits until it answers. Every child is also stopped when the driver exits.
 */
export async function spawnServer(options: SpawnOptions): Promise<Child> {
  // The free port can be taken by someone else before the child binds it: try again then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOnce(options, await freePort());
    } catch (err) {
      if (attempt >= 3 || !(err instanceof Error) || !err.message.includes('EADDRINUSE')) throw err;
    }
  }
}

async function spawnOnce(options: SpawnOptions, port: number): Promise<Child> {
  const args = [...(options.entry.endsWith('.ts') ? ['--import', 'tsx'] : []), ...(options.nodeArgs ?? [])];
  if (options.cpuProfDir) {
    mkdirSync(options.cpuProfDir, { recursive: true });
    args.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  }
  args.push(options.entry);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = captureOutput(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  live.add(child);
  void exited.then(() => live.delete(child));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(`${url}${options.readyPath ?? '/healthz'}`, child, out, options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    name: options.name,
    child,
    pid: child.pid!,
    url,
    port,
    output: out,
    rss: () => rssOf(child.pid!),
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of live) c.kill('SIGKILL');
    process.exit(130);
  });
}

/** Runs a TypeScript script to completion (setup steps); rejects on a non-zero exit. */
export function runScript(entry: string, env: Record<string, string>): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => (code === 0 ? res(out) : rej(new Error(`${entry} exited ${code}:\n${out}`))));
  });
}
