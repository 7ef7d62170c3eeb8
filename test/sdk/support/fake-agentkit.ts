// A minimal in-test AgentKit: the three calls the SDK makes (register, report, deregister),
// validated against generated/openapi/agentkit.yaml so a request that breaks the spec fails,
// plus a `deliver()` that signs and sends a task the way AgentKit does.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request as ExpressRequest, type Response as ExpressResponse } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { specPaths } from '../../support/prism.js';
import { WebhookSigner } from '../../../src/client/webhooks.js';
import type { AgentRegistrationRequest, RegisteredAgent, TaskEnvelope, TaskReport } from '../../../src/sdk/index.js';

export interface FakeAgentKitOptions {
  apiKey: string;
  /** When set, each (de)registration is followed by a lifecycle notification to this Ops-Core, like AgentKit. */
  opsCoreUrl?: string;
}

interface KnownAgent {
  registration: AgentRegistrationRequest & { agentId: string };
  secret: string;
}

export class FakeAgentKit {
  readonly registrations: AgentRegistrationRequest[] = [];
  readonly reports: Array<{ taskId: string; report: TaskReport }> = [];
  readonly deregistrations: string[] = [];
  /** Requests the validator refused: the SDK broke the spec. */
  readonly refused: Array<{ path: string; status: number; message: string }> = [];
  readonly agents = new Map<string, KnownAgent>();
  url = '';
  #server: Server | undefined;
  readonly #options: FakeAgentKitOptions;

  constructor(options: FakeAgentKitOptions) {
    this.#options = options;
  }

  async start(port = 0): Promise<this> {
    const app = express();
    app.use(express.json());
    app.use((req, res, next) => {
      if (req.headers.authorization === `Bearer ${this.#options.apiKey}`) return next();
      res.status(401).type('application/problem+json').send({ type: 'urn:agentkit:problem:unauthorized', title: 'Unauthorized', status: 401 });
    });
    app.use(OpenApiValidator.middleware({ apiSpec: specPaths.agentkit, validateRequests: { allErrors: true }, validateSecurity: false }));
    app.post('/v1/agents', async (req, res) => {
      const body = req.body as AgentRegistrationRequest;
      this.registrations.push(structuredClone(body));
      const agentId = body.agentId ?? randomUUID();
      const known = this.agents.get(agentId);
      const secret = !known || body.rotateSigningSecret ? `whsec_${randomBytes(24).toString('base64')}` : known.secret;
      const { rotateSigningSecret: _rotate, ...details } = body;
      this.agents.set(agentId, { registration: { ...details, agentId }, secret });
      await this.#notify('REGISTER', agentId);
      const now = new Date().toISOString();
      const answer: RegisteredAgent = {
        ...details,
        agentId,
        capabilities: body.capabilities ?? [],
        metadata: body.metadata ?? {},
        registeredAt: now,
        updatedAt: now,
      };
      if (!known || body.rotateSigningSecret) answer.signingSecret = secret;
      res.status(known ? 200 : 201).json(answer);
    });
    app.post('/v1/tasks/:taskId/reports', (req, res) => {
      this.reports.push({ taskId: String(req.params.taskId), report: req.body as TaskReport });
      res.status(200).json({});
    });
    app.delete('/v1/agents/:agentId', async (req, res) => {
      const agentId = String(req.params.agentId);
      this.deregistrations.push(agentId);
      await this.#notify('DEREGISTER', agentId);
      this.agents.delete(agentId);
      res.status(204).end();
    });
    app.use((err: { status?: number; message: string }, req: ExpressRequest, res: ExpressResponse, _next: NextFunction) => {
      this.refused.push({ path: req.path, status: err.status ?? 500, message: err.message });
      res.status(err.status ?? 500).type('application/problem+json').send({ type: 'urn:agentkit:problem:validation', title: err.message, status: err.status ?? 500 });
    });
    this.#server = createServer(app);
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A task envelope for `agentId`, as AgentKit would deliver it. */
  envelope(agentId: string, overrides: Partial<TaskEnvelope> = {}): TaskEnvelope {
    return {
      taskId: randomUUID(),
      agentId,
      task_name: 'echo',
      parameters: {},
      opscore_session_id: 'session-7',
      opscore_task_id: 'task-42',
      timeout_seconds: null,
      deadline: null,
      attempt: 1,
      dispatchedAt: new Date().toISOString(),
      ...overrides,
    };
  }

  /** Sends a task to the agent's contactEndpoint, signed with its secret (or `secret`). */
  async deliver(envelope: TaskEnvelope, options: { secret?: string; rawBody?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const agent = this.agents.get(envelope.agentId);
    if (!agent) throw new Error(`FakeAgentKit does not know agent ${envelope.agentId}`);
    const body = options.rawBody ?? JSON.stringify(envelope);
    const signed = new WebhookSigner(options.secret ?? agent.secret).sign(`msg_${envelope.taskId}`, body);
    return fetch(agent.registration.contactEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signed, ...options.headers },
      body,
    });
  }

  /** The reports AgentKit received for one task, in arrival order. */
  reportsFor(taskId: string): TaskReport[] {
    return this.reports.filter((r) => r.taskId === taskId).map((r) => r.report);
  }

  async #notify(eventType: 'REGISTER' | 'DEREGISTER', agentId: string): Promise<void> {
    const known = this.agents.get(agentId);
    if (!this.#options.opsCoreUrl || !known) return;
    const response = await fetch(`${this.#options.opsCoreUrl}/v1/opscore/internal/agent/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_type: eventType, agent_details: known.registration }),
    });
    if (!response.ok) throw new Error(`Ops-Core refused the ${eventType} notification: ${response.status} ${await response.text()}`);
  }
}
