import createClient, { type Client } from 'openapi-fetch';
import { bearerAuth } from './bearer.js';

export interface TypedClientOptions {
  /** The API's base URL. A path prefix (`http://host/opscore`) is kept. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` on every request (a function: read at each request). */
  apiKey: string | (() => string);
  /** A fetch implementation (tests inject one); default: the global fetch. */
  fetch?: typeof globalThis.fetch;
}

/** An openapi-fetch client of the API whose generated `paths` are `Paths`, with Bearer auth as middleware. */
export function createTypedClient<Paths extends {}>(options: TypedClientOptions): Client<Paths> {
  const client = createClient<Paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use(bearerAuth(options.apiKey));
  return client;
}
