/**
 * @agentkit/client: everything a service needs to talk to AgentKit, generated from its spec.
 *
 * - the generated types of both specs (`AgentKitPaths`, `AgentKitComponents`, `AgentKitWebhooks`, and
 *   the Ops-Core ones), with aliases for the schemas used most;
 * - `createAgentKitClient` / `createOpsCoreClient`: openapi-fetch clients with Bearer auth as middleware;
 * - `WebhookVerifier` (and `WebhookSigner`) for lifecycle webhooks and task deliveries;
 * - the `Problem` type of every AgentKit error;
 * - the bundled specs themselves (`agentkitSpec`, `opscoreSpec`).
 *
 * Nothing here belongs to the AgentKit server.
 */
export { createAgentKitClient, type AgentKitClient, type AgentKitClientOptions } from './agentkit.js';
export { createOpsCoreClient, type OpsCoreClient, type OpsCoreClientOptions } from './opscore.js';
export { bearerAuth } from './bearer.js';
export {
  WebhookSigner,
  WebhookVerifier,
  WebhookSignatureError,
  agentKitSignature,
  type SignatureFailure,
  type SignatureHeaders,
  type VerifierOptions,
} from './webhooks.js';
export { isProblem, type Problem } from './problem.js';
export { taskStateDetails, type TaskStateDetails } from './state-details.js';
export { agentkitSpec, opscoreSpec, type OpenApiDocument } from './spec.js';
export type * from './types.js';
