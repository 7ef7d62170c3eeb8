/** AgentKit's public entry points: the service, its configuration and the typed clients. */
export { createService, type Service, type ServiceOverrides } from './service.js';
export { loadConfig, ConfigError, type Config } from './config/config.js';
export { createApp, type AppDeps } from './http/app.js';
export { createAgentKitClient, type AgentKitClient } from './client/agentkit.js';
export { createOpsCoreClient, type OpsCoreClient } from './client/opscore.js';
export { WebhookSigner, WebhookVerifier, WebhookSignatureError } from './client/webhooks.js';
