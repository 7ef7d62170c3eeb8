import { createServer, type Server } from 'node:http';
import { createAgentKitClient, WebhookVerifier, type AgentKitClient } from '@agentkit/client';
import { pino } from 'pino';
import { listen } from '../net/listen.js';
import { answerMalformedRequests } from '../net/malformed-requests.js';
import { AgentKitReporter } from './agentkit-reporter.js';
import { resolveConfig, type ResolvedConfig } from './config.js';
import { createEnvelopeValidator } from './envelope-validator.js';
import { OpsCoreReporter } from './opscore-reporter.js';
import { registerDelivered } from './register-delivery.js';
import { registerAgent } from './registration.js';
import { createReportTransport, type ReportTransport } from './report-transport.js';
import { createTaskEndpoint } from './task-endpoint.js';
import { TaskRunner, type TaskRecord } from './task-runner.js';
import type { Agent, AgentOptions, Logger, StartedAgent, StopOptions } from './types.js';

/** What every task-related state report to Ops-Core names. */
function taskDetails(task: TaskRecord): Record<string, unknown> {
  const e = task.envelope;
  return {
    taskId: e.taskId,
    task_name: e.task_name,
    opscore_task_id: e.opscore_task_id ?? null,
    opscore_session_id: e.opscore_session_id ?? null,
  };
}

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

/**
 * Creates an agent: an HTTP task endpoint plus the reporting AgentKit and Ops-Core expect.
 * Nothing happens until `start()`. Configuration missing from the options is read from the
 * environment (`AGENTKIT_URL`, `AGENTKIT_API_KEY`, `OPSCORE_API_URL`, `OPSCORE_API_KEY`) and
 * checked by `start()`, which throws an `AgentConfigError` naming each missing variable.
 */
export function createAgent(options: AgentOptions): Agent {
  const rootLogger: Logger =
    options.logger ?? pino({ name: 'agentkit-agent', level: (options.env ?? process.env).LOG_LEVEL ?? 'info' });
  let agentId = options.agentId;
  let config: ResolvedConfig | undefined;
  let server: Server | undefined;
  let agentKitClient: AgentKitClient | undefined;
  let runner: TaskRunner | undefined;
  let opsCore: OpsCoreReporter | undefined;
  let agentKit: AgentKitReporter | undefined;
  let transports: ReportTransport[] = [];
  let registered = false;
  let registerDeliveryId: string | null = null;
  let starting: Promise<StartedAgent> | undefined;
  let stopping: Promise<void> | undefined;
  const cancelStart = new AbortController();
  const verifier = deferred<WebhookVerifier>();

  async function closeServer(): Promise<void> {
    const s = server;
    server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  async function doStart(): Promise<StartedAgent> {
    const cfg = resolveConfig(options);
    config = cfg;
    const log = rootLogger.child?.({ agentName: cfg.name }) ?? rootLogger;
    const fetchImpl = options.fetch ? { fetch: options.fetch } : {};
    agentKitClient = createAgentKitClient({ baseUrl: cfg.agentKitUrl, apiKey: cfg.agentKitApiKey, ...fetchImpl });
    // Reports (the hot path: up to five per task) go through keep-alive undici pools, the rest through the typed client.
    const opsCoreTransport = createReportTransport({ baseUrl: cfg.opsCoreUrl, apiKey: cfg.opsCoreApiKey, fetch: options.fetch });
    const agentKitTransport = createReportTransport({ baseUrl: cfg.agentKitUrl, apiKey: cfg.agentKitApiKey, fetch: options.fetch });
    transports = [opsCoreTransport, agentKitTransport];
    opsCore = new OpsCoreReporter(opsCoreTransport, cfg.opsCoreRetry, log);
    agentKit = new AgentKitReporter(agentKitTransport, cfg.agentKitRetry, log);
    const ops = opsCore;
    const ak = agentKit;
    const id = () => agentId ?? '';

    runner = new TaskRunner({
      agentId: id,
      handlers: cfg.handlers,
      concurrency: cfg.concurrency,
      abortGraceMs: cfg.abortGraceMs,
      rememberTasks: cfg.rememberTasks,
      logger: log,
      events: {
        started(task) {
          ops.report(id(), 'active', taskDetails(task));
          ak.running(task.envelope.taskId, 0);
        },
        progress(task, percent, message) {
          ak.running(task.envelope.taskId, percent, message);
        },
        finished(task, result) {
          ops.report(id(), 'finished', { ...taskDetails(task), result });
          ak.finished(task.envelope.taskId, result);
        },
        failed(task, error) {
          ops.report(id(), 'error', { ...taskDetails(task), error });
          ak.failed(task.envelope.taskId, error);
        },
        idle() {
          ops.report(id(), 'idle', null);
        },
      },
    });

    const endpoint = createTaskEndpoint({
      taskPath: cfg.taskPath,
      maxBodyBytes: cfg.maxBodyBytes,
      verifier: () => verifier.promise,
      validate: createEnvelopeValidator(),
      agentId: () => agentId,
      runner,
      logger: log,
    });
    server = createServer(endpoint);
    answerMalformedRequests(server);
    const { url } = await listen(server, cfg.port, cfg.host);
    const contactEndpoint = `${cfg.publicUrl ?? url}${cfg.taskPath}`;

    try {
      const agent = await registerAgent(agentKitClient, cfg, contactEndpoint, log, cancelStart.signal);
      agentId = agent.agentId;
      registerDeliveryId = agent.registerDeliveryId ?? null;
      registered = true;
      verifier.resolve(new WebhookVerifier(agent.signingSecret, { toleranceSeconds: cfg.signatureToleranceSeconds }));
    } catch (err) {
      verifier.reject(err);
      await closeServer();
      throw err;
    }
    log.info({ agentId, contactEndpoint, url }, 'Agent registered with AgentKit and serving tasks');
    if (registerDeliveryId) {
      ops.holdUntil(registerDelivered(agentKitClient, agentId, registerDeliveryId, cfg.opsCoreRetry.notFoundRetryForMs, cancelStart.signal, log));
    }
    ops.report(agentId, 'idle', null);
    return { agentId, contactEndpoint, url };
  }

  async function doStop(stopOptions: StopOptions): Promise<void> {
    const deadline = Date.now() + (stopOptions.timeoutMs ?? 10_000);
    const left = () => Math.max(0, deadline - Date.now());
    cancelStart.abort(new Error('The agent is stopping'));
    verifier.reject(new Error('The agent is stopping'));
    await starting?.catch(() => {});
    const log = rootLogger;

    if (runner && config) await runner.shutdown(Math.min(config.abortGraceMs, left()));
    const queues = [opsCore?.queue, agentKit?.queue].filter((q) => q !== undefined);
    const flushed = await Promise.all(queues.map((q) => q.flush(left())));
    if (flushed.includes(false)) log.error({ timeoutMs: stopOptions.timeoutMs ?? 10_000 }, 'Stop deadline passed before every report was sent');
    for (const q of queues) q.close();

    if (registered && agentKitClient && agentId && config?.deregisterOnStop) {
      try {
        const { response, error } = await agentKitClient.DELETE('/v1/agents/{agentId}', {
          params: { path: { agentId } },
          signal: AbortSignal.timeout(Math.max(1_000, left())),
        });
        if (response.status === 204 || response.status === 404) log.info({ agentId }, 'Agent deregistered from AgentKit');
        else log.error({ agentId, status: response.status, error }, 'AgentKit refused to deregister the agent');
      } catch (err) {
        log.error({ agentId, err: err instanceof Error ? err.message : String(err) }, 'Could not deregister from AgentKit');
      }
    }
    await closeServer();
    await Promise.all(transports.map((t) => t.close().catch(() => {})));
  }

  return {
    start() {
      if (stopping) return Promise.reject(new Error('The agent was stopped; create a new one'));
      starting ??= doStart();
      return starting;
    },
    stop(stopOptions = {}) {
      stopping ??= doStop(stopOptions);
      return stopping;
    },
    async flushReports(timeoutMs = 10_000) {
      const queues = [opsCore?.queue, agentKit?.queue].filter((q) => q !== undefined);
      const results = await Promise.all(queues.map((q) => q.flush(timeoutMs)));
      return !results.includes(false);
    },
    get agentId() {
      return agentId;
    },
    get runningTasks() {
      return runner?.running ?? 0;
    },
    get queuedTasks() {
      return runner?.queued ?? 0;
    },
  };
}
