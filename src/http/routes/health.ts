import { Router } from 'express';
import type { components } from '../../../generated/ts/agentkit.js';
import type { Store } from '../../store/types.js';

/** How long a health check waits for the store before it calls it failing, ms. */
const STORE_CHECK_TIMEOUT_MS = 2000;

/** True when the store answers within STORE_CHECK_TIMEOUT_MS. */
async function storeAnswers(store: Store): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), STORE_CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([store.ping().then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The health check Ops-Core polls (`/health`), and the liveness and readiness probes
 * (`/healthz`, `/readyz`); no authentication.
 */
export function healthRoutes(store: Store, workerAlive: () => boolean): Router {
  const r = Router();
  r.get('/health', async (_req, res) => {
    const ok = await storeAnswers(store);
    const body: components['schemas']['ServiceHealth'] = ok ? { status: 'ok' } : { status: 'unavailable', detail: 'The store does not answer' };
    res.status(ok ? 200 : 503).json(body);
  });
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const storeOk = await storeAnswers(store);
    const workerOk = workerAlive();
    const ready = storeOk && workerOk;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unready',
      checks: { store: storeOk ? 'ok' : 'failing', worker: workerOk ? 'ok' : 'failing' },
    });
  });
  return r;
}
