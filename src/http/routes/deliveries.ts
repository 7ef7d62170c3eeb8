import { Router } from 'express';
import type { operations } from '../../../generated/ts/agentkit.js';
import type { DeliveryUseCases } from '../../domain/use-cases/deliveries.js';
import { principalOf } from '../auth.js';
import { presentDelivery, presentPage } from '../presenters.js';

type ListDeliveriesQuery = NonNullable<operations['listWebhookDeliveries']['parameters']['query']>;

/** /v1/webhook-deliveries: the delivery log, one delivery, and redelivery. */
export function deliveryRoutes(deliveries: DeliveryUseCases): Router {
  const r = Router();

  r.get('/v1/webhook-deliveries', async (req, res) => {
    const q = req.query as ListDeliveriesQuery;
    const page = await deliveries.list(q.limit ?? 50, q.cursor, { status: q.status, kind: q.kind, agentId: q.agentId });
    res.json(presentPage(page, presentDelivery));
  });

  r.get('/v1/webhook-deliveries/:deliveryId', async (req, res) => {
    res.json(presentDelivery(await deliveries.get(req.params.deliveryId, principalOf(req))));
  });

  r.post('/v1/webhook-deliveries/:deliveryId/redeliver', async (req, res) => {
    res.status(202).json(presentDelivery(await deliveries.redeliver(req.params.deliveryId)));
  });

  return r;
}
