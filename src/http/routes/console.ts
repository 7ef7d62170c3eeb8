import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router, type Response } from 'express';
import { packageRoot } from '../../spec-files.js';
import { sendProblem } from '../problem.js';

/**
 * The console's policy: scripts, styles and API calls from this origin only (no inline script or
 * style, nothing from a CDN), no frames, no plugins, no form posts elsewhere.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

/**
 * /console: the operator console, built by scripts/build-console.ts into dist/console/. The page
 * is revalidated on every load (`no-cache`); its assets are named by their content's hash and
 * cached for a year. `dir` defaults to dist/console/ under the package root.
 */
export function consoleRoutes(dir: string = join(packageRoot(), 'dist', 'console')): Router {
  const r = Router();
  const assets = join(dir, 'assets');
  r.get(['/console', '/console/'], (_req, res) => {
    const index = join(dir, 'index.html');
    if (!existsSync(index)) {
      sendProblem(res, 503, 'The console is not built: run `make build` (scripts/build-console.ts)');
      return;
    }
    secure(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(readFileSync(index, 'utf8'));
  });
  r.get('/console/assets/:file', (req, res) => {
    const file = req.params.file;
    if (!/^console-[A-Za-z0-9]+\.(js|css)$/.test(file) || !existsSync(join(assets, file))) {
      sendProblem(res, 404, `No console asset ${file}`);
      return;
    }
    secure(res);
    res.sendFile(join(assets, file), { maxAge: '365d', immutable: true, etag: true, lastModified: false });
  });
  return r;
}
