import pRetry, { AbortError } from 'p-retry';
import type { AgentKitClient } from '@agentkit/client';
import type { ResolvedConfig } from './config.js';
import { PermanentHttpError, TransientHttpError, checkResponse, describeBody, networkError } from './http-outcome.js';
import type { AgentRegistrationRequest, Logger, RegisteredAgent } from './types.js';

/** AgentKit refused the registration (or never answered within the retry budget). */
export class AgentRegistrationError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'AgentRegistrationError';
  }
}

/**
 * Registers (or re-registers) the agent with AgentKit. Without a configured signing secret it
 * asks for a new one (`rotateSigningSecret`), since the SDK keeps the secret in memory only.
 * Retries network errors, 5xx and 429 for `registerRetryForMs` (AgentKit may still be starting).
 */
export async function registerAgent(
  client: AgentKitClient,
  config: ResolvedConfig,
  contactEndpoint: string,
  logger: Logger,
  signal: AbortSignal,
): Promise<RegisteredAgent & { signingSecret: string }> {
  const body: AgentRegistrationRequest = {
    agentName: config.name,
    version: config.version,
    capabilities: config.capabilities,
    contactEndpoint,
    metadata: config.metadata,
    rotateSigningSecret: config.signingSecret === undefined,
    heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
    // AgentKit sends no more than the runner takes at once: the rest wait there, in dispatch order.
    maxConcurrentTasks: config.concurrency,
  };
  if (config.agentId !== undefined) body.agentId = config.agentId;

  const registered = await pRetry(
    async () => {
      let outcome;
      try {
        outcome = await client.POST('/v1/agents', {
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(config.agentKitRetry.requestTimeoutMs)]),
        });
      } catch (err) {
        if (signal.aborted) throw new AbortError('registration cancelled');
        throw networkError(`AgentKit unreachable at ${config.agentKitUrl}`, err);
      }
      const { data, error, response } = outcome;
      try {
        checkResponse('Registration with AgentKit', response, error ?? data);
      } catch (err) {
        if (err instanceof TransientHttpError) throw err;
        const status = err instanceof PermanentHttpError ? err.status : response.status;
        throw new AbortError(new AgentRegistrationError(`AgentKit refused the registration: HTTP ${status} ${describeBody(error)}`.trim(), status));
      }
      return data!;
    },
    {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: config.agentKitRetry.minDelayMs,
      maxTimeout: Math.min(config.agentKitRetry.maxDelayMs, 5_000),
      randomize: true,
      maxRetryTime: config.registerRetryForMs,
      signal,
      shouldRetry: ({ error }) => error instanceof TransientHttpError,
      onFailedAttempt: ({ error, attemptNumber }) => {
        logger.warn({ attempt: attemptNumber, err: error.message }, 'Registration with AgentKit failed; retrying');
      },
    },
  ).catch((err: unknown) => {
    if (err instanceof AgentRegistrationError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new AgentRegistrationError(`Could not register with AgentKit: ${message}`, err instanceof TransientHttpError ? err.status : undefined);
  });

  const signingSecret = config.signingSecret ?? registered.signingSecret;
  if (!signingSecret) {
    throw new AgentRegistrationError('AgentKit did not return a signing secret for this agent (pass `signingSecret` if it already has one)', undefined);
  }
  return { ...registered, signingSecret };
}
