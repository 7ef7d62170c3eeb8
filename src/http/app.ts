import express, { type Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { AgentUseCases } from '../domain/use-cases/agents.js';
import type { DeliveryUseCases } from '../domain/use-cases/deliveries.js';
import type { TaskUseCases } from '../domain/use-cases/tasks.js';
import type { Metrics } from '../observability/metrics.js';
import { bundledSpecPath } from '../spec-files.js';
import type { Store } from '../store/types.js';
import { authenticate, requireRoles, type KeyWithRole } from './auth.js';
import { agentkitSpec } from '../client/spec.js';
import { oneOfBodies } from './one-of-errors.js';
import { errorHandler, notFoundHandler } from './problem.js';
import { checkJsonBody, strictQueryNumbers } from './request-limits.js';
import { rateLimitPerCredential, type RateLimitOptions } from './rate-limit.js';
import { cacheValidatorRouteMatchers } from './route-matchers.js';
import { observeRequests } from './request-observer.js';
import { agentRoutes } from './routes/agents.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { docsRoutes } from './routes/docs.js';
import { consoleRoutes } from './routes/console.js';
import { consoleApiRoutes } from './routes/console-api.js';
import { ConsoleUseCases } from '../domain/use-cases/console.js';
import { systemClock } from '../domain/clock.js';
import { healthRoutes } from './routes/health.js';
import { taskRoutes } from './routes/tasks.js';

export interface AppDeps {
  apiKeys: readonly KeyWithRole[];
  rateLimit: RateLimitOptions;
  clock: Clock;
  /** Largest accepted body, bytes. */
  maxBodyBytes: number;
  /** Check every response against the spec (tests and development). */
  validateResponses: boolean;
  store: Store;
  agents: AgentUseCases;
  tasks: TaskUseCases;
  deliveries: DeliveryUseCases;
  metrics: Metrics;
  logger: Logger;
  workerAlive: () => boolean;
}

/**
 * The AgentKit HTTP app, wired in the validator's order: logging and metrics, public
 * endpoints (health, metrics, docs), API-key check, the per-credential rate limit, body parsing, request validation
 * against the bundled spec, routes, and one error handler that answers problem+json.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');

  app.set('etag', false); // API answers are not cached; hashing each body costs time for nothing

  app.use(observeRequests(deps.logger, deps.metrics));

  app.use(healthRoutes(deps.store, deps.workerAlive));
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.use(docsRoutes());
  app.use(consoleRoutes());

  app.use('/v1', authenticate(deps.apiKeys, deps.store, deps.clock));
  const limiter = rateLimitPerCredential(deps.rateLimit);
  if (limiter) app.use('/v1', limiter);
  app.use(express.json({ limit: deps.maxBodyBytes, type: ['application/json', 'application/*+json'], strict: true }));
  app.use(checkJsonBody());
  cacheValidatorRouteMatchers();
  app.use(
    OpenApiValidator.middleware({
      apiSpec: bundledSpecPath('agentkit'),
      validateRequests: { allowUnknownQueryParameters: false, removeAdditional: false, allErrors: true },
      validateResponses: deps.validateResponses ? { removeAdditional: false } : false,
      validateSecurity: { handlers: { bearerAuth: requireRoles } },
      validateFormats: true,
      ignoreUndocumented: false,
    }),
  );
  app.use(strictQueryNumbers());

  app.use(agentRoutes(deps.agents, deps.tasks));
  app.use(taskRoutes(deps.tasks));
  app.use(deliveryRoutes(deps.deliveries));
  app.use(consoleApiRoutes(new ConsoleUseCases({ store: deps.store, clock: systemClock }), deps.deliveries));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger, oneOfBodies(agentkitSpec)));
  return app;
}
