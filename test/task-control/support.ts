// Pieces the task-control tests share: the reference Ops-Core in this process, AgentKit as a child
// process (SQLite) or two replicas (PostgreSQL), the example agent as a killable process, a plain
// agent that answers 200 and reports only to Ops-Core (as Ops-Core's own test agent does), and
// readers of what Ops-Core received about a task.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpsCoreReference, type OpsCoreReference, type RunningReference, type StateRecord } from '../../src/opscore-reference/index.js';
import { AGENTKIT_KEY, api, keepingLogger, OPSCORE_KEY, opsCoreEnv, until, WEBHOOK_SECRET } from '../faults/support.js';
import { freePort, startAgentKitProcess, startTsProcess, type RunningProcess } from '../support/processes.js';
import { startReplicas, type Replicas } from '../support/replicas.js';

export { AGENTKIT_KEY, api, OPSCORE_KEY, until };

/** What the task-control tests set for AgentKit: short graces, quick retries, a fast watchdog. */
export const CONTROL_ENV = {
  AGENTKIT_API_KEYS: AGENTKIT_KEY,
  AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1',
  AGENTKIT_MISSED_HEARTBEATS: '2',
  AGENTKIT_CANCEL_GRACE_MS: '1500',
  AGENTKIT_WEBHOOK_RETRY_SCHEDULE: '0,0.2,0.5,1,1,1,1,1',
  AGENTKIT_TASK_RETRY_SCHEDULE: '0,0.2,0.5,1,1,1,1,1',
  AGENTKIT_DELIVERY_TIMEOUT_MS: '3000',
};

export interface ControlSystem {
  opsCore: OpsCoreReference;
  opsCoreServer: RunningReference;
  /** AgentKit's base URLs: one on SQLite, two replicas on PostgreSQL. */
  urls: string[];
  /** The AgentKit processes, in `urls` order. */
  processes: RunningProcess[];
  stop(): Promise<void>;
}

/** The reference Ops-Core, then AgentKit on a fresh SQLite file (`replicas` 0) or `replicas` processes on one PostgreSQL schema. */
export async function startControlSystem(options: { replicas?: number; env?: Record<string, string> } = {}): Promise<ControlSystem> {
  const opsCore = createOpsCoreReference({ apiKey: OPSCORE_KEY, webhookSecret: WEBHOOK_SECRET, logger: keepingLogger() });
  const opsCoreServer = await opsCore.start();
  const env = { ...CONTROL_ENV, ...opsCoreEnv(opsCoreServer.url), ...options.env };
  if (options.replicas) {
    const replicas: Replicas = await startReplicas(options.replicas, env);
    return {
      opsCore,
      opsCoreServer,
      urls: replicas.urls,
      processes: replicas.processes,
      async stop() {
        await replicas.stop();
        await opsCoreServer.close();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'agentkit-control-'));
  const agentKit = await startAgentKitProcess({ ...env, AGENTKIT_DB: join(dir, 'agentkit.db') });
  return {
    opsCore,
    opsCoreServer,
    urls: [agentKit.url],
    processes: [agentKit],
    async stop() {
      await agentKit.kill('SIGKILL');
      await opsCoreServer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** examples/echo-agent.ts as its own process (so it can be SIGKILLed), registered through `agentKitUrl`. */
export async function startExampleAgent(options: { agentId: string; agentKitUrl: string; opsCoreUrl: string; heartbeatSeconds: number | null; concurrency?: number }): Promise<RunningProcess> {
  const port = await freePort();
  const agent = await startTsProcess(
    'examples/echo-agent.ts',
    {
      AGENTKIT_URL: options.agentKitUrl,
      AGENTKIT_API_KEY: AGENTKIT_KEY,
      OPSCORE_API_URL: options.opsCoreUrl,
      OPSCORE_API_KEY: OPSCORE_KEY,
      AGENT_PORT: String(port),
      AGENT_ID: options.agentId,
      AGENT_CONCURRENCY: String(options.concurrency ?? 1),
      AGENT_HEARTBEAT_INTERVAL_S: options.heartbeatSeconds === null ? 'none' : String(options.heartbeatSeconds),
      LOG_LEVEL: 'warn',
    },
    port,
    '/healthz',
  );
  await until(async () => (await api(options.agentKitUrl, 'GET', `/v1/agents/${options.agentId}`)).status === 200, 20_000, () => `agent ${options.agentId} to register:\n${agent.output()}`);
  return agent;
}

/**
 * An agent that does not use the SDK, as Ops-Core's test agent does: it answers a task delivery
 * 200 with a JSON body, and reports `active` then `idle` straight to Ops-Core, never to AgentKit.
 * Its cancel notices are answered as `onCancel` says (default 500: it does not understand them).
 */
export class PlainAgent {
  readonly received: string[] = [];
  readonly cancelNotices: string[] = [];
  #server: Server | null = null;
  url = '';

  constructor(
    readonly agentId: string,
    readonly opsCoreUrl: string,
    readonly onCancel: number = 500,
  ) {}

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url?.endsWith('/cancel')) {
          this.cancelNotices.push(req.url);
          res.writeHead(this.onCancel).end();
          return;
        }
        const task = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { taskId: string };
        this.received.push(task.taskId);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: true }));
        void this.#report(task.taskId);
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/tasks`;
    return this;
  }

  async #report(taskId: string): Promise<void> {
    for (const state of ['active', 'idle']) {
      await fetch(`${this.opsCoreUrl}/v1/opscore/agent/${this.agentId}/state`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPSCORE_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ agentId: this.agentId, state, timestamp: new Date().toISOString(), details: state === 'active' ? { taskId } : null }),
      });
    }
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

export interface TaskBody {
  taskId: string;
  status: string;
  error?: { code?: string; message: string } | null;
  result?: unknown;
  cancelRequestedAt?: string | null;
  lateOutcome?: { status: string; at: string } | null;
  lastHeartbeatAt?: string | null;
}

/** Dispatches a task (no timeout unless given) and returns its id. */
export async function dispatch(baseUrl: string, agentId: string, taskName: string, parameters: Record<string, unknown> = {}): Promise<string> {
  const res = await api(baseUrl, 'POST', `/v1/agents/${agentId}/run`, { task_name: taskName, parameters });
  if (res.status !== 202) throw new Error(`dispatch answered ${res.status}: ${JSON.stringify(res.json)}`);
  return (res.json as { taskId: string }).taskId;
}

export async function getTask(baseUrl: string, taskId: string): Promise<TaskBody> {
  const res = await api(baseUrl, 'GET', `/v1/tasks/${taskId}`);
  if (res.status !== 200) throw new Error(`GET task answered ${res.status}`);
  return res.json as TaskBody;
}

/** Waits until the task's status is one of `statuses`; returns it. */
export async function taskReaches(baseUrl: string, taskId: string, statuses: string[], timeoutMs = 20_000): Promise<TaskBody> {
  let last: TaskBody | undefined;
  await until(async () => statuses.includes((last = await getTask(baseUrl, taskId)).status), timeoutMs, () => `task ${taskId} to be ${statuses.join(' or ')} (it is ${last?.status})`);
  return last!;
}

/** The states Ops-Core received from (or about) `agentId` that name `taskId`, in arrival order. */
export function taskStates(opsCore: OpsCoreReference, agentId: string, taskId: string): StateRecord[] {
  return (opsCore.received().states[agentId] ?? []).filter((s) => s.details?.taskId === taskId);
}

/** Every state Ops-Core received for `agentId`, in arrival order. */
export function agentStates(opsCore: OpsCoreReference, agentId: string): StateRecord[] {
  return opsCore.received().states[agentId] ?? [];
}
