import type { Middleware } from 'openapi-fetch';

/**
 * An openapi-fetch middleware that sends `Authorization: Bearer <token>` on every request.
 * `token` may be a function, read at each request: an agent swaps its registration key for
 * the credential its registration returned.
 */
export function bearerAuth(token: string | (() => string)): Middleware {
  const current = typeof token === 'function' ? token : () => token;
  return {
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${current()}`);
      return request;
    },
  };
}
