import createClient from 'openapi-fetch';
import type { paths } from '../../generated/ts/agentkit.js';
import { bearerAuth } from './bearer.js';

export type { paths as AgentKitPaths, components as AgentKitComponents } from '../../generated/ts/agentkit.js';

export interface AgentKitClientOptions {
  /** AgentKit's base URL, e.g. `http://127.0.0.1:8080`. A path prefix is kept. */
  baseUrl: string;
  /** One of AgentKit's `AGENTKIT_API_KEYS`. */
  apiKey: string;
  /** A fetch implementation (tests inject one); default: the global fetch. */
  fetch?: typeof globalThis.fetch;
}

/** A typed client of AgentKit's API (`openapi/agentkit.yaml`). */
export function createAgentKitClient(options: AgentKitClientOptions) {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use(bearerAuth(options.apiKey));
  return client;
}

export type AgentKitClient = ReturnType<typeof createAgentKitClient>;
