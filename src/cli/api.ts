import type { Command } from 'commander';
import { createAgentKitClient, type AgentKitClient } from '../client/agentkit.js';
import { ApiError, CliError, ExitCode, UsageError, unreachable } from './errors.js';

/** The global options, after commander applied `--url`, `--api-key`, `--json` and their env vars. */
export interface GlobalOptions {
  /** AgentKit's base URL (`--url`, env AGENTKIT_URL). */
  url: string;
  /** The API key (`--api-key`, env AGENTKIT_API_KEY). */
  apiKey?: string;
  /** Print the API's JSON instead of tables. */
  json: boolean;
  /** Per-request timeout in seconds (`--request-timeout`, env AGENTKIT_REQUEST_TIMEOUT); default 30. */
  requestTimeout: number;
}

/** The global options as seen from any (sub)command. */
export function globalOptions(command: Command): GlobalOptions {
  const all = command.optsWithGlobals<{ url?: string; apiKey?: string; json?: boolean; requestTimeout?: number }>();
  return {
    url: all.url ?? 'http://127.0.0.1:8080',
    apiKey: all.apiKey,
    json: all.json === true,
    requestTimeout: all.requestTimeout ?? 30,
  };
}

/** What an API command needs: the typed client and where it points. */
export interface Api {
  client: AgentKitClient;
  baseUrl: string;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
}

/** The typed AgentKit client for the global options; a usage error when the key or URL is missing or bad. */
export function apiFor(options: GlobalOptions): Api {
  if (!options.apiKey) {
    throw new UsageError('No API key: set AGENTKIT_API_KEY (or pass --api-key) to one of AgentKit\'s AGENTKIT_API_KEYS.');
  }
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new UsageError(`--url / AGENTKIT_URL is not a URL: ${JSON.stringify(options.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url / AGENTKIT_URL must be an http(s) URL, got ${JSON.stringify(options.url)}`);
  }
  const baseUrl = options.url.replace(/\/+$/, '');
  const timeoutMs = options.requestTimeout * 1000;
  // Every request gets a deadline, so a script never hangs on an AgentKit that does not answer.
  const fetchWithTimeout: typeof globalThis.fetch = (input, init) =>
    globalThis.fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return { client: createAgentKitClient({ baseUrl, apiKey: options.apiKey, fetch: fetchWithTimeout }), baseUrl, timeoutMs };
}

type FetchResult = { data?: unknown; error?: unknown; response: Response };

/**
 * Awaits an openapi-fetch call and returns its data; turns an error status into an
 * {@link ApiError} and a fetch that threw into an "unreachable" error (exit 6).
 */
export async function call<R extends FetchResult>(api: Api, pending: Promise<R>): Promise<Exclude<R['data'], undefined>> {
  let result: R;
  try {
    result = await pending;
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new CliError(`${api.baseUrl} answered with something that is not JSON: is --url pointing at AgentKit?`, ExitCode.generic);
    }
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      throw new CliError(
        `AgentKit at ${api.baseUrl} did not answer within ${api.timeoutMs / 1000}s (--request-timeout).`,
        ExitCode.unreachable,
      );
    }
    throw unreachable(api.baseUrl, error);
  }
  if (!result.response.ok) throw ApiError.from(result.response, result.error);
  // A 2xx without a body (204) has no data; callers of such operations ignore the value.
  return result.data as Exclude<R['data'], undefined>;
}
