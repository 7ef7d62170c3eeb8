import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Router } from 'express';
import { bundledSpecPath } from '../../spec-files.js';

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>AgentKit API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <style>body { margin: 0; padding: 0; }</style>
</head>
<body>
  <div id="redoc"></div>
  <script src="/docs/redoc.standalone.js"></script>
  <script>Redoc.init('/docs/openapi.yaml', { hideDownloadButton: false }, document.getElementById('redoc'));</script>
</body>
</html>`;

/**
 * /docs: the API reference rendered by Redoc from the bundled spec. Redoc's standalone
 * bundle is served from node_modules, so the page needs no CDN.
 */
export function docsRoutes(): Router {
  const r = Router();
  const redocBundle = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');
  const spec = readFileSync(bundledSpecPath('agentkit'), 'utf8');
  r.get('/docs', (_req, res) => {
    res.type('html').setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:");
    res.send(page);
  });
  r.get('/docs/redoc.standalone.js', (_req, res) => {
    res.type('application/javascript').sendFile(redocBundle, { maxAge: '1h' });
  });
  r.get('/docs/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(spec);
  });
  return r;
}
