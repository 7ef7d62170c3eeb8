import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths that never reach the logs: credentials and secrets. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["webhook-signature"]',
  'req.headers["x-agentkit-signature"]',
  'headers.authorization',
  'signingSecret',
  '*.signingSecret',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
];

/** The service's structured JSON logger (pino). */
export function createLogger(level = 'info', name = 'agentkit'): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
