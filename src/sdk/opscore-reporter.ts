import type { ResolvedRetry } from './config.js';
import { checkAnswer } from './http-outcome.js';
import { ReportQueue } from './report-queue.js';
import type { ReportTransport } from './report-transport.js';
import type { AgentState, AgentStateUpdate, Logger } from './types.js';

/**
 * Reports the agent's state to Ops-Core (`POST /v1/opscore/agent/{agent_id}/state`), in the
 * order the changes happened, each stamped with the time it happened (UTC, `Z`).
 */
export class OpsCoreReporter {
  readonly queue: ReportQueue<AgentStateUpdate>;
  #gate: Promise<void> = Promise.resolve();

  constructor(transport: ReportTransport, retry: ResolvedRetry, logger: Logger) {
    const gate = () => this.#gate;
    this.queue = new ReportQueue<AgentStateUpdate>({
      target: 'Ops-Core',
      retry,
      logger,
      async send(payload, signal, timeoutMs) {
        await gate();
        const path = `/v1/opscore/agent/${encodeURIComponent(payload.agentId)}/state`;
        const { status, retryAfter, body } = await transport.post(path, payload, signal, timeoutMs);
        checkAnswer(`Ops-Core state ${payload.state}`, status, retryAfter, body);
        logger.debug({ state: payload.state, details: payload.details }, 'State reported to Ops-Core');
      },
    });
  }

  /** Reports wait (in order) until `ready` settles: e.g. until Ops-Core has processed the agent's REGISTER. */
  holdUntil(ready: Promise<void>): void {
    this.#gate = ready.catch(() => undefined);
  }

  report(agentId: string, state: AgentState, details: Record<string, unknown> | null): void {
    const payload: AgentStateUpdate = { agentId, state, timestamp: new Date().toISOString(), details };
    const taskId = details && typeof details.taskId === 'string' ? ` (task ${details.taskId})` : '';
    this.queue.push(payload, `state ${state}${taskId}`);
  }
}
