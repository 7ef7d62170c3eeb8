import type { Page, Store } from '../../store/types.js';
import type { AgentRecord, RegistrationRequest } from '../agent.js';
import type { AgentHostAllowlist } from '../agent-hosts.js';
import type { Clock } from '../clock.js';
import { invalid, notFound } from '../errors.js';
import { newAgentId, newSigningSecret } from '../ids.js';
import { endReport, lifecycleDelivery, restartReport, type OpsCoreTargets } from '../messages.js';

export interface AgentUseCaseDeps {
  store: Store;
  targets: OpsCoreTargets;
  allowlist: AgentHostAllowlist;
  clock: Clock;
  /** Called after a commit that queued deliveries; with the target URL when all went to one. */
  queued: (targetUrl?: string) => void;
}

/** Registration, deregistration and reading of agents. */
export class AgentUseCases {
  constructor(private readonly deps: AgentUseCaseDeps) {}

  /** Stores the agent and its REGISTER notification in one transaction. */
  async register(req: RegistrationRequest) {
    const url = new URL(req.contactEndpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('contactEndpoint must be an http or https URL');
    if (!this.deps.allowlist.allows(url)) {
      throw invalid(`contactEndpoint host "${url.hostname}" is not in this deployment's allowlist of agent hosts (AGENTKIT_AGENT_HOSTS)`);
    }
    const now = this.deps.clock.now();
    const agent = {
      agentId: req.agentId ?? newAgentId(),
      agentName: req.agentName,
      version: req.version,
      capabilities: [...new Set(req.capabilities ?? [])],
      contactEndpoint: req.contactEndpoint,
      metadata: req.metadata ?? {},
      heartbeatIntervalSeconds: req.heartbeatIntervalSeconds ?? null,
      maxConcurrentTasks: req.maxConcurrentTasks ?? null,
    };
    const notification = lifecycleDelivery(this.deps.targets, 'REGISTER', agent, now);
    const result = await this.deps.store.registerAgent({
      agent,
      candidateSecret: newSigningSecret(),
      rotateSecret: req.rotateSigningSecret ?? false,
      notification,
      restartReport: restartReport(this.deps.targets),
      now: now.toISOString(),
    });
    if (result.endedTasks.length > 0) this.deps.queued();
    else if (notification) this.deps.queued(notification.targetUrl);
    return { ...result, registerDeliveryId: notification?.deliveryId ?? null };
  }

  /** Removes the agent, queues DEREGISTER, and fails the tasks it has not taken. */
  async deregister(agentId: string): Promise<void> {
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

  async get(agentId: string): Promise<AgentRecord> {
    const agent = await this.deps.store.getAgent(agentId);
    if (!agent) throw notFound(`No agent with id ${agentId}`);
    return agent;
  }

  list(limit: number, cursor: string | undefined, capability: string | undefined): Promise<Page<AgentRecord>> {
    return this.deps.store.listAgents({ limit, cursor }, { capability });
  }
}
