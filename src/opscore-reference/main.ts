/**
 * Runs the reference Ops-Core (not Ops-Core: a stand-in for development and tests).
 * Environment: OPSCORE_API_KEY (required), OPSCORE_PORT (default 8000), OPSCORE_HOST
 * (default 127.0.0.1), OPSCORE_WEBHOOK_SECRET (optional: verify notification signatures).
 */
import { pino } from 'pino';
import { createOpsCoreReference } from './app.js';

const logger = pino({ name: 'opscore-reference', level: process.env.LOG_LEVEL ?? 'info' });
const apiKey = process.env.OPSCORE_API_KEY;
if (!apiKey) {
  logger.fatal({}, 'OPSCORE_API_KEY is not set: the reference Ops-Core needs the key that clients send as a Bearer token');
  process.exit(2);
}
const port = Number(process.env.OPSCORE_PORT ?? 8000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  logger.fatal({ OPSCORE_PORT: process.env.OPSCORE_PORT }, 'OPSCORE_PORT must be a port number');
  process.exit(2);
}
const host = process.env.OPSCORE_HOST ?? '127.0.0.1';
const webhookSecret = process.env.OPSCORE_WEBHOOK_SECRET || undefined;

const reference = createOpsCoreReference({ apiKey, webhookSecret, logger });
const running = await reference.start(port, host);
logger.info(
  { url: running.url, view: `${running.url}/_reference`, verifiesSignatures: webhookSecret !== undefined },
  'Reference Ops-Core listening (a stand-in, not Ops-Core)',
);

let closing = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'Stopping the reference Ops-Core');
    void running.close().then(() => process.exit(0));
  });
}
