import express, { type Request, type Router } from 'express';
import type { FaultSpec, Faults } from './faults.js';
import type { ReferenceStore } from './store.js';
import { renderView } from './view.js';

/**
 * The reference's own pages under `/_reference`, which are not Ops-Core's API: what it received
 * (HTML for people, JSON for tests), and the fault and reset controls (those need the key).
 */
export function referencePages(store: ReferenceStore, faults: Faults, authorized: (req: Request) => boolean): Router {
  const pages = express.Router();
  pages.get('/', (_req, res) => {
    res.type('html').send(renderView(store.snapshot(), faults.describe()));
  });
  pages.get('/received', (_req, res) => {
    res.json({ ...store.snapshot(), fault: faults.describe() ?? null });
  });
  pages.use(express.json());
  pages.use((req, res, next) => {
    if (req.method === 'GET' || authorized(req)) return next();
    res.status(401).json({ detail: 'Invalid or missing API key' });
  });
  pages.post('/faults', (req, res) => {
    try {
      faults.inject((req.body ?? {}) as FaultSpec);
    } catch (err) {
      return res.status(400).json({ detail: err instanceof Error ? err.message : String(err) });
    }
    res.json({ fault: faults.describe() ?? null });
  });
  pages.delete('/faults', (_req, res) => {
    faults.clear();
    res.status(204).end();
  });
  pages.post('/reset', (_req, res) => {
    store.reset();
    faults.clear();
    res.status(204).end();
  });
  return pages;
}
