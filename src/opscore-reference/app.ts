import { createServer } from 'node:http';
import express, { type Request } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { pino } from 'pino';
import { WebhookVerifier } from '../client/webhooks.js';
import { listen } from '../net/listen.js';
import { matchesSecret, secretDigest } from '../net/secrets.js';
import type { Logger } from '@agentkit/sdk';
import { bundledSpecPath } from '../spec-files.js';
import { fastApiErrors, fastApiNotFound } from './fastapi-errors.js';
import { Faults } from './faults.js';
import { checkNotificationSignature, injectFaults, readJsonLikeFastApi, recordRequests, requireKeyForState } from './middleware.js';
import { referencePages } from './pages.js';
import { opsCoreRoutes } from './routes.js';
import { ReferenceStore, type ReceivedSnapshot } from './store.js';

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

/** FastAPI's `HTTPBearer`: the scheme is compared case-insensitively. */
function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(\S+)\s+(.+)$/.exec(header.trim());
  if (!match || match[1]!.toLowerCase() !== 'bearer') return undefined;
  return match[2]!.trim();
}

/**
 * A reference Ops-Core: implements `openapi/opscore.yaml` (validated with
 * express-openapi-validator), answers like the real FastAPI service, and keeps everything in
 * memory. Not Ops-Core: a stand-in for development and tests. Its own pages live under
 * `/_reference` (pages.ts) and are not part of Ops-Core's API. The request path: the request log
 * and injected faults, the raw body, the notification signature and the state key, the body read
 * as FastAPI does, validation against the spec, the routes, FastAPI-shaped errors
 * (middleware.ts, routes.ts, fastapi-errors.ts).
 */
export function createOpsCoreReference(options: OpsCoreReferenceOptions): OpsCoreReference {
  if (!options.apiKey) throw new Error('The reference Ops-Core needs an API key (OPSCORE_API_KEY)');
  const logger: Logger = options.logger ?? pino({ name: 'opscore-reference', level: process.env.LOG_LEVEL ?? 'info' });
  const store = new ReferenceStore();
  const faults = new Faults();
  const verifier = options.webhookSecret
    ? new WebhookVerifier(options.webhookSecret, { toleranceSeconds: options.webhookToleranceSeconds ?? 300 })
    : undefined;
  const key = [secretDigest(options.apiKey)];
  const authorized = (req: Request) => {
    const token = bearerToken(req.headers.authorization);
    return token !== undefined && matchesSecret(token, key);
  };

  const app = express();
  app.disable('x-powered-by');
  app.use('/_reference', referencePages(store, faults, authorized));
  app.use(recordRequests(store, logger));
  app.use(injectFaults(faults));
  app.use(express.raw({ type: () => true, limit: options.maxBodyBytes ?? 1_048_576 }));
  app.post('/v1/opscore/internal/agent/notify', checkNotificationSignature(verifier));
  app.use(requireKeyForState(authorized));
  app.use(readJsonLikeFastApi());
  app.use(
    OpenApiValidator.middleware({
      apiSpec: bundledSpecPath('opscore'),
      validateRequests: { allErrors: true },
      validateResponses: true,
      validateSecurity: false,
    }),
  );
  app.use(opsCoreRoutes(store));
  app.use(fastApiNotFound);
  app.use(fastApiErrors(logger));

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
