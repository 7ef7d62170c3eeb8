import type { Client } from 'openapi-fetch';
import type { paths } from '../../generated/ts/opscore.js';
import { createTypedClient, type TypedClientOptions } from './typed-client.js';

export type { paths as OpsCorePaths, components as OpsCoreComponents } from '../../generated/ts/opscore.js';

/** `baseUrl`: Ops-Core's (`OPSCORE_API_URL`); `apiKey`: its `OPSCORE_API_KEY`. */
export type OpsCoreClientOptions = TypedClientOptions;
export type OpsCoreClient = Client<paths>;

/** A typed client of Ops-Core's API (`openapi/opscore.yaml`). */
export function createOpsCoreClient(options: OpsCoreClientOptions): OpsCoreClient {
  return createTypedClient<paths>(options);
}
