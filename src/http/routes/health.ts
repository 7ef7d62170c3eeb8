import { Router } from 'express';
import type { Store } from '../../store/types.js';

/** Liveness and readiness probes; no authentication. */
export function healthRoutes(store: Store, workerAlive: () => boolean): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const storeOk = await store.ping().then(
      () => true,
      () => false,
    );
    const workerOk = workerAlive();
    const ready = storeOk && workerOk;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unready',
      checks: { store: storeOk ? 'ok' : 'failing', worker: workerOk ? 'ok' : 'failing' },
    });
  });
  return r;
}
