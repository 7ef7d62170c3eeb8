import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { pino } from 'pino';
import type { components } from '../../generated/ts/opscore.js';
import { WebhookSignatureError, WebhookVerifier } from '../client/webhooks.js';
import { listen } from '../net/listen.js';
import { bundledSpecPath } from '../spec-files.js';
import type { Logger } from '@agentkit/sdk';
import { validationBody, type ValidatorIssue } from './fastapi-errors.js';
import { Faults, type FaultSpec } from './faults.js';
import { ReferenceStore, type ReceivedSnapshot } from './store.js';
import { renderView } from './view.js';

type Schemas = components['schemas'];

export interface OpsCoreReferenceOptions {
  /** The key clients must send as `Authorization: Bearer <key>` (Ops-Core's `OPSCORE_API_KEY`). */
  apiKey: string;
  /** When set, lifecycle notifications must carry a valid signature made with it (else 401). */
  webhookSecret?: string;
  /** Accepted clock difference for notification signatures, in seconds. Default 300. */
  webhookToleranceSeconds?: number;
  /** Largest request body accepted, in bytes. Default 1 048 576. */
  maxBodyBytes?: number;
  /** Logger. Default: pino at `LOG_LEVEL` (default `info`). */
  logger?: Logger;
}

export interface RunningReference {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  port: number;
  /** Stops listening and drops open connections; what was received stays in memory. */
  close(): Promise<void>;
}

export interface OpsCoreReference {
  app: express.Express;
  /** Listens on `port` (default 0: any free port) and `host` (default `127.0.0.1`). Can be called again after `close()`. */
  start(port?: number, host?: string): Promise<RunningReference>;
  /** What was received so far (a copy). */
  received(): ReceivedSnapshot;
  /** Makes the Ops-Core API paths fail on purpose (fault tests). */
  faults: Faults;
  /** Forgets agents, states, notifications and the request log. */
  reset(): void;
}

const NOTIFY = '/v1/opscore/internal/agent/notify';
const STATE = /^\/v1\/opscore\/agent\/[^/]+\/state$/;

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** FastAPI's `HTTPBearer`: the scheme is compared case-insensitively. */
function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(\S+)\s+(.+)$/.exec(header.trim());
  if (!match || match[1]!.toLowerCase() !== 'bearer') return undefined;
  return match[2]!.trim();
}

function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * A reference Ops-Core: implements `openapi/opscore.yaml` (validated with
 * express-openapi-validator), answers like the real FastAPI service, and keeps everything in
 * memory. Not Ops-Core: a stand-in for development and tests. Its own pages live under
 * `/_reference` and are not part of Ops-Core's API.
 */
export function createOpsCoreReference(options: OpsCoreReferenceOptions): OpsCoreReference {
  if (!options.apiKey) throw new Error('The reference Ops-Core needs an API key (OPSCORE_API_KEY)');
  const logger: Logger = options.logger ?? pino({ name: 'opscore-reference', level: process.env.LOG_LEVEL ?? 'info' });
  const store = new ReferenceStore();
  const faults = new Faults();
  const verifier = options.webhookSecret
    ? new WebhookVerifier(options.webhookSecret, { toleranceSeconds: options.webhookToleranceSeconds ?? 300 })
    : undefined;
  const authorized = (req: Request) => {
    const token = bearerToken(req.headers.authorization);
    return token !== undefined && sameSecret(token, options.apiKey);
  };
  const header = (req: Request, name: string) => {
    const v = req.headers[name];
    return (Array.isArray(v) ? v[0] : v) ?? null;
  };

  const app = express();
  app.disable('x-powered-by');

  // The reference's own pages: not part of Ops-Core's API, so before the validator.
  const reference = express.Router();
  reference.get('/', (_req, res) => {
    res.type('html').send(renderView(store.snapshot(), faults.describe()));
  });
  reference.get('/received', (_req, res) => {
    res.json({ ...store.snapshot(), fault: faults.describe() ?? null });
  });
  reference.use(express.json());
  reference.use((req, res, next) => {
    if (req.method === 'GET' || authorized(req)) return next();
    res.status(401).json({ detail: 'Invalid or missing API key' });
  });
  reference.post('/faults', (req, res) => {
    try {
      faults.inject((req.body ?? {}) as FaultSpec);
    } catch (err) {
      return res.status(400).json({ detail: err instanceof Error ? err.message : String(err) });
    }
    res.json({ fault: faults.describe() ?? null });
  });
  reference.delete('/faults', (_req, res) => {
    faults.clear();
    res.status(204).end();
  });
  reference.post('/reset', (_req, res) => {
    store.reset();
    faults.clear();
    res.status(204).end();
  });
  app.use('/_reference', reference);

  // Every request to the Ops-Core API is logged, with the status it got.
  app.use((req, res, next) => {
    res.on('finish', () => {
      store.recordRequest({
        at: new Date().toISOString(),
        method: req.method,
        path: req.path,
        status: res.statusCode,
        webhookId: header(req, 'webhook-id'),
        injected: res.locals.injected === true,
      });
      logger.info({ method: req.method, path: req.path, status: res.statusCode }, 'Ops-Core request');
    });
    next();
  });

  // Injected faults answer before anything else, like a proxy in front of a failing service.
  app.use((req, res, next) => {
    const target = req.path === NOTIFY ? 'notify' : STATE.test(req.path) ? 'state' : 'other';
    const fault = faults.take(target);
    if (!fault) return next();
    res.locals.injected = true;
    if (fault.retryAfterSeconds !== undefined) res.set('Retry-After', String(fault.retryAfterSeconds));
    res.status(fault.status).json(fault.body);
  });

  app.use(express.raw({ type: () => true, limit: options.maxBodyBytes ?? 1_048_576 }));

  // Notifications: the signature over the raw body, when a secret is configured.
  app.post(NOTIFY, (req, res, next) => {
    if (!verifier) return next();
    try {
      verifier.verify(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.headers);
      res.locals.signature = 'verified';
      next();
    } catch (err) {
      if (!(err instanceof WebhookSignatureError)) return next(err);
      res.status(401).json({ detail: `Invalid webhook signature (${err.reason})` });
    }
  });

  // State reads and updates: the bearer key comes first, as FastAPI resolves security dependencies before the body.
  app.use((req, res, next) => {
    if (!STATE.test(req.path) || (req.method !== 'GET' && req.method !== 'POST')) return next();
    if (authorized(req)) return next();
    res.set('WWW-Authenticate', 'Bearer');
    res.status(401).json({ detail: 'Invalid or missing API key' });
  });

  // JSON bodies, read the way FastAPI reads them.
  app.use((req, res, next) => {
    if (req.method !== 'POST' || !(req.path === NOTIFY || STATE.test(req.path))) {
      req.body = undefined;
      return next();
    }
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (raw.length === 0) return res.status(422).json({ detail: [{ type: 'missing', loc: ['body'], msg: 'Field required' }] });
    if (!isJsonType(req.headers['content-type'])) {
      return res.status(422).json({
        detail: [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from' }],
      });
    }
    try {
      req.body = JSON.parse(raw.toString('utf8'));
    } catch {
      return res.status(422).json({ detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error' }] });
    }
    req.headers['content-type'] = 'application/json';
    next();
  });

  app.use(
    OpenApiValidator.middleware({
      apiSpec: bundledSpecPath('opscore'),
      validateRequests: { allErrors: true },
      validateResponses: true,
      validateSecurity: false,
    }),
  );

  app.get('/health', (_req, res) => {
    const body: Schemas['HealthStatus'] = { status: 'ok' };
    res.json(body);
  });

  app.post(NOTIFY, (req, res) => {
    const payload = req.body as Schemas['AgentNotificationPayload'];
    const eventType = payload.event_type.toUpperCase();
    const agentId = payload.agent_details.agentId;
    if (eventType !== 'REGISTER' && eventType !== 'DEREGISTER') {
      return res.status(400).json({ detail: `Unsupported event type: ${payload.event_type}` });
    }
    if (eventType === 'REGISTER') store.register(payload.agent_details);
    else store.deregister(agentId);
    store.recordNotification({
      receivedAt: new Date().toISOString(),
      webhookId: header(req, 'webhook-id'),
      eventType,
      agentId,
      signature: res.locals.signature === 'verified' ? 'verified' : 'not-checked',
      body: payload,
    });
    const body: Schemas['StatusResponse'] = {
      status: 'success',
      message: `Agent ${agentId} ${eventType === 'REGISTER' ? 'registered' : 'deregistered'}.`,
    };
    res.status(200).json(body);
  });

  app.post('/v1/opscore/agent/:agent_id/state', (req, res) => {
    const agentId = req.params.agent_id as string;
    const payload = req.body as Schemas['AgentStateUpdatePayload'];
    if (payload.agentId !== agentId) {
      return res.status(400).json({ detail: `Agent ID in path (${agentId}) does not match agentId in payload (${payload.agentId})` });
    }
    if (!store.isKnown(agentId)) return res.status(404).json({ detail: `Agent ${agentId} not found` });
    store.recordState(payload);
    const body: Schemas['StatusResponse'] = { status: 'success', message: 'State update accepted.' };
    res.status(202).json(body);
  });

  app.get('/v1/opscore/agent/:agent_id/state', (req, res) => {
    const agentId = req.params.agent_id as string;
    const state = store.currentState(agentId);
    if (!state) return res.status(404).json({ detail: `Agent ${agentId} not found` });
    res.json(state);
  });

  // Whatever no route took (e.g. the request target `*`) is FastAPI's 404.
  app.use((_req, res) => {
    res.status(404).json({ detail: 'Not Found' });
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    const issues = (err as { errors?: ValidatorIssue[] }).errors;
    if (status === 404) return res.status(404).json({ detail: 'Not Found' });
    if (status === 405) return res.status(405).json({ detail: 'Method Not Allowed' });
    if (status === 413) return res.status(413).json({ detail: 'Request Entity Too Large' });
    if ((status === 400 || status === 415) && Array.isArray(issues)) return res.status(422).json(validationBody(issues));
    // Other client errors raised before the routes (an undecodable Content-Encoding, a path that is
    // not valid percent-encoding): answered as such, with FastAPI's shape, not as a 500.
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return res.status(status).json({ detail: err instanceof Error && err.message ? err.message : 'Bad Request' });
    }
    logger.error({ err: err instanceof Error ? err.message : String(err), issues }, 'Reference Ops-Core failed');
    res.status(500).json({ detail: 'Internal Server Error' });
  });

  return {
    app,
    async start(port = 0, host = '127.0.0.1') {
      const server = createServer(app);
      const listening = await listen(server, port, host);
      return {
        ...listening,
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      };
    },
    received: () => store.snapshot(),
    faults,
    reset() {
      store.reset();
      faults.clear();
    },
  };
}
