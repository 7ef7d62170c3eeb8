/** The console's one client of AgentKit's public API (the generated openapi-fetch client), its key and its role. */
import { createAgentKitClient, type AgentKitClient } from '../client/agentkit.js';

declare const __OPERATION_ROLES__: Record<string, string[]>;

/** operationId -> roles that may call it, from the spec's scopes (scripts/build-console.ts). */
export const OPERATION_ROLES: Record<string, string[]> = __OPERATION_ROLES__;

const KEY = 'agentkit.console.key';

export interface Session {
  role: 'admin' | 'dispatcher' | 'agent';
  agentId: string | null;
}

/** The key for this tab only (sessionStorage), sent as a Bearer token. */
export const storedKey = (): string => sessionStorage.getItem(KEY) ?? '';
export const keepKey = (key: string): void => sessionStorage.setItem(KEY, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY);

export const api: AgentKitClient = createAgentKitClient({ baseUrl: location.origin, apiKey: storedKey });

let session: Session | null = null;
export const currentSession = (): Session | null => session;
export const setSession = (s: Session | null): void => {
  session = s;
};

/** Whether the signed-in credential may call `operationId` (the spec's scopes). */
export function can(operationId: string): boolean {
  return session !== null && (OPERATION_ROLES[operationId] ?? []).includes(session.role);
}

/** An answer that is not 2xx, as the person reading it needs it: the problem's title and detail. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${title}: ${detail}`);
  }
}

/** The problem+json of a failed answer (or what stands in for one). */
export function problemOf(error: unknown, response: Response | undefined): ApiProblem {
  const status = response?.status ?? 0;
  if (error && typeof error === 'object') {
    const p = error as { title?: unknown; detail?: unknown };
    return new ApiProblem(status, typeof p.title === 'string' ? p.title : `HTTP ${status}`, typeof p.detail === 'string' ? p.detail : '');
  }
  return new ApiProblem(status, status ? `HTTP ${status}` : 'No answer', typeof error === 'string' ? error : String(error ?? ''));
}

/** The data of an openapi-fetch answer, or throws its problem. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let answer: { data?: T; error?: unknown; response: Response };
  try {
    answer = await call;
  } catch (e) {
    throw new ApiProblem(0, 'AgentKit did not answer', e instanceof Error ? e.message : String(e));
  }
  if (answer.error !== undefined || !answer.response.ok) throw problemOf(answer.error, answer.response);
  return answer.data as T;
}
