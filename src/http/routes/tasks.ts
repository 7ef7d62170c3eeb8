import { Router } from 'express';
import type { components, operations } from '../../../generated/ts/agentkit.js';
import type { TaskUseCases } from '../../domain/use-cases/tasks.js';
import { principalOf } from '../auth.js';
import { presentPage, presentTask } from '../presenters.js';

type ListTasksQuery = NonNullable<operations['listTasks']['parameters']['query']>;

/** /v1/tasks: read tasks, the agent's progress and outcome reports, and cancels. */
export function taskRoutes(tasks: TaskUseCases): Router {
  const r = Router();

  r.get('/v1/tasks', async (req, res) => {
    const q = req.query as ListTasksQuery;
    res.json(presentPage(await tasks.list(q.limit ?? 50, q.cursor, q.agentId, q.status, { after: q.createdAfter, before: q.createdBefore }), presentTask));
  });

  r.get('/v1/tasks/:taskId', async (req, res) => {
    res.json(presentTask(await tasks.get(req.params.taskId, principalOf(req))));
  });

  r.post('/v1/tasks/:taskId/reports', async (req, res) => {
    const body = req.body as components['schemas']['TaskReport'];
    const hasResult = Object.prototype.hasOwnProperty.call(body, 'result');
    res.json(presentTask(await tasks.report(req.params.taskId, body, hasResult, principalOf(req))));
  });

  r.post('/v1/tasks/:taskId/cancel', async (req, res) => {
    const body = (req.body ?? {}) as components['schemas']['CancelRequest'];
    const { task, canceling } = await tasks.cancel(req.params.taskId, body.reason ?? null);
    res.status(canceling ? 202 : 200).json(presentTask(task));
  });

  return r;
}
