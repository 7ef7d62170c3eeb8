// Starts a reference Ops-Core, a fake AgentKit and an SDK agent over real HTTP on 127.0.0.1.
import { createAgent, type Agent, type AgentOptions, type Logger, type StartedAgent } from '../../../src/sdk/index.js';
import { createOpsCoreReference, type OpsCoreReference, type RunningReference, type StateRecord } from '../../../src/opscore-reference/index.js';
import { eventually } from '../../support/receiver.js';
import { FakeAgentKit } from './fake-agentkit.js';

export const AGENTKIT_KEY = 'agentkit-test-key';
export const OPSCORE_KEY = 'opscore-test-key';

/** Short delays so retry tests take milliseconds, not minutes. */
export const fastRetry = { minDelayMs: 10, maxDelayMs: 100, retryForMs: 30_000, notFoundRetryForMs: 10_000, requestTimeoutMs: 2_000 };

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps what it is told, for assertions. */
export function captureLogger(records: LogRecord[] = []): Logger & { records: LogRecord[] } {
  const at =
    (level: LogRecord['level'], bound: Record<string, unknown>) =>
    (obj: object, msg?: string) => {
      records.push({ level, msg: msg ?? '', fields: { ...bound, ...(obj as Record<string, unknown>) } });
    };
  const make = (bound: Record<string, unknown>): Logger & { records: LogRecord[] } => ({
    records,
    debug: at('debug', bound),
    info: at('info', bound),
    warn: at('warn', bound),
    error: at('error', bound),
    child: (more) => make({ ...bound, ...more }),
  });
  return make({});
}

export interface TestSystem {
  opsCore: OpsCoreReference;
  /** The reference Ops-Core's server; a test that restarts it assigns the new one here. */
  opsCoreServer: RunningReference;
  agentKit: FakeAgentKit;
  agent: Agent;
  started: StartedAgent;
  logs: LogRecord[];
  /** State updates Ops-Core accepted for the agent, in arrival order. */
  states(): StateRecord[];
  /** Waits until Ops-Core holds at least `count` states of the agent and returns their names. */
  waitForStates(count: number, timeoutMs?: number): Promise<string[]>;
  stop(): Promise<void>;
}

export interface SystemOptions {
  agent?: Partial<AgentOptions>;
  /** Whether the fake AgentKit tells Ops-Core about registrations. Default true. */
  notifyOpsCore?: boolean;
}

export async function startSystem(options: SystemOptions = {}): Promise<TestSystem> {
  const opsCore = createOpsCoreReference({ apiKey: OPSCORE_KEY, logger: captureLogger() });
  const opsCoreServer = await opsCore.start();
  const agentKit = await new FakeAgentKit({
    apiKey: AGENTKIT_KEY,
    ...(options.notifyOpsCore === false ? {} : { opsCoreUrl: opsCoreServer.url }),
  }).start();
  const logger = captureLogger();
  const agent = createAgent({
    name: 'test-agent',
    version: '1.0.0',
    handlers: { echo: (parameters) => parameters },
    agentKitUrl: agentKit.url,
    agentKitApiKey: AGENTKIT_KEY,
    opsCoreUrl: opsCoreServer.url,
    opsCoreApiKey: OPSCORE_KEY,
    opsCoreRetry: fastRetry,
    agentKitRetry: fastRetry,
    env: {},
    logger,
    ...options.agent,
  });
  const started = await agent.start();
  const states = () => opsCore.received().states[started.agentId] ?? [];
  const system: TestSystem = {
    opsCore,
    opsCoreServer,
    agentKit,
    agent,
    started,
    logs: logger.records,
    states,
    waitForStates: (count, timeoutMs = 10_000) =>
      eventually(() => (states().length >= count ? states().map((s) => s.state) : undefined), timeoutMs, `${count} states at Ops-Core (have ${states().map((s) => s.state).join(', ')})`),
    async stop() {
      await agent.stop({ timeoutMs: 5_000 });
      await agentKit.stop();
      await system.opsCoreServer.close();
    },
  };
  return system;
}
