import { type ChildProcess, spawn } from 'node:child_process';
import { captureOutput, freePort, ROOT } from '../../src/dev/local-process.js';

/** The repository root, and a free TCP port on 127.0.0.1 (shared with the benchmark). */
export { freePort, ROOT };

export interface RunningProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Sends the signal and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Polls `url` until it answers 2xx, the process dies, or the deadline passes. */
export async function waitForHttp(url: string, child: ChildProcess, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ${url} answered:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Runs a TypeScript entry file as one real node process (tsx as an import hook, so a
 * signal reaches the program itself) and waits until `readyPath` answers.
 */
export async function startTsProcess(entry: string, env: Record<string, string>, port: number, readyPath = '/healthz'): Promise<RunningProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = captureOutput(child);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitForHttp(`${url}${readyPath}`, child, out);
  return {
    child,
    url,
    output: out,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Starts the AgentKit service (src/main.ts) as a child process on a free port. */
export async function startAgentKitProcess(env: Record<string, string>): Promise<RunningProcess> {
  const port = await freePort();
  return startTsProcess('src/main.ts', { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env }, port);
}
