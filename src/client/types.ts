import type {
  components as AgentKitComponents,
  operations as AgentKitOperations,
  paths as AgentKitPaths,
  webhooks as AgentKitWebhooks,
} from '../../generated/ts/agentkit.js';
import type {
  components as OpsCoreComponents,
  operations as OpsCoreOperations,
  paths as OpsCorePaths,
} from '../../generated/ts/opscore.js';

/** The generated types of both specs, as openapi-typescript writes them. */
export type { AgentKitComponents, AgentKitOperations, AgentKitPaths, AgentKitWebhooks, OpsCoreComponents, OpsCoreOperations, OpsCorePaths };

type AgentKitSchemas = AgentKitComponents['schemas'];
type OpsCoreSchemas = OpsCoreComponents['schemas'];

/** A registered agent. */
export type Agent = AgentKitSchemas['Agent'];
/** What `POST /v1/agents` takes. */
export type AgentRegistrationRequest = AgentKitSchemas['AgentRegistrationRequest'];
/** What a registration answers: the agent, and its signing secret when one was issued. */
export type RegisteredAgent = AgentKitSchemas['RegisteredAgent'];
/** What `POST /v1/agents/{agentId}/run` takes. */
export type DispatchRequest = AgentKitSchemas['DispatchRequest'];
/** A task and what became of it. */
export type Task = AgentKitSchemas['Task'];
/** A task's status. */
export type TaskStatus = AgentKitSchemas['TaskStatus'];
/** An agent's progress or outcome report on its task. */
export type TaskReport = AgentKitSchemas['TaskReport'];
/** The error of a failed task. */
export type TaskError = AgentKitSchemas['TaskError'];
/** A task as AgentKit delivers it to the agent (the `taskDelivery` webhook). */
export type TaskEnvelope = AgentKitSchemas['TaskEnvelope'];
/** What AgentKit tells an agent when a task it has is canceled (the `taskCancel` webhook). */
export type TaskCancelNotice = AgentKitSchemas['TaskCancelNotice'];
/** What `POST /v1/tasks/{taskId}/cancel` takes. */
export type CancelRequest = AgentKitSchemas['CancelRequest'];
/** What an agent answers to a task delivery. */
export type TaskAcceptance = AgentKitSchemas['TaskAcceptance'];
/** The body of AgentKit's lifecycle webhook to Ops-Core (`REGISTER` / `DEREGISTER`). */
export type LifecycleNotification = AgentKitSchemas['LifecycleNotification'];
/** One entry of the delivery log. */
export type WebhookDelivery = AgentKitSchemas['WebhookDelivery'];
/** A state report to Ops-Core (`POST /v1/opscore/agent/{agent_id}/state`). */
export type AgentStateUpdatePayload = OpsCoreSchemas['AgentStateUpdatePayload'];
/** The agent details Ops-Core keeps. */
export type AgentRegistrationDetails = OpsCoreSchemas['AgentRegistrationDetails'];
