import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { components, operations } from '../../../generated/ts/agentkit.js';
import type { ConsoleUseCases } from '../../domain/use-cases/console.js';
import type { DeliveryUseCases } from '../../domain/use-cases/deliveries.js';
import { principalOf } from '../auth.js';
import { presentDelivery, presentTaskEvents } from '../presenters.js';

type RecoverRequest = components['schemas']['RecoverRequest'];
type ListTaskEventsQuery = NonNullable<operations['listTaskEvents']['parameters']['query']>;

/**
 * What the operator console reads and does besides the resources' own routes: who a credential
 * is, the overview's counts (with an ETag, so polling costs a 304 while nothing changed), a
 * task's deliveries and events, and recovery of failed deliveries.
 */
export function consoleApiRoutes(console: ConsoleUseCases, deliveries: DeliveryUseCases): Router {
  const r = Router();

  r.get('/v1/whoami', (req, res) => {
    const { role, agentId } = principalOf(req);
    res.json({ role, agentId });
  });

  r.get('/v1/statistics', async (req, res) => {
    const body = JSON.stringify(await console.statistics());
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    const seen = req.headers['if-none-match'];
    if (seen && seen.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(body);
  });

  r.get('/v1/tasks/:taskId/deliveries', async (req, res) => {
    const items = await console.taskDeliveries(req.params.taskId, principalOf(req));
    res.json({ items: items.map(presentDelivery), nextCursor: null });
  });

  r.get('/v1/tasks/:taskId/events', async (req, res) => {
    const q = req.query as ListTaskEventsQuery;
    const { task, events } = await console.taskEvents(req.params.taskId, principalOf(req), q.limit ?? 50, q.cursor);
    res.json(presentTaskEvents(task, events));
  });

  r.post('/v1/webhook-deliveries/recover', async (req, res) => {
    const body = req.body as RecoverRequest;
    const ids = await deliveries.recover(body.since, body.until, body.kind);
    res.status(202).json({ requeued: ids.length, deliveryIds: ids });
  });

  return r;
}
