import { Router } from 'express';
import type { components, operations } from '../../../generated/ts/agentkit.js';
import type { AgentUseCases } from '../../domain/agents.js';
import type { TaskUseCases } from '../../domain/tasks.js';
import { presentAgent, presentPage, presentTask } from '../presenters.js';

type Schemas = components['schemas'];
type ListAgentsQuery = NonNullable<operations['listAgents']['parameters']['query']>;

/** /v1/agents: register, list, read, deregister, dispatch. Bodies arrive validated. */
export function agentRoutes(agents: AgentUseCases, tasks: TaskUseCases): Router {
  const r = Router();

  r.post('/v1/agents', async (req, res) => {
    const body = req.body as Schemas['AgentRegistrationRequest'];
    const { agent, created, issuedSecret, registerDeliveryId } = await agents.register(body);
    res.status(created ? 201 : 200).json({ ...presentAgent(agent), ...(issuedSecret ? { signingSecret: issuedSecret } : {}), registerDeliveryId });
  });

  r.get('/v1/agents', async (req, res) => {
    const q = req.query as ListAgentsQuery;
    const page = await agents.list(q.limit ?? 50, q.cursor, q.capability);
    res.json(presentPage(page, presentAgent));
  });

  r.get('/v1/agents/:agentId', async (req, res) => {
    res.json(presentAgent(await agents.get(req.params.agentId)));
  });

  r.delete('/v1/agents/:agentId', async (req, res) => {
    await agents.deregister(req.params.agentId);
    res.status(204).end();
  });

  r.post('/v1/agents/:agentId/run', async (req, res) => {
    const body = req.body as Schemas['DispatchRequest'];
    const key = req.get('idempotency-key') ?? null;
    const { task } = await tasks.dispatch(req.params.agentId, body, key);
    const shown = presentTask(task);
    res.status(202).location(shown.links.self).json(shown);
  });

  return r;
}
