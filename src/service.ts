import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { Config } from './config/config.js';
import { RequestBuilder } from './delivery/requests.js';
import { DeliveryWorker } from './delivery/worker.js';
import { AgentHostPolicy } from './domain/agent-hosts.js';
import { systemResolver, type Resolver } from './delivery/http-sender.js';
import { AgentUseCases } from './domain/use-cases/agents.js';
import { systemClock, type Clock } from './domain/clock.js';
import { endReport } from './domain/messages.js';
import { TaskWatchdog } from './domain/task-watchdog.js';
import { DeliveryUseCases } from './domain/use-cases/deliveries.js';
import { TaskUseCases } from './domain/use-cases/tasks.js';
import { createApp } from './http/app.js';
import { listen } from './net/listen.js';
import { answerMalformedRequests } from './net/malformed-requests.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { openStore } from './store/index.js';
import type { Store } from './store/types.js';

export interface Service {
  app: Express;
  store: Store;
  worker: DeliveryWorker;
  logger: Logger;
  metrics: Metrics;
  /** Listens on config.host:config.port (0: a free port); resolves with the base URL. */
  start(): Promise<string>;
  /** Stops accepting, lets deliveries in flight finish (up to the deadline), closes the store. */
  stop(): Promise<void>;
}

export interface ServiceOverrides {
  logger?: Logger;
  store?: Store;
  /** Worker's longest idle sleep, ms (tests shorten it). */
  pollIntervalMs?: number;
  /** Resolves agents' host names, at registration and when deliveries connect (tests control DNS with it). */
  resolver?: Resolver;
  /** The use-cases' and signatures' time (tests move it). */
  clock?: Clock;
}

/** Wires store, use-cases, delivery worker and HTTP app from a configuration. */
export async function createService(config: Config, overrides: ServiceOverrides = {}): Promise<Service> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const store = overrides.store ?? (await openStore(config, { onBackgroundError: (err) => logger.warn({ err }, 'database connection lost; the pool reconnects') }));
  const bare = config.apiKeys.filter((k) => k.bare).length;
  if (bare > 0) {
    logger.warn({ bareKeys: bare }, 'AGENTKIT_API_KEYS has keys without a role: each of them is admin. Give each key the role it needs (admin:, dispatcher:, agent:) for least privilege');
  }
  const metrics = new Metrics(store);
  const targets = { webhookUrl: config.webhookUrl, apiUrl: config.opsCoreApiUrl };
  const reportFailure = endReport(targets);
  const agentHosts = new AgentHostPolicy(config.agentHosts);
  const resolver = overrides.resolver ?? systemResolver;
  const clock = overrides.clock ?? systemClock;
  const worker = new DeliveryWorker({
    store,
    logger: logger.child({ component: 'delivery' }),
    metrics,
    requests: new RequestBuilder({ store, webhookSecrets: config.webhookSecrets, webhookPreviousSecretUntil: config.webhookPreviousSecretUntil, opsCoreApiKey: config.opsCoreApiKey, clock }),
    endReport: reportFailure,
    webhookRetrySchedule: config.webhookRetrySchedule,
    taskRetrySchedule: config.taskRetrySchedule,
    timeoutMs: config.deliveryTimeoutMs,
    concurrency: config.deliveryConcurrency,
    leaseMs: config.leaseMs,
    perTargetConcurrency: config.deliveryTargetConcurrency,
    agentHosts,
    resolver,
    ...(overrides.pollIntervalMs !== undefined ? { pollIntervalMs: overrides.pollIntervalMs } : {}),
  });
  const queued = (targetUrl?: string) => worker.wake(targetUrl);
  const watchdog = new TaskWatchdog({
    store,
    clock,
    logger: logger.child({ component: 'watchdog' }),
    endReport: reportFailure,
    graceMs: config.taskOutcomeGraceMs,
    queued: () => worker.wake(),
  });
  const agents = new AgentUseCases({ store, targets, agentHosts, resolve: resolver, clock, queued, rotationGraceS: config.secretRotationGraceS });
  const tasks = new TaskUseCases({
    store,
    clock,
    queued,
    dispatched: () => metrics.tasksDispatched.inc(),
    missedHeartbeats: config.missedHeartbeats,
    cancelGraceMs: config.cancelGraceMs,
    maxQueuedTasks: config.maxQueuedTasks,
  });
  const deliveries = new DeliveryUseCases({ store, clock, queued });
  const app = createApp({
    apiKeys: config.apiKeys,
    rateLimit: { limit: config.rateLimit, windowS: config.rateLimitWindowS },
    clock,
    maxBodyBytes: config.maxBodyBytes,
    validateResponses: config.validateResponses,
    store,
    agents,
    tasks,
    deliveries,
    metrics,
    logger,
    workerAlive: () => worker.isAlive(),
  });

  if (!config.webhookUrl) logger.warn('OPSCORE_WEBHOOK_URL is not set: no lifecycle webhooks will be sent to Ops-Core');
  if (!config.opsCoreApiUrl) logger.warn('OPSCORE_API_URL is not set: tasks that cannot be delivered will not be reported to Ops-Core');

  let server: Server | null = null;
  let stopping: Promise<void> | null = null;

  return {
    app,
    store,
    worker,
    logger,
    metrics,
    async start() {
      worker.start();
      await watchdog.renew();
      watchdog.start();
      server = createServer(app);
      server.keepAliveTimeout = 65_000;
      answerMalformedRequests(server);
      const { url } = await listen(server, config.port, config.host);
      logger.info({ url, database: config.database.replace(/\/\/[^@]*@/, '//***@') }, 'AgentKit is listening');
      return url;
    },
    stop() {
      stopping ??= (async () => {
        const closed = server
          ? new Promise<void>((resolve) => {
              server!.close(() => resolve());
              server!.closeIdleConnections();
            })
          : Promise.resolve();
        await watchdog.stop();
        await worker.stop(config.shutdownTimeoutMs);
        const timer = setTimeout(() => server?.closeAllConnections(), Math.min(config.shutdownTimeoutMs, 5000));
        await closed;
        clearTimeout(timer);
        await store.close();
        logger.info('AgentKit stopped');
      })();
      return stopping;
    },
  };
}
