import { createServer, type Server } from 'node:http';
import { createAgentKitClient, type AgentKitClient } from '@agentkit/client';
import { pino } from 'pino';
import { listen } from '../net/listen.js';
import { answerMalformedRequests } from '../net/malformed-requests.js';
import { AgentKitReporter } from './agentkit-reporter.js';
import { resolveConfig, type ResolvedConfig } from './config.js';
import { OpsCoreReporter } from './opscore-reporter.js';
import { registerDelivered } from './register-delivery.js';
import { AgentCredential } from './credential.js';
import { AgentRegistrationError, registerAgent } from './registration.js';
import { createReportTransport, type ReportTransport } from './report-transport.js';
import { SigningKeys } from './signing-keys.js';
import { createTaskEndpoint } from './task-endpoint.js';
import { TaskReports } from './task-reports.js';
import { TaskRunner } from './task-runner.js';
import type { Agent, AgentOptions, Logger, RotateOptions, StartedAgent, StopOptions } from './types.js';
import { createWebhookValidator } from './webhook-validator.js';

/** A promise settled from outside, that never counts as unhandled. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** What a started agent runs with. */
interface Running {
  config: ResolvedConfig;
  client: AgentKitClient;
  runner: TaskRunner;
  opsCore: OpsCoreReporter;
  agentKit: AgentKitReporter;
  reports: TaskReports;
  transports: ReportTransport[];
  server: Server;
}

/**
 * An agent's life: `start()` serves the task endpoint, registers with AgentKit and reports
 * `idle`; `stop()` aborts what runs, flushes the reports, deregisters and closes the server. The
 * pieces it wires: config.ts (options and environment), task-endpoint.ts (deliveries),
 * task-runner.ts (handlers), task-reports.ts (what the runner's events report), the reporters
 * and their queue (report-queue.ts), registration.ts and register-delivery.ts.
 */
class AgentInstance implements Agent {
  readonly #options: AgentOptions;
  readonly #logger: Logger;
  #agentId: string | undefined;
  #running: Running | undefined;
  #registered = false;
  #starting: Promise<StartedAgent> | undefined;
  #stopping: Promise<void> | undefined;
  readonly #cancelStart = new AbortController();
  #credential: AgentCredential | undefined;
  /** Settles once the agent knows its signing secret (deliveries wait for it). */
  readonly #verifier = deferred<SigningKeys>();
  #signingKeys: SigningKeys | undefined;

  constructor(options: AgentOptions) {
    this.#options = options;
    this.#agentId = options.agentId;
    this.#logger = options.logger ?? pino({ name: 'agentkit-agent', level: (options.env ?? process.env).LOG_LEVEL ?? 'info' });
  }

  get agentId(): string | undefined {
    return this.#agentId;
  }

  get runningTasks(): number {
    return this.#running?.runner.running ?? 0;
  }

  get queuedTasks(): number {
    return this.#running?.runner.queued ?? 0;
  }

  start(): Promise<StartedAgent> {
    if (this.#stopping) return Promise.reject(new Error('The agent was stopped; create a new one'));
    this.#starting ??= this.#start();
    return this.#starting;
  }

  stop(options: StopOptions = {}): Promise<void> {
    this.#stopping ??= this.#stop(options);
    return this.#stopping;
  }

  async flushReports(timeoutMs = 10_000): Promise<boolean> {
    const results = await Promise.all(this.#queues().map((q) => q.flush(timeoutMs)));
    return !results.includes(false);
  }

  async rotateSigningSecret(options: RotateOptions = {}): Promise<{ previousSecretValidUntil: string | null }> {
    const data = await this.#rotate('the signing secret', options, (client, agentId, body) =>
      client.POST('/v1/agents/{agentId}/signing-secret/rotate', { params: { path: { agentId } }, body }),
    );
    this.#signingKeys!.rotated(data.signingSecret, data.previousSecretValidUntil);
    return { previousSecretValidUntil: data.previousSecretValidUntil };
  }

  async rotateAgentToken(options: RotateOptions = {}): Promise<{ previousTokenValidUntil: string | null }> {
    const data = await this.#rotate('the agent credential', options, (client, agentId, body) =>
      client.POST('/v1/agents/{agentId}/agent-token/rotate', { params: { path: { agentId } }, body }),
    );
    this.#credential!.issued(data.agentToken);
    return { previousTokenValidUntil: data.previousTokenValidUntil };
  }

  /** Asks AgentKit to rotate one of the agent's secrets (`what`); throws with AgentKit's problem when it refuses. */
  async #rotate<T>(
    what: string,
    options: RotateOptions,
    post: (client: AgentKitClient, agentId: string, body: { graceSeconds?: number }) => Promise<{ data?: T; error?: { title?: string; detail?: string }; response: Response }>,
  ): Promise<T> {
    const { client, agentId } = this.#registeredClient();
    const { data, error, response } = await post(client, agentId, options.graceSeconds === undefined ? {} : { graceSeconds: options.graceSeconds });
    if (!data) throw new AgentRegistrationError(`AgentKit refused to rotate ${what} (${response.status}): ${error?.detail ?? error?.title ?? ''}`, response.status);
    this.#logger.info({ agentId, rotated: what }, 'Rotated; the previous one holds for its grace period');
    return data;
  }

  #registeredClient(): { client: AgentKitClient; agentId: string } {
    if (!this.#registered || !this.#running || this.#agentId === undefined || this.#stopping) throw new Error('The agent is not started');
    return { client: this.#running.client, agentId: this.#agentId };
  }

  #queues() {
    return this.#running ? [this.#running.opsCore.queue, this.#running.agentKit.queue] : [];
  }

  async #start(): Promise<StartedAgent> {
    const config = resolveConfig(this.#options);
    const log = this.#logger.child?.({ agentName: config.name }) ?? this.#logger;
    const running = this.#wire(config, log);
    this.#running = running;
    const { url } = await listen(running.server, config.port, config.host);
    const contactEndpoint = `${config.publicUrl ?? url}${config.taskPath}`;

    let registerDeliveryId: string | null;
    try {
      const register = () => registerAgent(running.client, config, contactEndpoint, log, this.#cancelStart.signal);
      const agent = await register().catch((err: unknown) => {
        if (err instanceof AgentRegistrationError && err.status === 401 && this.#credential?.dropKept()) {
          log.warn({ file: config.credentialFile }, 'AgentKit refused the kept agent credential; registering with the API key');
          return register();
        }
        throw err;
      });
      this.#agentId = agent.agentId;
      if (agent.agentToken) this.#credential?.issued(agent.agentToken);
      registerDeliveryId = agent.registerDeliveryId ?? null;
      this.#registered = true;
      this.#signingKeys = new SigningKeys(agent.signingSecret, config.signatureToleranceSeconds);
      this.#verifier.resolve(this.#signingKeys);
    } catch (err) {
      this.#verifier.reject(err);
      await this.#closeServer();
      throw err;
    }
    const agentId = registeredId(this.#agentId);
    log.info({ agentId, contactEndpoint, url }, 'Agent registered with AgentKit and serving tasks');
    // Ops-Core resets an agent's state when it processes REGISTER: the first report waits for it.
    if (registerDeliveryId) {
      running.opsCore.holdUntil(registerDelivered(running.client, registerDeliveryId, config.opsCoreRetry.notFoundRetryForMs, this.#cancelStart.signal, log));
    }
    running.opsCore.report(agentId, 'idle', null);
    return { agentId, contactEndpoint, url };
  }

  /** The clients, reporters, runner and server of a start, not yet listening. */
  #wire(config: ResolvedConfig, log: Logger): Running {
    const fetchImpl = this.#options.fetch;
    const held = new AgentCredential(config.agentKitApiKey, config.agentToken, config.credentialFile);
    this.#credential = held;
    const credential = () => held.token;
    const client = createAgentKitClient({ baseUrl: config.agentKitUrl, apiKey: credential, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
    // Reports (up to five per task) go through keep-alive undici pools; the rest through the typed client.
    const opsCoreTransport = createReportTransport({ baseUrl: config.opsCoreUrl, apiKey: config.opsCoreApiKey, fetch: fetchImpl });
    const agentKitTransport = createReportTransport({ baseUrl: config.agentKitUrl, apiKey: credential, fetch: fetchImpl });
    const opsCore = new OpsCoreReporter(opsCoreTransport, config.opsCoreRetry, log);
    const agentKit = new AgentKitReporter(agentKitTransport, config.agentKitRetry, log);
    const agentId = () => this.#agentId ?? '';
    const heartbeatMs = config.heartbeatIntervalSeconds === null ? null : config.heartbeatIntervalSeconds * 1000;
    const reports = new TaskReports(agentId, opsCore, agentKit, heartbeatMs);
    const runner = new TaskRunner({
      agentId,
      handlers: config.handlers,
      concurrency: config.concurrency,
      abortGraceMs: config.abortGraceMs,
      rememberTasks: config.rememberTasks,
      logger: log,
      events: reports,
    });
    const server = createServer(
      createTaskEndpoint({
        taskPath: config.taskPath,
        maxBodyBytes: config.maxBodyBytes,
        verifier: () => this.#verifier.promise,
        validateTask: createWebhookValidator('taskDelivery'),
        validateCancel: createWebhookValidator('taskCancel'),
        agentId: () => this.#agentId,
        runner,
        logger: log,
      }),
    );
    answerMalformedRequests(server);
    return { config, client, runner, opsCore, agentKit, reports, transports: [opsCoreTransport, agentKitTransport], server };
  }

  async #stop(options: StopOptions): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(0, deadline - Date.now());
    this.#cancelStart.abort(new Error('The agent is stopping'));
    this.#verifier.reject(new Error('The agent is stopping'));
    await this.#starting?.catch(() => {});
    const running = this.#running;
    if (!running) return;

    await running.runner.shutdown(Math.min(running.config.abortGraceMs, left()));
    running.reports.close();
    const flushed = await Promise.all(this.#queues().map((q) => q.flush(left())));
    if (flushed.includes(false)) this.#logger.error({ timeoutMs }, 'Stop deadline passed before every report was sent');
    for (const q of this.#queues()) q.close();
    if (this.#registered && this.#agentId && running.config.deregisterOnStop) await this.#deregister(running.client, this.#agentId, left());
    await this.#closeServer();
    await Promise.all(running.transports.map((t) => t.close().catch(() => {})));
  }

  async #deregister(client: AgentKitClient, agentId: string, leftMs: number): Promise<void> {
    try {
      const { response, error } = await client.DELETE('/v1/agents/{agentId}', {
        params: { path: { agentId } },
        signal: AbortSignal.timeout(Math.max(1_000, leftMs)),
      });
      if (response.status === 204 || response.status === 404) this.#logger.info({ agentId }, 'Agent deregistered from AgentKit');
      else this.#logger.error({ agentId, status: response.status, error }, 'AgentKit refused to deregister the agent');
    } catch (err) {
      this.#logger.error({ agentId, err: err instanceof Error ? err.message : String(err) }, 'Could not deregister from AgentKit');
    }
  }

  async #closeServer(): Promise<void> {
    const server = this.#running?.server;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

/** The id is set once registration answered. */
function registeredId(id: string | undefined): string {
  if (id === undefined) throw new Error('registration returned no agent id');
  return id;
}

/**
 * Creates an agent: an HTTP task endpoint plus the reporting AgentKit and Ops-Core expect.
 * Nothing happens until `start()`. Configuration missing from the options is read from the
 * environment (`AGENTKIT_URL`, `AGENTKIT_API_KEY`, `OPSCORE_API_URL`, `OPSCORE_API_KEY`) and
 * checked by `start()`, which throws an `AgentConfigError` naming each missing variable.
 */
export function createAgent(options: AgentOptions): Agent {
  return new AgentInstance(options);
}
