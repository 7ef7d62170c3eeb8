import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { AgentUseCases } from '../domain/agents.js';
import type { DeliveryUseCases } from '../domain/deliveries.js';
import type { TaskUseCases } from '../domain/tasks.js';
import type { Metrics } from '../observability/metrics.js';
import { bundledSpecPath } from '../spec-files.js';
import type { Store } from '../store/types.js';
import { requireApiKey } from './auth.js';
import { errorHandler, notFoundHandler } from './problem.js';
import { checkJsonBody, strictQueryNumbers } from './request-limits.js';
import { agentRoutes } from './routes/agents.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { taskRoutes } from './routes/tasks.js';

export interface AppDeps {
  apiKeys: readonly string[];
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

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function observe(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : res.statusCode === 404 ? 'unmatched' : req.path.split('/').slice(0, 3).join('/');
      end({ method: req.method, route });
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

/**
 * The AgentKit HTTP app, wired in the validator's order: logging and metrics, public
 * endpoints (health, metrics, docs), API-key check, body parsing, request validation
 * against the bundled spec, routes, and one error handler that answers problem+json.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
    }),
  );
  app.use(observe(deps.metrics));

  app.use(healthRoutes(deps.store, deps.workerAlive));
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.use(docsRoutes());

  app.use('/v1', requireApiKey(deps.apiKeys));
  app.use(express.json({ limit: deps.maxBodyBytes, type: ['application/json', 'application/*+json'], strict: true }));
  app.use(checkJsonBody());
  app.use(
    OpenApiValidator.middleware({
      apiSpec: bundledSpecPath('agentkit'),
      validateRequests: { allowUnknownQueryParameters: false, removeAdditional: false, allErrors: true },
      validateResponses: deps.validateResponses ? { removeAdditional: false } : false,
      validateSecurity: false,
      validateFormats: true,
      ignoreUndocumented: false,
    }),
  );
  app.use(strictQueryNumbers());

  app.use(agentRoutes(deps.agents, deps.tasks));
  app.use(taskRoutes(deps.tasks));
  app.use(deliveryRoutes(deps.deliveries));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
