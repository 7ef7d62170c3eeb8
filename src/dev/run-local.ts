#!/usr/bin/env node
/**
 * `make run`: the whole system on this machine, for a newcomer. Starts the reference
 * Ops-Core, AgentKit (SQLite under ./data) and the example echo agent on 127.0.0.1 with
 * generated development secrets, prints the URLs and a command that dispatches a task and
 * follows it to its end. Ctrl-C stops everything (agent first, so it deregisters).
 *
 * Environment (all optional): AGENTKIT_PORT (8080), OPSCORE_PORT (8000), AGENT_PORT (9000),
 * RUN_DATA_DIR (./data), LOG_LEVEL (warn).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { packageRoot } from '../spec-files.js';
import { SERVICE_NODE_FLAGS } from '../config/node-flags.js';

interface DevSecrets {
  /** AgentKit key with the admin role (the CLI's, the operator's). */
  agentKitApiKey: string;
  /** AgentKit key with the dispatcher role: what Ops-Core holds. */
  dispatcherKey: string;
  /** AgentKit key with the agent role: agents register with it, then use their own credential. */
  registrationKey: string;
  opsCoreApiKey: string;
  webhookSecret: string;
}

const root = packageRoot();
const dataDir = resolve(process.env.RUN_DATA_DIR ?? join(root, 'data'));
const ports = {
  agentkit: Number(process.env.AGENTKIT_PORT ?? 8080),
  opscore: Number(process.env.OPSCORE_PORT ?? 8000),
  agent: Number(process.env.AGENT_PORT ?? 9000),
};
const logLevel = process.env.LOG_LEVEL ?? 'warn';
const AGENT_ID = 'echo-agent';

/** Development secrets, generated once and kept in the data directory (git-ignored). */
function devSecrets(): DevSecrets {
  const file = join(dataDir, 'dev-secrets.json');
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>) : {};
  const key = (prefix: string) => `${prefix}_${randomBytes(16).toString('hex')}`;
  // Files from before roles lack some keys: those are added, the others kept.
  const secrets: DevSecrets = {
    agentKitApiKey: kept.agentKitApiKey ?? key('ak_dev'),
    dispatcherKey: kept.dispatcherKey ?? key('ak_dispatch'),
    registrationKey: kept.registrationKey ?? key('ak_register'),
    opsCoreApiKey: kept.opsCoreApiKey ?? key('oc_dev'),
    webhookSecret: kept.webhookSecret ?? `whsec_${randomBytes(24).toString('base64')}`,
  };
  if (JSON.stringify(kept) === JSON.stringify(secrets)) return secrets;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** A compiled entry point when built (make run builds first), else the TypeScript source. */
function entry(path: string, nodeFlags: readonly string[] = []): string[] {
  const compiled = join(root, 'dist', path.replace(/\.ts$/, '.js'));
  return [...nodeFlags, ...(existsSync(compiled) ? [compiled] : ['--import', 'tsx', join(root, path)])];
}

const children: { name: string; child: ChildProcess }[] = [];

function start(name: string, path: string, env: Record<string, string>, readyLine?: RegExp, nodeFlags: readonly string[] = []): Promise<string | null> {
  const child = spawn(process.execPath, entry(path, nodeFlags), { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push({ name, child });
  const prefix = `[${name}]`.padEnd(12);
  let matched: ((line: string) => void) | null = null;
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (readyLine && matched && readyLine.test(line)) return matched(line);
      process.stdout.write(`${prefix} ${line}\n`);
    });
  }
  return new Promise((resolveReady, reject) => {
    child.once('exit', (code) => {
      if (!stopping) {
        console.error(`${prefix} exited with code ${code}; stopping everything.`);
        void stopAll(1);
      }
      reject(new Error(`${name} exited with code ${code}`));
    });
    if (readyLine) matched = (line) => resolveReady(line);
    else resolveReady(null);
  });
}

async function waitForHttp(url: string, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not come up at ${url} within ${timeoutMs / 1000} s`);
}

let stopping = false;
async function stopAll(code: number): Promise<never> {
  stopping = true;
  // Agent first (it flushes its reports and deregisters), then AgentKit, then Ops-Core.
  for (const { child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  process.exit(code);
}

async function main(): Promise<void> {
  for (const [name, port] of Object.entries(ports)) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name.toUpperCase()}_PORT must be a port number`);
  }
  const s = devSecrets();
  const opsCoreUrl = `http://127.0.0.1:${ports.opscore}`;
  const agentKitUrl = `http://127.0.0.1:${ports.agentkit}`;

  void start('opscore', 'src/opscore-reference/main.ts', {
    OPSCORE_PORT: String(ports.opscore),
    OPSCORE_HOST: '127.0.0.1',
    OPSCORE_API_KEY: s.opsCoreApiKey,
    OPSCORE_WEBHOOK_SECRET: s.webhookSecret,
    LOG_LEVEL: logLevel,
  }).catch(() => undefined);
  await waitForHttp(`${opsCoreUrl}/health`, 'The reference Ops-Core');

  void start('agentkit', 'src/main.ts', {
    PORT: String(ports.agentkit),
    HOST: '127.0.0.1',
    AGENTKIT_DB: join(dataDir, 'agentkit.db'),
    AGENTKIT_API_KEYS: `admin:${s.agentKitApiKey},dispatcher:${s.dispatcherKey},agent:${s.registrationKey}`,
    AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1',
    OPSCORE_WEBHOOK_URL: `${opsCoreUrl}/v1/opscore/internal/agent/notify`,
    OPSCORE_WEBHOOK_SECRET: s.webhookSecret,
    OPSCORE_API_URL: opsCoreUrl,
    OPSCORE_API_KEY: s.opsCoreApiKey,
    LOG_LEVEL: logLevel,
  }, undefined, SERVICE_NODE_FLAGS).catch(() => undefined);
  await waitForHttp(`${agentKitUrl}/readyz`, 'AgentKit');

  await start(
    'agent',
    'examples/echo-agent.ts',
    {
      AGENTKIT_URL: agentKitUrl,
      AGENTKIT_API_KEY: s.registrationKey,
      // Its own credential, kept across runs: a registration key cannot re-register an existing id.
      AGENTKIT_AGENT_CREDENTIAL_FILE: join(dataDir, 'echo-agent.credential'),
      OPSCORE_API_URL: opsCoreUrl,
      OPSCORE_API_KEY: s.opsCoreApiKey,
      AGENT_PORT: String(ports.agent),
      AGENT_ID,
      LOG_LEVEL: logLevel,
    },
    /"event":"agent-started"/,
  );

  const cli = existsSync(join(root, 'dist', 'src', 'cli', 'main.js')) ? 'node dist/src/cli/main.js' : 'npx tsx src/cli/main.ts';
  const command = `${cli} --url ${agentKitUrl} --api-key ${s.agentKitApiKey} run ${AGENT_ID} echo --param message=hello --wait`;
  console.log(`
AgentKit is running (Ctrl-C stops everything):
  AgentKit API       ${agentKitUrl}
    admin key        ${s.agentKitApiKey}   (the CLI below; everything)
    dispatcher key   ${s.dispatcherKey}   (what Ops-Core holds: dispatch, cancel, read, redeliver)
    registration key ${s.registrationKey}   (the example agent registers with it, then uses its own agentToken)
  API reference      ${agentKitUrl}/docs
  Operator console   ${agentKitUrl}/console   (sign in with the admin or dispatcher key)
  Metrics            ${agentKitUrl}/metrics
  Reference Ops-Core ${opsCoreUrl}/_reference   (what Ops-Core received; a stand-in, not Ops-Core)
  Example agent      ${AGENT_ID} on http://127.0.0.1:${ports.agent}
  Data               ${dataDir} (SQLite; development secrets in dev-secrets.json)

Dispatch a task and watch it finish (in another terminal, from ${root}):
  $ ${command}

Or with curl:
  $ curl -s -X POST ${agentKitUrl}/v1/agents/${AGENT_ID}/run -H 'Authorization: Bearer ${s.dispatcherKey}' -H 'Content-Type: application/json' -d '{"task_name":"echo","parameters":{"message":"hello"}}'
`);
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));
main().catch((err: unknown) => {
  console.error(`make run: ${err instanceof Error ? err.message : String(err)}`);
  void stopAll(1);
});
