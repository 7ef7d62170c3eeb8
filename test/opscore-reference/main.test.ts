import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, freePort, startTsProcess, type RunningProcess } from '../support/processes.js';

describe('src/opscore-reference/main.ts', () => {
  let running: RunningProcess | undefined;
  afterEach(async () => {
    await running?.kill('SIGKILL');
    running = undefined;
  });

  it('when started with OPSCORE_PORT and OPSCORE_API_KEY, then it serves Ops-Core and its view, and SIGTERM exits 0', async () => {
    const port = await freePort();
    running = await startTsProcess('src/opscore-reference/main.ts', { OPSCORE_PORT: String(port), OPSCORE_API_KEY: 'main-key', LOG_LEVEL: 'warn' }, port, '/health');
    const state = await fetch(`${running.url}/v1/opscore/agent/x/state`, { headers: { authorization: 'Bearer main-key' } });
    expect(state.status).toBe(404);
    expect((await fetch(`${running.url}/_reference`)).status).toBe(200);
    expect(await running.kill('SIGTERM')).toBe(0);
  });

  it('when OPSCORE_API_KEY is missing, then it exits 2 naming it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/opscore-reference/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, OPSCORE_API_KEY: '', OPSCORE_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(output).toContain('OPSCORE_API_KEY is not set');
  });
});
