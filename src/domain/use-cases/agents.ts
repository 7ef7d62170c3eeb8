import { isIP } from 'node:net';
import type { AgentSecretKind, Page, Store } from '../../store/types.js';
import type { AgentRecord, RegistrationRequest } from '../agent.js';
import type { AgentHostPolicy } from '../agent-hosts.js';
import type { Clock } from '../clock.js';
import { storedDigest } from '../../net/secrets.js';
import { mustActFor, registrationAccess, takenIdMessage, type Principal } from '../access.js';
import { forbidden, invalid, notFound, unprocessable } from '../errors.js';
import { newAgentId, newAgentToken, newSigningSecret } from '../ids.js';
import { previousUntil } from '../rotation.js';
import { endReport, lifecycleDelivery, restartReport, type OpsCoreTargets } from '../messages.js';

export interface AgentUseCaseDeps {
  store: Store;
  targets: OpsCoreTargets;
  agentHosts: AgentHostPolicy;
  /** Resolves a contactEndpoint's host name to its addresses (to refuse internal ones early). */
  resolve: (hostname: string) => Promise<Array<{ address: string }>>;
  clock: Clock;
  /** Called after a commit that queued deliveries; with the target URL when all went to one. */
  queued: (targetUrl?: string) => void;
  /** AGENTKIT_SECRET_ROTATION_GRACE_S: how long a rotated secret still holds unless the rotation says. */
  rotationGraceS: number;
}

/** Registration, deregistration and reading of agents. */
export class AgentUseCases {
  constructor(private readonly deps: AgentUseCaseDeps) {}

  /**
   * Stores the agent and its REGISTER notification in one transaction, and issues its credential
   * (agentToken) unless the agent registers itself with the one it holds (see registrationAccess).
   */
  async register(req: RegistrationRequest, principal: Principal) {
    const access = registrationAccess(principal, req.agentId);
    const url = new URL(req.contactEndpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('contactEndpoint must be an http or https URL');
    await this.#checkEndpoint(url);
    const now = this.deps.clock.now();
    const agent = {
      agentId: access.agentId ?? newAgentId(),
      agentName: req.agentName,
      version: req.version,
      capabilities: [...new Set(req.capabilities ?? [])],
      contactEndpoint: req.contactEndpoint,
      metadata: req.metadata ?? {},
      heartbeatIntervalSeconds: req.heartbeatIntervalSeconds ?? null,
      maxConcurrentTasks: req.maxConcurrentTasks ?? null,
    };
    const notification = lifecycleDelivery(this.deps.targets, 'REGISTER', agent, now);
    const agentToken = access.issueToken ? newAgentToken(agent.agentId) : null;
    const result = await this.deps.store.registerAgent({
      agent,
      candidateSecret: newSigningSecret(),
      rotateSecret: req.rotateSigningSecret ?? false,
      tokenHash: agentToken === null ? null : storedDigest(agentToken),
      onlyIfNew: access.onlyIfNew,
      notification,
      restartReport: restartReport(this.deps.targets),
      now: now.toISOString(),
    });
    if (result === null) throw forbidden(takenIdMessage(agent.agentId));
    if (result.endedTasks.length > 0) this.deps.queued();
    else if (notification) this.deps.queued(notification.targetUrl);
    return { ...result, agentToken, registerDeliveryId: notification?.deliveryId ?? null };
  }

  /**
   * Refuses, early, a contactEndpoint that leads to an internal address (the delivery checks
   * again when it connects). A name that does not resolve now may later; deliveries will tell.
   */
  async #checkEndpoint(url: URL): Promise<void> {
    const literal = this.deps.agentHosts.literalRefusal(url);
    if (literal) throw unprocessable(`contactEndpoint refused: ${literal}`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!isIP(host)) {
      const addresses = await this.deps.resolve(host).catch(() => []);
      for (const { address } of addresses) {
        const refusal = this.deps.agentHosts.refusal(host, address);
        if (refusal) throw unprocessable(`contactEndpoint refused: ${refusal}`);
      }
    }
  }

  /** Removes the agent, queues DEREGISTER, and fails the tasks it has not taken. */
  async deregister(agentId: string, principal: Principal): Promise<void> {
    mustActFor(principal, agentId, `agent ${agentId}`);
    const now = this.deps.clock.now();
    const result = await this.deps.store.deregisterAgent({
      agentId,
      notification: (agent) => lifecycleDelivery(this.deps.targets, 'DEREGISTER', agent, now),
      endReport: endReport(this.deps.targets),
      now: now.toISOString(),
    });
    if (!result) throw notFound(`No agent with id ${agentId}`);
    this.deps.queued();
  }

  /**
   * Issues the agent a new signing secret or credential; the one it replaces holds for the grace
   * period (see domain/rotation.ts), so neither deliveries nor the agent's requests fail meanwhile.
   */
  async rotate(agentId: string, kind: AgentSecretKind, principal: Principal, graceSeconds?: number): Promise<{ agentId: string; value: string; previousValidUntil: string | null }> {
    mustActFor(principal, agentId, `agent ${agentId}`);
    const now = this.deps.clock.now();
    const value = kind === 'signing-secret' ? newSigningSecret() : newAgentToken(agentId);
    const until = previousUntil(now.getTime(), graceSeconds ?? this.deps.rotationGraceS);
    const agent = await this.deps.store.rotateAgentSecret({
      agentId,
      kind,
      value: kind === 'signing-secret' ? value : storedDigest(value),
      previousUntil: until,
      now: now.toISOString(),
    });
    if (!agent) throw notFound(`No agent with id ${agentId}`);
    return { agentId, value, previousValidUntil: until === null ? null : new Date(until).toISOString() };
  }

  async get(agentId: string, principal: Principal): Promise<AgentRecord> {
    mustActFor(principal, agentId, `agent ${agentId}`);
    const agent = await this.deps.store.getAgent(agentId);
    if (!agent) throw notFound(`No agent with id ${agentId}`);
    return agent;
  }

  list(limit: number, cursor: string | undefined, capability: string | undefined): Promise<Page<AgentRecord>> {
    return this.deps.store.listAgents({ limit, cursor }, { capability });
  }
}
