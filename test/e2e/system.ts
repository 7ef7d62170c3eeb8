import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentKitClient, type AgentKitClient } from '../../src/client/agentkit.js';
import { eventually } from '../support/receiver.js';
import { freePort, startAgentKitProcess, startTsProcess, type RunningProcess } from '../support/processes.js';

export const AGENTKIT_KEY = 'e2e-agentkit-key';
export const OPSCORE_KEY = 'e2e-opscore-key';
export const WEBHOOK_SECRET = 'whsec_ZTJlLXdlYmhvb2stc2VjcmV0LWZvci10ZXN0cw==';

export interface StateRecord {
  state: string;
  details: Record<string, unknown> | null;
  timestamp: string;
}

/** AgentKit, the reference Ops-Core and the example agent, each a real process on 127.0.0.1. */
export class System {
  opsCore!: RunningProcess;
  agentKit!: RunningProcess;
  agent: RunningProcess | null = null;
  client!: AgentKitClient;
  readonly #dir = mkdtempSync(join(tmpdir(), 'agentkit-e2e-'));
  #opsCorePort = 0;

  async start(agentKitEnv: Record<string, string> = {}): Promise<this> {
    this.#opsCorePort = await freePort();
    this.opsCore = await startTsProcess(
      'src/opscore-reference/main.ts',
      { OPSCORE_PORT: String(this.#opsCorePort), OPSCORE_API_KEY: OPSCORE_KEY, OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET, LOG_LEVEL: 'warn' },
      this.#opsCorePort,
      '/health',
    );
    this.agentKit = await startAgentKitProcess({
      AGENTKIT_DB: join(this.#dir, 'agentkit.db'),
      AGENTKIT_API_KEYS: AGENTKIT_KEY,
      AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1',
      OPSCORE_WEBHOOK_URL: `${this.opsCore.url}/v1/opscore/internal/agent/notify`,
      OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      OPSCORE_API_URL: this.opsCore.url,
      OPSCORE_API_KEY: OPSCORE_KEY,
      AGENTKIT_WEBHOOK_RETRY_SCHEDULE: '0,0.2,0.5,1,1,1,1,1,1,1',
      ...agentKitEnv,
    });
    this.client = createAgentKitClient({ baseUrl: this.agentKit.url, apiKey: AGENTKIT_KEY });
    return this;
  }

  /** Starts examples/echo-agent.ts and waits until it has registered. */
  async startAgent(agentId: string): Promise<RunningProcess> {
    const port = await freePort();
    this.agent = await startTsProcess(
      'examples/echo-agent.ts',
      {
        AGENTKIT_URL: this.agentKit.url,
        AGENTKIT_API_KEY: AGENTKIT_KEY,
        OPSCORE_API_URL: this.opsCore.url,
        OPSCORE_API_KEY: OPSCORE_KEY,
        AGENT_PORT: String(port),
        AGENT_ID: agentId,
        LOG_LEVEL: 'warn',
      },
      port,
      '/healthz',
    );
    await eventually(async () => ((await this.client.GET('/v1/agents/{agentId}', { params: { path: { agentId } } })).data ? true : undefined), 20_000, 'the agent to register');
    return this.agent;
  }

  async states(agentId: string): Promise<StateRecord[]> {
    const res = await fetch(`${this.opsCore.url}/_reference/received`);
    const body = (await res.json()) as { states: Record<string, StateRecord[]> };
    return body.states[agentId] ?? [];
  }

  /** The agent's states that name `taskId`, in arrival order. */
  async taskStates(agentId: string, taskId: string): Promise<StateRecord[]> {
    return (await this.states(agentId)).filter((s) => s.details?.taskId === taskId);
  }

  async fault(spec: Record<string, unknown> | null): Promise<void> {
    const res = await fetch(`${this.opsCore.url}/_reference/faults`, {
      method: spec ? 'POST' : 'DELETE',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPSCORE_KEY}` },
      ...(spec ? { body: JSON.stringify(spec) } : {}),
    });
    if (!res.ok) throw new Error(`fault injection failed: ${res.status} ${await res.text()}`);
  }

  async dispatch(agentId: string, body: { task_name: string; parameters?: Record<string, unknown>; timeout_seconds?: number; opscore_task_id?: string; opscore_session_id?: string }) {
    const { data, response } = await this.client.POST('/v1/agents/{agentId}/run', { params: { path: { agentId } }, body });
    if (response.status !== 202 || !data) throw new Error(`dispatch answered ${response.status}`);
    return data;
  }

  async stop(): Promise<void> {
    await this.agent?.kill('SIGTERM');
    await this.agentKit?.kill('SIGTERM');
    await this.opsCore?.kill('SIGTERM');
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
