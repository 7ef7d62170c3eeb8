// Set-up and tear-down shared by the fault scenarios: a temporary directory for AgentKit's
// database, AgentKit as a child process, the reference Ops-Core in this process, SDK agents,
// and whatever else a scenario started, all stopped and removed after the file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createOpsCoreReference, type OpsCoreReference, type RunningReference } from '../../src/opscore-reference/index.js';
import type { Agent, Logger } from '../../src/sdk/index.js';
import type { RunningProcess } from '../support/processes.js';
import type { Receiver } from '../support/receiver.js';
import { keepingLogger, OPSCORE_KEY, sdkAgent, startAgentKitOn, WEBHOOK_SECRET } from './support.js';

export interface FaultFixture {
  /** The temporary directory, removed after the file. */
  readonly dir: string;
  /** AgentKit's SQLite database in `dir`. */
  readonly db: string;
  /** AgentKit's process (the latest one started), SIGKILLed after the file. */
  agentKit: RunningProcess | null;
  /** The reference Ops-Core's listener, closed after the file. */
  opsCoreServer: RunningReference | null;
  /** An agent running as its own process, SIGKILLed after the file (before AgentKit). */
  agentProcess: RunningProcess | null;
  /** SDK agents in this process, stopped after the file (first). */
  readonly agents: Agent[];
  /** Test receivers, stopped after the file (after AgentKit and Ops-Core). */
  readonly receivers: Receiver[];
  /** Starts AgentKit on `port` (SIGKILL the previous one first to restart it) and keeps it in `agentKit`. */
  startAgentKit(port: number, env: Record<string, string>): Promise<RunningProcess>;
  /** Creates the reference Ops-Core with the suite's keys, starts it on a free port and keeps it in `opsCoreServer`. */
  startOpsCore(logger?: Logger): Promise<{ opsCore: OpsCoreReference; server: RunningReference }>;
  /** Starts `count` SDK agents `sdk-0`, `sdk-1`, ... one after the other, and keeps them in `agents`. */
  startSdkAgents(count: number, options: { agentKitUrl: string; opsCoreUrl: string; concurrency: number; logger: Logger }): Promise<Agent[]>;
}

/**
 * Creates the temporary directory (`<prefix>XXXXXX` under the system's) and registers the
 * tear-down: SDK agents, the agent process, AgentKit, Ops-Core, receivers, then the directory.
 * Call it at the top of a test file.
 */
export function faultFixture(prefix: string): FaultFixture {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const fixture: FaultFixture = {
    dir,
    db: join(dir, 'agentkit.db'),
    agentKit: null,
    opsCoreServer: null,
    agentProcess: null,
    agents: [],
    receivers: [],
    async startAgentKit(port, env) {
      fixture.agentKit = await startAgentKitOn(port, env);
      return fixture.agentKit;
    },
    async startOpsCore(logger = keepingLogger()) {
      const opsCore = createOpsCoreReference({ apiKey: OPSCORE_KEY, webhookSecret: WEBHOOK_SECRET, logger });
      const server = await opsCore.start();
      fixture.opsCoreServer = server;
      return { opsCore, server };
    },
    async startSdkAgents(count, options) {
      const started: Agent[] = [];
      for (let i = 0; i < count; i++) {
        const agent = sdkAgent({ agentId: `sdk-${i}`, ...options });
        fixture.agents.push(agent);
        started.push(agent);
        await agent.start();
      }
      return started;
    },
  };
  afterAll(async () => {
    await Promise.allSettled(fixture.agents.map((a) => a.stop({ timeoutMs: 3_000 })));
    await fixture.agentProcess?.kill('SIGKILL');
    await fixture.agentKit?.kill('SIGKILL');
    await fixture.opsCoreServer?.close();
    await Promise.allSettled(fixture.receivers.map((r) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  return fixture;
}
