import type { Middleware } from 'openapi-fetch';

/** An openapi-fetch middleware that sends `Authorization: Bearer <token>` on every request. */
export function bearerAuth(token: string): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
  };
}
