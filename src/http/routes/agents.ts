import { Router } from 'express';
import type { components, operations } from '../../../generated/ts/agentkit.js';
import type { AgentUseCases } from '../../domain/use-cases/agents.js';
import type { TaskUseCases } from '../../domain/use-cases/tasks.js';
import { principalOf } from '../auth.js';
import { presentAgent, presentPage, presentRegistration, presentTask } from '../presenters.js';

type Schemas = components['schemas'];
type ListAgentsQuery = NonNullable<operations['listAgents']['parameters']['query']>;

/** /v1/agents: register, list, read, deregister, rotate an agent's secrets, dispatch. Bodies arrive validated. */
export function agentRoutes(agents: AgentUseCases, tasks: TaskUseCases): Router {
  const r = Router();

  r.post('/v1/agents', async (req, res) => {
    const registered = await agents.register(req.body as Schemas['AgentRegistrationRequest'], principalOf(req));
    res.status(registered.created ? 201 : 200).json(presentRegistration(registered));
  });

  // The original AgentKit's route and answer, which Ops-Core's documents and fixtures use.
  r.post('/v1/agents/register', async (req, res) => {
    const registered = await agents.register(req.body as Schemas['AgentRegistrationRequest'], principalOf(req));
    const body: Schemas['CompatRegistrationResponse'] = {
      status: 'success',
      message: `Agent '${registered.agent.agentName}' ${registered.created ? 'registered' : 'updated'} successfully.`,
      data: presentRegistration(registered),
    };
    res.status(registered.created ? 201 : 200).json(body);
  });

  r.get('/v1/agents', async (req, res) => {
    const q = req.query as ListAgentsQuery;
    const page = await agents.list(q.limit ?? 50, q.cursor, q.capability);
    res.json(presentPage(page, presentAgent));
  });

  r.get('/v1/agents/:agentId', async (req, res) => {
    res.json(presentAgent(await agents.get(req.params.agentId, principalOf(req))));
  });

  r.delete('/v1/agents/:agentId', async (req, res) => {
    await agents.deregister(req.params.agentId, principalOf(req));
    res.status(204).end();
  });

  r.post('/v1/agents/:agentId/signing-secret/rotate', async (req, res) => {
    const body = (req.body ?? {}) as Schemas['SecretRotationRequest'];
    const rotated = await agents.rotate(req.params.agentId, 'signing-secret', principalOf(req), body.graceSeconds);
    const shown: Schemas['SigningSecretRotation'] = { agentId: rotated.agentId, signingSecret: rotated.value, previousSecretValidUntil: rotated.previousValidUntil };
    res.json(shown);
  });

  r.post('/v1/agents/:agentId/agent-token/rotate', async (req, res) => {
    const body = (req.body ?? {}) as Schemas['SecretRotationRequest'];
    const rotated = await agents.rotate(req.params.agentId, 'agent-token', principalOf(req), body.graceSeconds);
    const shown: Schemas['AgentTokenRotation'] = { agentId: rotated.agentId, agentToken: rotated.value, previousTokenValidUntil: rotated.previousValidUntil };
    res.json(shown);
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
