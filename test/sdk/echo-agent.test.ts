// The example agent as a real process (node + tsx), against a fake AgentKit and the reference Ops-Core.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpsCoreReference } from '../../src/opscore-reference/index.js';
import { ROOT, freePort, startTsProcess, type RunningProcess } from '../support/processes.js';
import { eventually } from '../support/receiver.js';
import { FakeAgentKit } from './support/fake-agentkit.js';
import { AGENTKIT_KEY, OPSCORE_KEY, captureLogger } from './support/harness.js';

describe('examples/echo-agent.ts', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('when run with its environment, then echo, sleep past its timeout and fail report as expected, and SIGTERM deregisters and exits 0', async () => {
    const opsCore = createOpsCoreReference({ apiKey: OPSCORE_KEY, logger: captureLogger() });
    const opsCoreServer = await opsCore.start();
    cleanups.push(() => opsCoreServer.close());
    const agentKit = await new FakeAgentKit({ apiKey: AGENTKIT_KEY, opsCoreUrl: opsCoreServer.url }).start();
    cleanups.push(() => agentKit.stop());
    const port = await freePort();
    const agent: RunningProcess = await startTsProcess(
      'examples/echo-agent.ts',
      {
        AGENTKIT_URL: agentKit.url,
        AGENTKIT_API_KEY: AGENTKIT_KEY,
        OPSCORE_API_URL: opsCoreServer.url,
        OPSCORE_API_KEY: OPSCORE_KEY,
        AGENT_PORT: String(port),
        AGENT_ID: 'echo-1',
        LOG_LEVEL: 'warn',
      },
      port,
    );
    cleanups.push(() => agent.kill('SIGKILL'));
    const states = () => (opsCore.received().states['echo-1'] ?? []).map((s) => s.state);
    await eventually(() => (states().length >= 1 ? true : undefined), 15_000, 'idle after start');
    expect(agentKit.registrations[0]).toMatchObject({ agentId: 'echo-1', agentName: 'echo-agent', capabilities: ['echo', 'sleep', 'fail'] });

    await agentKit.deliver(agentKit.envelope('echo-1', { task_name: 'echo', parameters: { message: 'hello' } }));
    await eventually(() => (states().length >= 4 ? true : undefined), 10_000, 'echo states');
    const deadline = new Date(Date.now() + 1_000).toISOString();
    await agentKit.deliver(agentKit.envelope('echo-1', { task_name: 'sleep', parameters: { ms: 30_000 }, timeout_seconds: 1, deadline }));
    await eventually(() => (states().length >= 7 ? true : undefined), 10_000, 'sleep states');
    await agentKit.deliver(agentKit.envelope('echo-1', { task_name: 'fail' }));
    await eventually(() => (states().length >= 10 ? true : undefined), 10_000, 'fail states');

    const received = opsCore.received().states['echo-1']!;
    expect(received.map((s) => s.state)).toEqual(['idle', 'active', 'finished', 'idle', 'active', 'error', 'idle', 'active', 'error', 'idle']);
    expect(received[2]!.details).toMatchObject({ result: { message: 'hello' } });
    expect(received[5]!.details).toMatchObject({ error: { code: 'timeout' } });
    expect(received[8]!.details).toMatchObject({ error: { code: 'failed_on_purpose' } });

    expect(await agent.kill('SIGTERM')).toBe(0);
    expect(agentKit.deregistrations).toEqual(['echo-1']);
    expect(opsCore.received().notifications.map((n) => n.eventType)).toEqual(['REGISTER', 'DEREGISTER']);
  });

  it('when OPSCORE_API_KEY is missing, then it exits 1 with a message naming it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/echo-agent.ts'], {
      cwd: ROOT,
      env: { ...process.env, AGENTKIT_URL: 'http://127.0.0.1:9', AGENTKIT_API_KEY: 'k', OPSCORE_API_URL: 'http://127.0.0.1:9', OPSCORE_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(output).toContain('OPSCORE_API_KEY is not set');
  });
});
