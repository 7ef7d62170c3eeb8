// A TypeScript service outside this repository installs @agentkit/client and @agentkit/sdk from the
// tarballs `make packages` writes, type-checks its code under `strict`, and uses both against a live
// AgentKit: it dispatches a task through the client to an agent built with the SDK, which runs it.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpsCoreReference, type OpsCoreReference, type RunningReference } from '../../src/opscore-reference/index.js';
import { ROOT, startAgentKitProcess, type RunningProcess } from '../support/processes.js';

const run = promisify(execFile);
const OPSCORE_KEY = 'consumer-opscore-key';
const AGENTKIT_KEY = 'consumer-agentkit-key';
const WEBHOOK_SECRET = 'whsec_Y29uc3VtZXItd2ViaG9vay1zZWNyZXQtMTIzNA==';

/** The consumer's code, as someone starting from the packages' READMEs would write it. */
const CONSUMER = `
import { createAgentKitClient, isProblem, type Task } from '@agentkit/client';
import { createAgent, type TaskContext } from '@agentkit/sdk';

const seen: Array<{ parameters: Record<string, unknown>; aborted: boolean }> = [];
const agent = createAgent({
  name: 'consumer-agent',
  version: '1.0.0',
  handlers: {
    greet: (parameters: Record<string, unknown>, ctx: TaskContext) => {
      seen.push({ parameters, aborted: ctx.signal.aborted });
      return { greeting: \`hello, \${String(parameters.name)}\` };
    },
  },
});
const { agentId } = await agent.start();

const agentkit = createAgentKitClient({ baseUrl: process.env.AGENTKIT_URL!, apiKey: process.env.AGENTKIT_API_KEY! });
const { data, error } = await agentkit.POST('/v1/agents/{agentId}/run', {
  params: { path: { agentId } },
  body: { task_name: 'greet', parameters: { name: 'consumer' }, opscore_task_id: 'consumer-1' },
});
if (error || !data) throw new Error(\`dispatch refused: \${isProblem(error) ? error.detail : JSON.stringify(error)}\`);

let task: Task = data;
while (task.status !== 'finished' && task.status !== 'failed') {
  await new Promise((resolve) => setTimeout(resolve, 100));
  const read = await agentkit.GET('/v1/tasks/{taskId}', { params: { path: { taskId: task.taskId } } });
  if (!read.data) throw new Error('task not found');
  task = read.data;
}
await agent.stop();
console.log(JSON.stringify({ agentId, taskId: task.taskId, status: task.status, result: task.result, seen }));
`;

/** Every package name installed anywhere under `dir`'s node_modules trees. */
function installedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  const walk = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const scoped = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
      for (const name of scoped) {
        names.add(name);
        walk(join(modules, name, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return names;
}

describe('a TypeScript consumer outside the repository', () => {
  let scratch: string;
  let tarballs: string[];
  let opsCore: OpsCoreReference;
  let reference: RunningReference;
  let agentkit: RunningProcess;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'agentkit-ts-consumer-'));
    const packed = await run(process.execPath, ['--import', 'tsx', 'scripts/build-packages.ts', '--out', join(scratch, 'tarballs')], { cwd: ROOT });
    tarballs = packed.stdout.trim().split('\n');
    opsCore = createOpsCoreReference({ apiKey: OPSCORE_KEY, webhookSecret: WEBHOOK_SECRET, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    reference = await opsCore.start();
    agentkit = await startAgentKitProcess({
      AGENTKIT_DB: join(scratch, 'agentkit.db'),
      AGENTKIT_API_KEYS: AGENTKIT_KEY,
      AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1',
      OPSCORE_WEBHOOK_URL: `${reference.url}/v1/opscore/internal/agent/notify`,
      OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      OPSCORE_API_URL: reference.url,
      OPSCORE_API_KEY: OPSCORE_KEY,
    });
  }, 240_000);

  afterAll(async () => {
    await agentkit?.kill();
    await reference?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('when it installs the tarballs, type-checks under strict and runs, then the SDK agent finishes the task the client dispatched, and nothing of the server is installed', async () => {
    expect(tarballs.map((t) => t.split('/').at(-1))).toEqual([expect.stringMatching(/^agentkit-client-\d+\.\d+\.\d+\.tgz$/), expect.stringMatching(/^agentkit-sdk-\d+\.\d+\.\d+\.tgz$/)]);
    const project = join(scratch, 'project');
    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, types: ['node'], outDir: 'out', skipLibCheck: false }, include: ['consumer.ts'] }, null, 2),
    );
    writeFileSync(join(project, 'consumer.ts'), CONSUMER);
    // The consumer's own toolchain (typescript, @types/node) comes from the registry, as for any project.
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, 'typescript@~5.9.2', '@types/node@^20.19.0'], { cwd: project, timeout: 180_000 });

    const installed = installedPackages(project);
    expect(installed).toContain('@agentkit/client');
    expect(installed).toContain('@agentkit/sdk');
    for (const server of ['express', 'better-sqlite3', 'pg', 'redoc', 'express-openapi-validator']) expect(installed, server).not.toContain(server);
    // Copies from the tarballs, not links into this repository.
    expect(lstatSync(join(project, 'node_modules', '@agentkit', 'sdk')).isSymbolicLink()).toBe(false);

    await run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: project });
    const { stdout } = await run(process.execPath, ['out/consumer.js'], {
      cwd: project,
      timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, AGENTKIT_URL: agentkit.url, AGENTKIT_API_KEY: AGENTKIT_KEY, OPSCORE_API_URL: reference.url, OPSCORE_API_KEY: OPSCORE_KEY, LOG_LEVEL: 'warn' },
    });
    const outcome = JSON.parse(stdout.trim().split('\n').at(-1)!) as { agentId: string; taskId: string; status: string; result: unknown; seen: unknown[] };
    expect(outcome).toMatchObject({ status: 'finished', result: { greeting: 'hello, consumer' }, seen: [{ parameters: { name: 'consumer' }, aborted: false }] });
    const states = opsCore.received().states[outcome.agentId]?.map((s) => s.state) ?? [];
    expect(states).toEqual(expect.arrayContaining(['active', 'finished', 'idle']));
  }, 240_000);

  it('when the consumer calls the API wrong, then the strict type-check refuses it before it runs', async () => {
    const project = join(scratch, 'project');
    writeFileSync(
      join(project, 'wrong.ts'),
      `import { createAgentKitClient } from '@agentkit/client';
const agentkit = createAgentKitClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k' });
await agentkit.POST('/v1/agents/{agentId}/run', { params: { path: { agentId: 'a' } }, body: { task_nam: 'typo' } });
`,
    );
    const strict = await run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--types', 'node', 'wrong.ts'], { cwd: project }).then(
      () => '',
      (err: { stdout?: string }) => err.stdout ?? '',
    );
    expect(strict).toMatch(/wrong\.ts.*error TS/);
  }, 60_000);
});
