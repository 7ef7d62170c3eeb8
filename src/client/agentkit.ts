import type { Client } from 'openapi-fetch';
import type { paths } from '../../generated/ts/agentkit.js';
import { createTypedClient, type TypedClientOptions } from './typed-client.js';

export type { paths as AgentKitPaths, components as AgentKitComponents } from '../../generated/ts/agentkit.js';

/** `baseUrl`: AgentKit's, e.g. `http://127.0.0.1:8080`; `apiKey`: one of its `AGENTKIT_API_KEYS`. */
export type AgentKitClientOptions = TypedClientOptions;
export type AgentKitClient = Client<paths>;

/** A typed client of AgentKit's API (`openapi/agentkit.yaml`). */
export function createAgentKitClient(options: AgentKitClientOptions): AgentKitClient {
  return createTypedClient<paths>(options);
}
