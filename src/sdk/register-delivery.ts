import type { AgentKitClient } from '@agentkit/client';
import type { Logger } from './types.js';

/**
 * Resolves once AgentKit's `REGISTER` notification `deliveryId` has ended (delivered or
 * failed for good), or after `waitMs`. Ops-Core resets an agent's state when it processes a
 * `REGISTER`: a state reported before that would be wiped, so the first report waits for it.
 * Never rejects: past the wait, reports go anyway (404s from Ops-Core are retried).
 */
export async function registerDelivered(
  client: AgentKitClient,
  deliveryId: string,
  waitMs: number,
  signal: AbortSignal,
  logger: Logger,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  let pause = 50;
  while (!signal.aborted && Date.now() < deadline) {
    try {
      const { data: delivery, response } = await client.GET('/v1/webhook-deliveries/{deliveryId}', {
        params: { path: { deliveryId } },
        signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]),
      });
      // Not there (an AgentKit of before this endpoint, or the delivery is gone): nothing to wait for.
      if (response.status === 404 || delivery?.status === 'succeeded') return;
      if (delivery?.status === 'failed') {
        logger.error({ deliveryId, lastError: delivery.lastError }, 'AgentKit could not tell Ops-Core about this agent (REGISTER failed); reporting state anyway');
        return;
      }
    } catch {
      // AgentKit unreachable for a moment: keep waiting until the deadline.
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 1_000);
  }
  if (!signal.aborted) logger.warn({ deliveryId, waitMs }, 'REGISTER not yet delivered to Ops-Core; reporting state anyway');
}
