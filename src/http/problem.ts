import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Problem } from '../client/problem.js';
import { DomainError } from '../domain/errors.js';
import { problemBody } from '../net/problem.js';
import { InvalidCursorError } from '../store/cursor.js';
import { explainOneOf, type BodyBranch } from './one-of-errors.js';

/** Sends an RFC 9457 problem document (see src/net/problem.ts), with the request's path and id. */
export function sendProblem(res: Response, status: number, detail: string, extra: Partial<Problem> = {}): void {
  const body = problemBody(status, detail, {
    instance: res.req.originalUrl.split('?')[0],
    ...(res.req.id !== undefined ? { requestId: String(res.req.id) } : {}),
    ...extra,
  });
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

/** Anything not matched by a route. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, 404, `No route for ${req.method} ${req.path}`);
};

const DOMAIN_STATUS: Record<DomainError['kind'], number> = { invalid: 400, forbidden: 403, 'not-found': 404, conflict: 409, unprocessable: 422, 'too-many': 429 };

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  message?: string;
  errors?: { path?: string; message?: string }[];
}

/**
 * The one error handler: every error becomes problem+json, with the right 4xx for bad
 * input; anything unexpected is a 500 that is logged and says nothing internal.
 * `oneOfBodies` (see one-of-errors.ts) lets a body that fits none of its shapes be answered
 * with the complaints of the shape it looks like.
 */
export function errorHandler(logger: Logger, oneOfBodies: ReadonlyMap<string, BodyBranch[]> = new Map()): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof DomainError) {
      if (err.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(err.retryAfterSeconds));
      return sendProblem(res, DOMAIN_STATUS[err.kind], err.message);
    }
    if (err instanceof InvalidCursorError) return sendProblem(res, 400, err.message, { errors: [{ path: '/query/cursor', message: err.message }] });
    const e = (err ?? {}) as HttpishError;
    const status = e.status ?? e.statusCode ?? 500;
    if (e.type === 'entity.too.large') return sendProblem(res, 413, 'The request body is larger than this service accepts (AGENTKIT_MAX_BODY_BYTES)');
    if (e.type === 'entity.parse.failed') return sendProblem(res, 400, 'The request body is not valid JSON');
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return sendProblem(res, 415, e.message ?? 'Unsupported encoding');
    if (status >= 400 && status < 500) {
      const errors = e.errors?.map((x) => ({ ...(x.path ? { path: x.path.startsWith('/') ? x.path : `/${x.path.replace(/^\./, '').replace(/\./g, '/')}` } : {}), message: x.message ?? 'invalid' }));
      const route = (req as { openapi?: { openApiRoute?: string } }).openapi?.openApiRoute;
      const branches = route === undefined ? undefined : oneOfBodies.get(`${req.method} ${route}`);
      const explained = branches && errors ? explainOneOf(req.body, errors.map((x) => ({ path: x.path ?? '/body', message: x.message })), branches) : null;
      if (explained) return sendProblem(res, status, explained.detail, { errors: explained.errors });
      const detail = errors?.length ? errors.map((x) => (x.path ? `${x.path} ${x.message}` : x.message)).join('; ') : (e.message ?? 'Bad request');
      return sendProblem(res, status, detail, errors?.length ? { errors } : {});
    }
    logger.error({ err, reqId: req.id }, 'unexpected error');
    return sendProblem(res, 500, 'Something went wrong on our side; the request id helps find it in the logs');
  };
}
