import type { AgentOptions, RetryOptions, TaskHandlers } from './types.js';

/** Configuration is missing or wrong; the message names the option and environment variable. */
export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

export interface ResolvedRetry {
  minDelayMs: number;
  maxDelayMs: number;
  retryForMs: number;
  notFoundRetryForMs: number;
  maxRetryAfterMs: number;
  requestTimeoutMs: number;
}

/** How often a running task's heartbeat goes to AgentKit when the options do not say, s. */
export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 10;

export interface ResolvedConfig {
  agentId: string | undefined;
  name: string;
  version: string;
  capabilities: string[];
  metadata: Record<string, unknown>;
  handlers: TaskHandlers;
  port: number;
  host: string;
  publicUrl: string | undefined;
  taskPath: string;
  agentKitUrl: string;
  agentKitApiKey: string;
  /** The agent's own credential, when it starts with one (else it gets one by registering). */
  agentToken: string | null;
  /** Where the agent keeps its credential across restarts; null: it does not. */
  credentialFile: string | null;
  opsCoreUrl: string;
  opsCoreApiKey: string;
  signingSecret: string | undefined;
  concurrency: number;
  /** Null: the agent declares no heartbeats. */
  heartbeatIntervalSeconds: number | null;
  abortGraceMs: number;
  rememberTasks: number;
  signatureToleranceSeconds: number;
  maxBodyBytes: number;
  registerRetryForMs: number;
  deregisterOnStop: boolean;
  opsCoreRetry: ResolvedRetry;
  agentKitRetry: ResolvedRetry;
}

function retry(options: RetryOptions | undefined, notFoundDefault: number): ResolvedRetry {
  return {
    minDelayMs: options?.minDelayMs ?? 250,
    maxDelayMs: options?.maxDelayMs ?? 10_000,
    retryForMs: options?.retryForMs ?? 3_600_000,
    notFoundRetryForMs: options?.notFoundRetryForMs ?? notFoundDefault,
    maxRetryAfterMs: options?.maxRetryAfterMs ?? 60_000,
    requestTimeoutMs: options?.requestTimeoutMs ?? 10_000,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Merges options with the environment and checks everything `start()` needs. Collects every
 * problem and throws one {@link AgentConfigError} naming each missing variable.
 */
export function resolveConfig(options: AgentOptions): ResolvedConfig {
  const env = options.env ?? process.env;
  const problems: string[] = [];

  const fromEnv = (given: string | undefined, variable: string, option: string): string => {
    const value = given ?? env[variable];
    if (value === undefined || value.trim() === '') {
      problems.push(`${variable} is not set (set the environment variable or the \`${option}\` option)`);
      return '';
    }
    return value.trim();
  };
  const agentKitUrl = fromEnv(options.agentKitUrl, 'AGENTKIT_URL', 'agentKitUrl');
  const agentToken = (options.agentToken ?? env.AGENTKIT_AGENT_TOKEN)?.trim() || null;
  const agentKitApiKey = agentToken !== null ? (options.agentKitApiKey ?? env.AGENTKIT_API_KEY ?? '').trim() : fromEnv(options.agentKitApiKey, 'AGENTKIT_API_KEY', 'agentKitApiKey');
  const opsCoreUrl = fromEnv(options.opsCoreUrl, 'OPSCORE_API_URL', 'opsCoreUrl');
  const opsCoreApiKey = fromEnv(options.opsCoreApiKey, 'OPSCORE_API_KEY', 'opsCoreApiKey');
  if (agentKitUrl && !isHttpUrl(agentKitUrl)) problems.push(`AGENTKIT_URL is not an http(s) URL: ${agentKitUrl}`);
  if (opsCoreUrl && !isHttpUrl(opsCoreUrl)) problems.push(`OPSCORE_API_URL is not an http(s) URL: ${opsCoreUrl}`);
  if (options.publicUrl !== undefined && !isHttpUrl(options.publicUrl)) {
    problems.push(`publicUrl is not an http(s) URL: ${options.publicUrl}`);
  }

  if (!options.name) problems.push('`name` is required');
  if (!options.version) problems.push('`version` is required');
  const handlers = options.handlers ?? {};
  const names = Object.keys(handlers);
  if (names.length === 0) problems.push('`handlers` must name at least one task handler');
  for (const name of names) {
    if (typeof handlers[name] !== 'function') problems.push(`handler \`${name}\` is not a function`);
  }
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) problems.push('`concurrency` must be an integer >= 1');
  const heartbeat = options.heartbeatIntervalSeconds === undefined ? DEFAULT_HEARTBEAT_INTERVAL_SECONDS : options.heartbeatIntervalSeconds;
  if (heartbeat !== null && (!Number.isInteger(heartbeat) || heartbeat < 1 || heartbeat > 3600)) {
    problems.push('`heartbeatIntervalSeconds` must be an integer from 1 to 3600, or null for none');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push('`port` must be an integer from 0 to 65535');
  if (options.signingSecret !== undefined && options.signingSecret === '') problems.push('`signingSecret` must not be empty');

  if (problems.length > 0) {
    throw new AgentConfigError(`Agent configuration is incomplete:\n  - ${problems.join('\n  - ')}`);
  }

  const taskPath = options.taskPath ?? '/tasks';
  return {
    agentId: options.agentId,
    name: options.name,
    version: options.version,
    capabilities: options.capabilities ?? names,
    metadata: options.metadata ?? {},
    handlers,
    port,
    host: options.host ?? '127.0.0.1',
    publicUrl: options.publicUrl?.replace(/\/+$/, ''),
    taskPath: taskPath.startsWith('/') ? taskPath : `/${taskPath}`,
    agentKitUrl,
    agentKitApiKey,
    agentToken,
    credentialFile: (options.credentialFile ?? env.AGENTKIT_AGENT_CREDENTIAL_FILE)?.trim() || null,
    opsCoreUrl,
    opsCoreApiKey,
    signingSecret: options.signingSecret,
    concurrency,
    heartbeatIntervalSeconds: heartbeat,
    abortGraceMs: options.abortGraceMs ?? 5_000,
    rememberTasks: options.rememberTasks ?? 10_000,
    signatureToleranceSeconds: options.signatureToleranceSeconds ?? 300,
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
    registerRetryForMs: options.registerRetryForMs ?? 60_000,
    deregisterOnStop: options.deregisterOnStop ?? true,
    opsCoreRetry: retry(options.opsCoreRetry, 300_000),
    // AgentKit created the task, so a 404 there will not heal: no 404 retry by default.
    agentKitRetry: retry(options.agentKitRetry, 0),
  };
}
