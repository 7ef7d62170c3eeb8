// Starts a Prism mock of one of the bundled specs as a child process, for tests.
//
//   const mock = await startPrism({ spec: 'opscore', errors: true });
//   ... mock.baseUrl ...
//   await mock.stop();   // in afterAll
//
// Prism needs an explicit port: we find a free one by binding port 0 first. It runs in its
// own process group, so stop() (and, as a last resort, this process's exit) ends it and
// everything it spawned.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root (this file is test/support/prism.ts). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The bundled spec of each API, as Prism serves it. */
export const specPaths = {
  agentkit: path.join(repoRoot, 'generated/openapi/agentkit.yaml'),
  opscore: path.join(repoRoot, 'generated/openapi/opscore.yaml'),
} as const;

export type SpecName = keyof typeof specPaths;

export interface StartPrismOptions {
  /** Which bundled spec to serve (`generated/openapi/<spec>.yaml`). */
  spec: SpecName;
  /**
   * Pass `--errors`: a response that violates the spec (an example that does not match its
   * schema) becomes an error answer instead of a logged warning. Default: false.
   */
  errors?: boolean;
  /** How long to wait for Prism to answer, in milliseconds. Default: 60000 (shared CI machines are slow). */
  startTimeoutMs?: number;
}

export interface PrismMock {
  /** e.g. `http://127.0.0.1:43817`, no trailing slash. */
  baseUrl: string;
  port: number;
  /** Everything Prism printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Ends Prism's process group and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

const prismBin = path.join(repoRoot, 'node_modules/.bin/prism');
const running = new Set<ChildProcess>();

// Last resort when a test file dies without its afterAll: never leave a Prism behind.
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

/** A port that was free a moment ago on 127.0.0.1 (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not read the bound port');
  return address.port;
}

/**
 * Starts `prism mock` on a free port of 127.0.0.1 and resolves once it answers HTTP.
 * Retries with another port when Prism exits during start-up (the port was taken meanwhile).
 */
export async function startPrism(options: StartPrismOptions): Promise<PrismMock> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      return await startOnce(options, await freePort());
    } catch (error) {
      lastError = error;
      if (!(error instanceof PrismExitedError)) throw error;
    }
  }
  throw lastError;
}

class PrismExitedError extends Error {}

async function startOnce(options: StartPrismOptions, port: number): Promise<PrismMock> {
  const args = ['mock', '--host', '127.0.0.1', '--port', String(port)];
  if (options.errors) args.push('--errors');
  args.push(specPaths[options.spec]);

  const child = spawn(prismBin, args, { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    // Prism logs every request; keep the tail only.
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  const exit = once(child, 'exit').then(() => {
    exited = true;
    running.delete(child);
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  const mock: PrismMock = {
    baseUrl,
    port,
    output: () => output,
    async stop() {
      if (exited) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) throw new PrismExitedError(`Prism exited during start-up (${options.spec}, port ${port}):\n${output}`);
    // Any HTTP answer (even Prism's 404 for an unknown path) means it is listening.
    if (await answers(baseUrl)) return mock;
    if (Date.now() > deadline) {
      await mock.stop();
      throw new Error(`Prism did not answer on ${baseUrl} within ${options.startTimeoutMs ?? 60_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function answers(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
