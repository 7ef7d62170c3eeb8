import { type ChildProcess, exec, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ROOT } from '../support/processes.js';

const run = promisify(exec);
let makeRun: ChildProcess | null = null;
let dataDir = '';

afterAll(() => {
  if (makeRun?.pid && makeRun.exitCode === null && makeRun.signalCode === null) {
    try {
      process.kill(-makeRun.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('make run', () => {
  it('when a newcomer runs it, then the system comes up, the printed command completes a task, and Ctrl-C stops everything', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'agentkit-make-run-'));
    const env = {
      ...process.env,
      AGENTKIT_PORT: String(await freePort()),
      OPSCORE_PORT: String(await freePort()),
      AGENT_PORT: String(await freePort()),
      RUN_DATA_DIR: dataDir,
    };
    // Its own process group, like a terminal: Ctrl-C reaches make and everything under it.
    makeRun = spawn('make', ['--no-print-directory', 'run'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    makeRun.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    makeRun.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => makeRun!.once('exit', (code) => r(code)));

    const deadline = Date.now() + 240_000;
    while (!/^ {2}\$ .* --wait$/m.test(out)) {
      if (makeRun.exitCode !== null) throw new Error(`make run exited early:\n${out}`);
      if (Date.now() > deadline) throw new Error(`make run did not print its command in time:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(out).toContain('/docs');
    expect(out).toContain('/_reference');
    const command = /^ {2}\$ (.* --wait)$/m.exec(out)![1]!;

    const { stdout } = await run(`${command} --json`, { cwd: ROOT, timeout: 60_000 });
    const task = JSON.parse(stdout) as { status: string; result: unknown };
    expect(task.status).toBe('finished');
    expect(task.result).toEqual({ message: 'hello' });

    process.kill(-makeRun.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    expect(code, out.slice(-3000)).not.toBe('timeout');
    // Nothing left listening on the three ports.
    for (const port of [env.AGENTKIT_PORT, env.OPSCORE_PORT, env.AGENT_PORT]) {
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    }
  }, 300_000);
});
