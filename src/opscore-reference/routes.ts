import { Router } from 'express';
import type { components } from '../../generated/ts/opscore.js';
import { header, NOTIFY } from './middleware.js';
import type { ReferenceStore } from './store.js';

type Schemas = components['schemas'];

/** Ops-Core's API (`openapi/opscore.yaml`), answering as the real FastAPI service does. Bodies arrive validated. */
export function opsCoreRoutes(store: ReferenceStore): Router {
  const r = Router();

  r.get('/health', (_req, res) => {
    const body: Schemas['HealthStatus'] = { status: 'ok' };
    res.json(body);
  });

  r.post(NOTIFY, (req, res) => {
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

  r.post('/v1/opscore/agent/:agent_id/state', (req, res) => {
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

  r.get('/v1/opscore/agent/:agent_id/state', (req, res) => {
    const agentId = req.params.agent_id as string;
    const state = store.currentState(agentId);
    if (!state) return res.status(404).json({ detail: `Agent ${agentId} not found` });
    res.json(state);
  });

  return r;
}
