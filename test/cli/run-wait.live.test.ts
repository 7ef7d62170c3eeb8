// `agentkit run --wait` against a live system: the AgentKit service, the reference Ops-Core and
// the example agent, each a real child process on 127.0.0.1. Skipped (with the reason in the
// test name) while one of their entry files does not exist yet.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/prism.js';
import { agentkit, answersOk, startChild, type ChildService } from './cli-process.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const ENTRIES = ['src/main.ts', 'src/opscore-reference/main.ts', 'examples/echo-agent.ts'];
const missing = ENTRIES.filter((entry) => !existsSync(path.join(repoRoot, entry)));
const title = missing.length
  ? `agentkit run --wait against a live system (SKIPPED until ${missing.join(', ')} exist${missing.length === 1 ? 's' : ''})`
  : 'agentkit run --wait against a live system';

const API_KEY = 'cli-live-key';
const OPSCORE_API_KEY = 'cli-live-opscore-key';
const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const AGENT_ID = 'cli-live-echo-agent';

describe.skipIf(missing.length > 0)(title, () => {
  const children: ChildService[] = [];
  let dataDir = '';
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'agentkit-cli-live-'));
    const [opsCorePort, agentKitPort, agentPort] = [await freePort(), await freePort(), await freePort()];
    const opsCoreUrl = `http://127.0.0.1:${opsCorePort}`;
    const agentKitUrl = `http://127.0.0.1:${agentKitPort}`;

    // The reference Ops-Core (stands in for the real one).
    children.push(
      await startChild(
        'src/opscore-reference/main.ts',
        { OPSCORE_HOST: '127.0.0.1', OPSCORE_PORT: String(opsCorePort), OPSCORE_API_KEY, OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET },
        () => answersOk(`${opsCoreUrl}/health`),
      ),
    );
    // AgentKit itself.
    children.push(
      await startChild(
        'src/main.ts',
        {
          HOST: '127.0.0.1',
          PORT: String(agentKitPort),
          AGENTKIT_DB: path.join(dataDir, 'agentkit.db'),
          AGENTKIT_API_KEYS: API_KEY,
          AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1',
          OPSCORE_WEBHOOK_URL: `${opsCoreUrl}/v1/opscore/internal/agent/notify`,
          OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
          OPSCORE_API_URL: opsCoreUrl,
          OPSCORE_API_KEY,
          AGENTKIT_TASK_RETRY_SCHEDULE: '0,1,1',
        },
        () => answersOk(`${agentKitUrl}/readyz`),
      ),
    );
    // The example agent: ready once it is registered with AgentKit.
    children.push(
      await startChild(
        'examples/echo-agent.ts',
        {
          AGENTKIT_URL: agentKitUrl,
          AGENTKIT_API_KEY: API_KEY,
          OPSCORE_API_URL: opsCoreUrl,
          OPSCORE_API_KEY,
          AGENT_PORT: String(agentPort),
          AGENT_ID,
        },
        () => answersOk(`${agentKitUrl}/v1/agents/${AGENT_ID}`, { authorization: `Bearer ${API_KEY}` }),
      ),
    );
    env = { AGENTKIT_URL: agentKitUrl, AGENTKIT_API_KEY: API_KEY };
  });

  afterAll(async () => {
    // The agent first (it deregisters), then AgentKit, then Ops-Core.
    for (const child of children.reverse()) await child.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('when an echo task is run with --wait, then it exits 0 and prints the finished task with the parameters as result', async () => {
    const { code, stdout, stderr } = await agentkit(
      ['run', AGENT_ID, 'echo', '--param', 'message=hello', '--param', 'n=3', '--timeout', '30', '--wait', '--wait-timeout', '30', '--json'],
      env,
    );

    expect(code, `${stderr}\n${children.map((child) => child.output()).join('\n')}`).toBe(0);
    const task = JSON.parse(stdout) as { status: string; result: unknown; agentId: string };
    expect(task).toMatchObject({ status: 'finished', agentId: AGENT_ID, result: { message: 'hello', n: 3 } });
  });

  it('when the task is listed afterwards, then the table shows it finished', async () => {
    const { code, stdout } = await agentkit(['tasks', 'list', '--agent', AGENT_ID, '--status', 'finished'], env);

    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`${AGENT_ID} .*echo .*finished`));
  });

  it('when a fail task is run with --wait, then it exits 7 and shows the task error', async () => {
    const { code, stdout, stderr } = await agentkit(['run', AGENT_ID, 'fail', '--timeout', '30', '--wait', '--wait-timeout', '30'], env);

    expect(code, stderr).toBe(7);
    expect(stdout).toMatch(/Status +│ failed/);
    expect(stderr).toMatch(/agentkit: Task [0-9a-f-]{36} failed: /);
  });

  it("when the agent's signing secret and credential are rotated with the CLI, then each is printed once and the agent keeps getting tasks during the grace", async () => {
    const secret = await agentkit(['agents', 'rotate-secret', AGENT_ID, '--json'], env);
    expect(secret.code, secret.stderr).toBe(0);
    expect(JSON.parse(secret.stdout)).toMatchObject({ agentId: AGENT_ID, signingSecret: expect.stringMatching(/^whsec_/), previousSecretValidUntil: expect.any(String) });
    const token = await agentkit(['agents', 'rotate-token', AGENT_ID, '--grace', '600'], env);
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout).toMatch(/Agent token +│ akt\./);
    expect((await agentkit(['agents', 'rotate-token', AGENT_ID, '--grace', 'soon'], env)).code).toBe(2);

    // The echo agent still holds the old secret and credential: both hold for the grace period.
    const run = await agentkit(['run', AGENT_ID, 'echo', '--param', 'n=1', '--timeout', '30', '--wait', '--wait-timeout', '30', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'finished', result: { n: 1 } });
  });

  it('when --wait-timeout runs out before the task ends, then it exits 8 and prints the task still going', async () => {
    const { code, stdout, stderr } = await agentkit(
      ['run', AGENT_ID, 'sleep', '--param', 'ms=5000', '--timeout', '3', '--wait-timeout', '1', '--json'],
      env,
    );

    expect(code, stderr).toBe(8);
    expect(['queued', 'delivered', 'running']).toContain((JSON.parse(stdout) as { status: string }).status);
    expect(stderr).toContain('Gave up waiting after 1s');
  });
});
