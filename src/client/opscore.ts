import createClient from 'openapi-fetch';
import type { paths } from '../../generated/ts/opscore.js';
import { bearerAuth } from './bearer.js';

export type { paths as OpsCorePaths, components as OpsCoreComponents } from '../../generated/ts/opscore.js';

export interface OpsCoreClientOptions {
  /** Ops-Core's base URL (`OPSCORE_API_URL`). A path prefix, e.g. `http://host/opscore`, is kept. */
  baseUrl: string;
  /** `OPSCORE_API_KEY`, sent as a Bearer token. */
  apiKey: string;
  /** A fetch implementation (tests inject one); default: the global fetch. */
  fetch?: typeof globalThis.fetch;
}

/** A typed client of Ops-Core's API (`openapi/opscore.yaml`). */
export function createOpsCoreClient(options: OpsCoreClientOptions) {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use(bearerAuth(options.apiKey));
  return client;
}

export type OpsCoreClient = ReturnType<typeof createOpsCoreClient>;
