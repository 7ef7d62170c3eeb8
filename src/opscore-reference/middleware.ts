import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { WebhookSignatureError, type WebhookVerifier } from '../client/webhooks.js';
import type { Logger } from '@agentkit/sdk';
import type { Faults } from './faults.js';
import type { ReferenceStore } from './store.js';

/** Ops-Core's API paths, as the middleware below tells them apart. */
export const NOTIFY = '/v1/opscore/internal/agent/notify';
export const STATE = /^\/v1\/opscore\/agent\/[^/]+\/state$/;

/** A request header's first value, or null. */
export function header(req: Request, name: string): string | null {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

/** Logs every request to the Ops-Core API with the status it got (the reference's request log). */
export function recordRequests(store: ReferenceStore, logger: Logger): RequestHandler {
  return (req, res, next) => {
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
  };
}

/** Injected faults answer before anything else, like a proxy in front of a failing service. */
export function injectFaults(faults: Faults): RequestHandler {
  return (req, res, next) => {
    const target = req.path === NOTIFY ? 'notify' : STATE.test(req.path) ? 'state' : 'other';
    const fault = faults.take(target);
    if (!fault) return next();
    res.locals.injected = true;
    if (fault.retryAfterSeconds !== undefined) res.set('Retry-After', String(fault.retryAfterSeconds));
    res.status(fault.status).json(fault.body);
  };
}

/** Notifications: the signature over the raw body (only with a configured secret; else not checked). */
export function checkNotificationSignature(verifier: WebhookVerifier | undefined): RequestHandler {
  return (req, res, next) => {
    if (!verifier) return next();
    try {
      verifier.verify(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.headers);
      res.locals.signature = 'verified';
      next();
    } catch (err) {
      if (!(err instanceof WebhookSignatureError)) return next(err);
      res.status(401).json({ detail: `Invalid webhook signature (${err.reason})` });
    }
  };
}

/** State reads and updates need the bearer key, checked before the body as FastAPI resolves security first. */
export function requireKeyForState(authorized: (req: Request) => boolean): RequestHandler {
  return (req, res, next) => {
    if (!STATE.test(req.path) || (req.method !== 'GET' && req.method !== 'POST')) return next();
    if (authorized(req)) return next();
    res.set('WWW-Authenticate', 'Bearer');
    res.status(401).json({ detail: 'Invalid or missing API key' });
  };
}

function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** JSON bodies of the API's POSTs, read the way FastAPI reads them (its 422s for what it cannot). */
export function readJsonLikeFastApi(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
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
  };
}
