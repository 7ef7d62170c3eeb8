import type { components } from '../../generated/ts/agentkit.js';

/** What an agent sends to register (the spec's `AgentRegistrationRequest`). */
export type RegistrationRequest = components['schemas']['AgentRegistrationRequest'];

/** An agent as Ops-Core knows it too (its `AgentRegistrationDetails`). */
export interface AgentDetails {
  agentId: string;
  agentName: string;
  version: string;
  capabilities: string[];
  contactEndpoint: string;
  metadata: Record<string, unknown>;
}

/** A registered agent. */
export interface AgentRecord extends AgentDetails {
  registeredAt: string;
  updatedAt: string;
}
