#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import dotenv from 'dotenv';
import { ConfigError, loadConfig } from './config/config.js';
import { missingServiceNodeFlags } from './config/node-flags.js';
import { createService } from './service.js';

const HELP = `Usage: npm start   (or: agentkit serve)

Runs the AgentKit service. Configuration comes from the environment and from a .env
file in the working directory when there is one; README.md lists every variable.
Required: AGENTKIT_API_KEYS. Common: PORT (8080), HOST (0.0.0.0), AGENTKIT_DB
(./data/agentkit.db), OPSCORE_WEBHOOK_URL + OPSCORE_WEBHOOK_SECRET, OPSCORE_API_URL +
OPSCORE_API_KEY, LOG_LEVEL (info).`;

/** Starts AgentKit from the environment and stops it cleanly on SIGTERM/SIGINT. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  if (existsSync('.env')) dotenv.config({ path: '.env', quiet: true });
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`agentkit: configuration error: ${err.message}`);
      process.exitCode = 78; // EX_CONFIG
      return;
    }
    throw err;
  }
  const service = await createService(config);
  const shutdown = (signal: string) => {
    service.logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        service.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await service.start();
  const missing = missingServiceNodeFlags();
  if (missing.length > 0) {
    service.logger.info({ missing }, `node runs without ${missing.join(' ')}: resident memory stays higher after load bursts (npm start sets it; README.md, Running the service)`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error('agentkit: failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
