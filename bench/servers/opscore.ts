/**
 * The reference Ops-Core (src/opscore-reference) as a process under test, plus one bench-only
 * read-out: GET /_bench/finished answers (and forgets) when each `finished` state report was
 * accepted, keyed by its `details.opscore_task_id`. Environment: PORT, OPSCORE_API_KEY,
 * OPSCORE_WEBHOOK_SECRET, LOG_LEVEL.
 */
import { createServer } from 'node:http';
import { pino } from 'pino';
import { createOpsCoreReference } from '../../src/opscore-reference/index.js';

const reference = createOpsCoreReference({
  apiKey: process.env.OPSCORE_API_KEY ?? 'bench-opscore-key',
  webhookSecret: process.env.OPSCORE_WEBHOOK_SECRET || undefined,
  logger: pino({ name: 'opscore-reference', level: process.env.LOG_LEVEL ?? 'warn' }),
});

let finished: Array<[string, number]> = [];
let states = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/_bench/finished') {
    const body = JSON.stringify({ finished, states });
    finished = [];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  if (req.method === 'POST' && req.url?.endsWith('/state')) {
    res.once('finish', () => {
      if (res.statusCode !== 202) return;
      states++;
      const body = (req as { body?: { state?: string; details?: { opscore_task_id?: string } } }).body;
      const id = body?.details?.opscore_task_id;
      if (body?.state === 'finished' && typeof id === 'string') finished.push([id, performance.timeOrigin + performance.now()]);
    });
  }
  reference.app(req, res);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
