import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { WebhookSignatureError, type Problem, type TaskAcceptance } from '@agentkit/client';
import type { DeliveryVerifier } from './signing-keys.js';
import { problemBody } from '../net/problem.js';
import type { Logger, TaskCancelNotice, TaskEnvelope } from './types.js';
import type { BodyCheck } from './webhook-validator.js';
import type { TaskRunner } from './task-runner.js';

export interface TaskEndpointOptions {
  /** Path of the task endpoint, e.g. `/tasks`. */
  taskPath: string;
  maxBodyBytes: number;
  /** Resolves to the verifier once the agent knows its signing secret (after registration). */
  verifier(): Promise<DeliveryVerifier>;
  validateTask(body: unknown): BodyCheck<TaskEnvelope>;
  validateCancel(body: unknown): BodyCheck<TaskCancelNotice>;
  /** The agent's id, once registered. */
  agentId(): string | undefined;
  runner: TaskRunner;
  logger: Logger;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json', headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A problem+json answer (src/net/problem.ts): `status`, and a `slug`, `title`, `detail` or `errors` where the default does not fit. */
function sendProblem(req: IncomingMessage, res: ServerResponse, status: number, problem: Partial<Problem> & { slug?: string } = {}, headers: Record<string, string> = {}): void {
  send(res, status, problemBody(status, undefined, { ...problem, instance: (req.url ?? '').split('?')[0] }), 'application/problem+json', headers);
}

class BodyTooLarge extends Error {}

/**
 * Reads the whole body, refusing more than `limit` bytes. Bodies are taken as sent: AgentKit
 * never compresses them, and a signature is only checked over the exact bytes.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The task id of `<taskPath>/<taskId>/cancel`, or null for another path. */
function cancelPathTaskId(path: string, taskPath: string): string | null {
  const prefix = `${taskPath.replace(/\/+$/, '')}/`;
  if (!path.startsWith(prefix) || !path.endsWith('/cancel')) return null;
  const id = path.slice(prefix.length, -'/cancel'.length);
  if (id === '' || id.includes('/')) return null;
  try {
    return decodeURIComponent(id);
  } catch {
    return null;
  }
}

/**
 * The agent's HTTP server, on node:http alone: `POST <taskPath>` takes task deliveries as the
 * spec's `taskDelivery` webhook describes them (signature checked first, then the body), answers
 * 202 at once and hands the task to the runner; `POST <taskPath>/<taskId>/cancel` takes the
 * `taskCancel` webhook the same way and cancels the task; `GET /healthz` answers 200. Every error
 * is problem+json.
 */
export function createTaskEndpoint(options: TaskEndpointOptions): RequestListener {
  const { logger, runner } = options;

  /**
   * Reads and checks what AgentKit sent: no compression, within the size limit, the agent
   * registered and not stopping, the signature, JSON matching `validate`, and for this agent.
   * Undefined: a problem was answered.
   */
  async function readSigned<T extends { agentId: string }>(
    req: IncomingMessage,
    res: ServerResponse,
    validate: (body: unknown) => BodyCheck<T>,
    what: string,
  ): Promise<T | undefined> {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      sendProblem(req, res, 415, { detail: `Content-Encoding "${encoding}" is not accepted: send the body as it was signed` });
      return undefined;
    }
    let raw: Buffer;
    try {
      raw = await readBody(req, options.maxBodyBytes);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      res.setHeader('connection', 'close');
      sendProblem(req, res, 413, { detail: `At most ${options.maxBodyBytes} bytes` });
      return undefined;
    }
    if (runner.stopping) {
      sendProblem(req, res, 503, { title: 'Agent is stopping' }, { 'retry-after': '5' });
      return undefined;
    }
    let verifier: DeliveryVerifier;
    try {
      verifier = await options.verifier();
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      sendProblem(req, res, 503, { title: 'Agent is not registered yet', detail }, { 'retry-after': '5' });
      return undefined;
    }
    try {
      verifier.verify(raw, req.headers);
    } catch (err) {
      if (!(err instanceof WebhookSignatureError)) throw err;
      logger.warn({ reason: err.reason, webhookId: req.headers['webhook-id'] }, `${what} refused: bad signature`);
      sendProblem(req, res, 401, { slug: 'bad-signature', title: 'Invalid signature', detail: err.message });
      return undefined;
    }

    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      sendProblem(req, res, 400, { detail: 'The body is not valid JSON', errors: [{ path: '/body', message: 'must be valid JSON' }] });
      return undefined;
    }
    const check = validate(body);
    if (!check.ok) {
      const detail = check.issues.map((i) => `${i.path} ${i.message}`).join('; ');
      logger.warn({ issues: check.issues }, `${what} refused: the body does not match the spec`);
      sendProblem(req, res, 400, { detail, errors: check.issues });
      return undefined;
    }
    const agentId = options.agentId();
    if (agentId !== undefined && check.body.agentId !== agentId) {
      sendProblem(req, res, 400, {
        detail: `This is agent ${agentId}; the message is for agent ${check.body.agentId}`,
        errors: [{ path: '/body/agentId', message: `must be ${agentId}` }],
      });
      return undefined;
    }
    return check.body;
  }

  async function deliver(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const envelope = await readSigned(req, res, options.validateTask, 'Task delivery');
    if (!envelope) return;
    const { duplicate } = runner.accept(envelope);
    if (duplicate) logger.info({ taskId: envelope.taskId, attempt: envelope.attempt }, 'Duplicate delivery; not run again');
    const acceptance: TaskAcceptance = { taskId: envelope.taskId, duplicate };
    send(res, 202, acceptance);
  }

  /** `POST <taskPath>/<taskId>/cancel`: the `taskCancel` webhook. 202 when the task stops (or had ended), 404 when this agent never had it. */
  async function cancel(req: IncomingMessage, res: ServerResponse, taskId: string): Promise<void> {
    const notice = await readSigned(req, res, options.validateCancel, 'Cancel notice');
    if (!notice) return;
    if (notice.taskId !== taskId) {
      return sendProblem(req, res, 400, { detail: `The path names task ${taskId}, the body ${notice.taskId}`, errors: [{ path: '/body/taskId', message: `must be ${taskId}` }] });
    }
    const outcome = runner.cancel(taskId, notice.reason ?? null);
    if (outcome === 'unknown') return sendProblem(req, res, 404, { detail: `This agent has no task ${taskId}` });
    send(res, 202, { taskId, status: outcome });
  }

  function route(req: IncomingMessage, res: ServerResponse): Promise<void> | void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === options.taskPath) {
      if (req.method === 'POST') return deliver(req, res);
      return sendProblem(req, res, 405, { detail: `${req.method} is not served here; deliveries are POSTed` }, { allow: 'POST' });
    }
    const taskId = cancelPathTaskId(path, options.taskPath);
    if (taskId !== null) {
      if (req.method === 'POST') return cancel(req, res, taskId);
      return sendProblem(req, res, 405, { detail: `${req.method} is not served here; cancel notices are POSTed` }, { allow: 'POST' });
    }
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return send(res, 200, { status: 'ok' });
    sendProblem(req, res, 404, { detail: `${req.method} ${path} is not served by this agent` });
  }

  return (req, res) => {
    Promise.resolve()
      .then(() => route(req, res))
      .catch((err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'Task endpoint failed');
        if (!res.headersSent) sendProblem(req, res, 500);
        else res.destroy();
      });
  };
}
