import type { AgentStateUpdatePayload, TaskEnvelope, TaskError } from '@agentkit/client';
import type { TaskCanceledError } from './task-canceled.js';

/** The spec's types the SDK works with, as @agentkit/client defines them. */
export type { AgentRegistrationRequest, RegisteredAgent, TaskAcceptance, TaskCancelNotice, TaskEnvelope, TaskReport } from '@agentkit/client';
/** The error part of a failed task (the spec's `TaskError`). */
export type TaskErrorBody = TaskError;
/** A state report to Ops-Core (Ops-Core's `AgentStateUpdatePayload`). */
export type AgentStateUpdate = AgentStateUpdatePayload;

/**
 * The states the SDK reports to Ops-Core. Ops-Core only dispatches to `idle` agents. A task
 * ends `finished`, `error` or `canceled` (a cancel, not a failure to retry), then `idle` follows.
 */
export type AgentState = 'idle' | 'active' | 'finished' | 'error' | 'canceled';

/**
 * A structured logger; pino's `Logger` fits. Every method takes a context object first and
 * an optional message.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: Record<string, unknown>): Logger;
}

/** What a handler gets besides the task's parameters. */
export interface TaskContext {
  /** AgentKit's id of the task. */
  taskId: string;
  /** This agent's id. */
  agentId: string;
  /** The handler's name, as dispatched. */
  taskName: string;
  /** Ops-Core's task id, when Ops-Core gave one. */
  opscoreTaskId: string | null;
  /** Ops-Core's session id, when Ops-Core gave one. */
  opscoreSessionId: string | null;
  /** Which delivery attempt brought the task (the handler runs once whatever the count). */
  attempt: number;
  /** When the task must be over (from `deadline` or `dispatchedAt` + `timeout_seconds`); null without a timeout. */
  deadline: Date | null;
  /**
   * Fires when the task is canceled (reason: a {@link TaskCanceledError}), when the deadline
   * passes (a `TimeoutError` DOMException) or when the agent stops (an `AbortError` DOMException).
   */
  signal: AbortSignal;
  /** The agent's logger, bound to this task. */
  logger: Logger;
  /**
   * Reports progress to AgentKit: `percent` from 0 to 100 (clamped), an optional message
   * (at most 2000 characters). Ignored once the task has an outcome.
   */
  progress(percent: number, message?: string): void;
  /**
   * Sends a heartbeat now, with `details` (any JSON object, kept on the task as `heartbeat`).
   * The SDK sends heartbeats on its own every `heartbeatIntervalSeconds` while the handler runs
   * (a progress report counts as one); call this to attach details. Ignored once the task has
   * an outcome.
   */
  heartbeat(details?: Record<string, unknown>): void;
  /** The delivery as received. */
  envelope: TaskEnvelope;
}

/**
 * Runs one kind of task. The returned value (any JSON) is the task's result; throwing fails
 * the task (an error's string `code` property, if any, becomes the error code, else
 * `handler_error`).
 */
export type TaskHandler = (parameters: Record<string, unknown>, context: TaskContext) => unknown;

/** Handlers by `task_name`. */
export type TaskHandlers = Record<string, TaskHandler>;

/** Retry behaviour of outgoing reports. */
export interface RetryOptions {
  /** First delay between attempts, in ms. Default 250. */
  minDelayMs?: number;
  /** Longest delay between attempts, in ms. Default 10 000. */
  maxDelayMs?: number;
  /** How long one report is retried on network errors, 5xx and 429, in ms. Default 3 600 000 (one hour). */
  retryForMs?: number;
  /** How long a 404 (agent not yet known to Ops-Core) is retried, in ms. Default 300 000 (five minutes). */
  notFoundRetryForMs?: number;
  /** The longest `Retry-After` honoured, in ms. Default 60 000. */
  maxRetryAfterMs?: number;
  /** Timeout of one HTTP attempt, in ms. Default 10 000. */
  requestTimeoutMs?: number;
}

export interface AgentOptions {
  /** The agent's id. Default: AgentKit assigns a UUID at registration. */
  agentId?: string;
  /** Human-readable name (`agentName`). Required. */
  name: string;
  /** Version of the agent's own software. Required. */
  version: string;
  /** What the agent can do. Default: the handlers' names. */
  capabilities?: string[];
  /** Free-form information about the agent. Default `{}`. */
  metadata?: Record<string, unknown>;
  /** Handlers by `task_name`. Required, at least one. */
  handlers: TaskHandlers;
  /** Port of the task endpoint. Default 0 (any free port). */
  port?: number;
  /** Interface of the task endpoint. Default `127.0.0.1`. */
  host?: string;
  /** Base URL at which AgentKit reaches this agent, e.g. behind a proxy. Default `http://<host>:<port>`. */
  publicUrl?: string;
  /** Path of the task endpoint. Default `/tasks`. */
  taskPath?: string;
  /** AgentKit's base URL. Default: env `AGENTKIT_URL`. */
  agentKitUrl?: string;
  /**
   * The AgentKit key the agent registers with: a registration key (role `agent`) or any key that
   * may register. After registration the agent uses the credential (`agentToken`) AgentKit
   * returned. Default: env `AGENTKIT_API_KEY`.
   */
  agentKitApiKey?: string;
  /**
   * The agent's own credential from an earlier registration, to register again with the same
   * `agentId` (a registration key cannot take over an existing id). Default: env
   * `AGENTKIT_AGENT_TOKEN`; either this or `agentKitApiKey` is needed.
   */
  agentToken?: string;
  /**
   * A file in which the agent keeps its credential across restarts (written with mode 0600 after
   * each registration that issues one, read at start). Default: env
   * `AGENTKIT_AGENT_CREDENTIAL_FILE`; none.
   */
  credentialFile?: string;
  /** Ops-Core's base URL; a path prefix is kept. Default: env `OPSCORE_API_URL`. */
  opsCoreUrl?: string;
  /** Ops-Core's API key, sent as a Bearer token. Default: env `OPSCORE_API_KEY`. */
  opsCoreApiKey?: string;
  /**
   * The agent's signing secret, when the agent keeps it across restarts. Default: none, and
   * the SDK asks AgentKit for a fresh one at each start (`rotateSigningSecret`).
   */
  signingSecret?: string;
  /**
   * How many tasks run at the same time. Declared to AgentKit as `maxConcurrentTasks`, so that
   * AgentKit sends no more than that at once (the rest wait there, in dispatch order). Default 1.
   */
  concurrency?: number;
  /**
   * How often a running task's heartbeat goes to AgentKit, in seconds (1-3600), declared at
   * registration: AgentKit fails a task it hears nothing of for three intervals (its agent may
   * have died), so Ops-Core hears of it. Null: no heartbeats, and no such check. Default 10.
   */
  heartbeatIntervalSeconds?: number | null;
  /** How long to wait for a handler to settle after its signal fired, in ms, before freeing its slot. Default 5 000. */
  abortGraceMs?: number;
  /** How many finished task ids are remembered to spot duplicate deliveries. Default 10 000. */
  rememberTasks?: number;
  /** Accepted clock difference for delivery signatures, in seconds. Default 300. */
  signatureToleranceSeconds?: number;
  /** Largest delivery body accepted, in bytes. Default 1 048 576. */
  maxBodyBytes?: number;
  /** How long `start()` keeps retrying registration while AgentKit is unreachable or answers 5xx/429, in ms. Default 60 000. */
  registerRetryForMs?: number;
  /** Deregister from AgentKit in `stop()`. Default true. */
  deregisterOnStop?: boolean;
  /** Retry behaviour of state reports to Ops-Core. */
  opsCoreRetry?: RetryOptions;
  /** Retry behaviour of task reports to AgentKit. */
  agentKitRetry?: RetryOptions;
  /** Logger. Default: pino at `LOG_LEVEL` (default `info`). */
  logger?: Logger;
  /** fetch used for AgentKit and Ops-Core calls. Default: the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Where configuration is read from when an option is missing. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** What `start()` resolves to. */
export interface StartedAgent {
  /** The agent's id (given, or assigned by AgentKit). */
  agentId: string;
  /** The URL registered as `contactEndpoint`. */
  contactEndpoint: string;
  /** The local URL the task server listens on. */
  url: string;
}

export interface StopOptions {
  /** How long stopping may take, in ms, reports included. Default 10 000. */
  timeoutMs?: number;
}

export interface Agent {
  /** Serves the task endpoint, registers with AgentKit and reports `idle` to Ops-Core. */
  start(): Promise<StartedAgent>;
  /** Aborts running tasks, flushes pending reports (up to the deadline), deregisters, closes the server. */
  stop(options?: StopOptions): Promise<void>;
  /** Resolves true once every queued report was sent (or given up), false if `timeoutMs` passed first. */
  flushReports(timeoutMs?: number): Promise<boolean>;
  /** The agent's id once started (or as given). */
  readonly agentId: string | undefined;
  /** Tasks running now. */
  readonly runningTasks: number;
  /** Tasks waiting for a free slot. */
  readonly queuedTasks: number;
  /**
   * Asks AgentKit for a new signing secret and verifies deliveries with it from now on; the
   * previous one is still accepted until AgentKit stops signing with it (its grace period).
   */
  rotateSigningSecret(options?: RotateOptions): Promise<{ previousSecretValidUntil: string | null }>;
  /** Asks AgentKit for a new agent credential and uses it (and keeps it in `credentialFile`) from now on. */
  rotateAgentToken(options?: RotateOptions): Promise<{ previousTokenValidUntil: string | null }>;
}

export interface RotateOptions {
  /** How long the replaced secret still holds, seconds (default: AgentKit's AGENTKIT_SECRET_ROTATION_GRACE_S); 0: not at all. */
  graceSeconds?: number;
}
