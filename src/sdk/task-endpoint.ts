import express, { type NextFunction, type Request, type Response } from 'express';
import { WebhookSignatureError, type WebhookVerifier } from '../signing/webhook-signature.js';
import type { EnvelopeCheck, EnvelopeIssue } from './envelope-validator.js';
import type { TaskRunner } from './task-runner.js';
import type { Logger, TaskAcceptance } from './types.js';

export interface TaskEndpointOptions {
  /** Path of the task endpoint, e.g. `/tasks`. */
  taskPath: string;
  maxBodyBytes: number;
  /** Resolves to the verifier once the agent knows its signing secret (after registration). */
  verifier(): Promise<WebhookVerifier>;
  validate(body: unknown): EnvelopeCheck;
  /** The agent's id, once registered. */
  agentId(): string | undefined;
  runner: TaskRunner;
  logger: Logger;
}

interface ProblemFields {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: EnvelopeIssue[];
}

function sendProblem(req: Request, res: Response, problem: ProblemFields): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .send(JSON.stringify({ ...problem, instance: req.originalUrl }));
}

/**
 * The agent's HTTP server: `POST <taskPath>` takes task deliveries as the spec's `taskDelivery`
 * webhook describes them (signature checked first, then the body), answers 202 at once and
 * hands the task to the runner. Every error is problem+json.
 */
export function createTaskApp(options: TaskEndpointOptions): express.Express {
  const { logger, runner } = options;
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.post(options.taskPath, express.raw({ type: () => true, limit: options.maxBodyBytes }), async (req, res) => {
    if (runner.stopping) {
      res.set('Retry-After', '5');
      return sendProblem(req, res, { type: 'urn:agentkit:problem:unavailable', title: 'Agent is stopping', status: 503 });
    }
    let verifier: WebhookVerifier;
    try {
      verifier = await options.verifier();
    } catch (err) {
      res.set('Retry-After', '5');
      const detail = err instanceof Error ? err.message : String(err);
      return sendProblem(req, res, { type: 'urn:agentkit:problem:unavailable', title: 'Agent is not registered yet', status: 503, detail });
    }
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      verifier.verify(raw, req.headers);
    } catch (err) {
      if (!(err instanceof WebhookSignatureError)) throw err;
      logger.warn({ reason: err.reason, webhookId: req.headers['webhook-id'] }, 'Task delivery refused: bad signature');
      return sendProblem(req, res, { type: 'urn:agentkit:problem:bad-signature', title: 'Invalid signature', status: 401, detail: err.message });
    }

    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendProblem(req, res, {
        type: 'urn:agentkit:problem:validation',
        title: 'Request validation failed',
        status: 400,
        detail: 'The body is not valid JSON',
        errors: [{ path: '/body', message: 'must be valid JSON' }],
      });
    }
    const check = options.validate(body);
    if (!check.ok) {
      const detail = check.issues.map((i) => `${i.path} ${i.message}`).join('; ');
      logger.warn({ issues: check.issues }, 'Task delivery refused: body does not match TaskEnvelope');
      return sendProblem(req, res, { type: 'urn:agentkit:problem:validation', title: 'Request validation failed', status: 400, detail, errors: check.issues });
    }
    const { envelope } = check;
    const agentId = options.agentId();
    if (agentId !== undefined && envelope.agentId !== agentId) {
      return sendProblem(req, res, {
        type: 'urn:agentkit:problem:validation',
        title: 'Request validation failed',
        status: 400,
        detail: `This is agent ${agentId}; the task is for agent ${envelope.agentId}`,
        errors: [{ path: '/body/agentId', message: `must be ${agentId}` }],
      });
    }

    const { duplicate } = runner.accept(envelope);
    if (duplicate) logger.info({ taskId: envelope.taskId, attempt: envelope.attempt }, 'Duplicate delivery; not run again');
    const acceptance: TaskAcceptance = { taskId: envelope.taskId, duplicate };
    res.status(202).json(acceptance);
  });

  app.use((req, res) => {
    sendProblem(req, res, { type: 'urn:agentkit:problem:not-found', title: 'Not found', status: 404, detail: `${req.method} ${req.path} is not served by this agent` });
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    if (status === 413) {
      return sendProblem(req, res, { type: 'urn:agentkit:problem:payload-too-large', title: 'Payload too large', status: 413, detail: `At most ${options.maxBodyBytes} bytes` });
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendProblem(req, res, { type: 'urn:agentkit:problem:validation', title: 'Bad request', status, detail: err instanceof Error ? err.message : String(err) });
    }
    logger.error({ err }, 'Task endpoint failed');
    sendProblem(req, res, { type: 'urn:agentkit:problem:internal', title: 'Internal error', status: 500 });
  });

  return app;
}
