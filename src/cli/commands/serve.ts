import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError, ExitCode } from '../errors.js';
import { integerIn } from '../options.js';

interface ServeOptions {
  port?: number;
  host?: string;
  db?: string;
}

/** The service's entry point (src/main.ts), loaded only when `serve` runs. */
type ServiceMain = (argv?: string[]) => Promise<void>;

/** `agentkit serve`: runs the AgentKit service in this process. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the AgentKit service in this process (configured by environment variables)')
    .option('--port <port>', 'port to listen on (sets PORT)', integerIn(0, 65_535))
    .option('--host <host>', 'address to bind (sets HOST)')
    .option('--db <path>', 'database location (sets AGENTKIT_DB)')
    .addHelpText(
      'after',
      `
Everything else comes from the environment, as for "npm start": AGENTKIT_API_KEYS,
OPSCORE_WEBHOOK_URL, OPSCORE_WEBHOOK_SECRET, OPSCORE_API_URL, OPSCORE_API_KEY, ...
(see the README's configuration section). --url, --api-key and --json do not apply.
Stop it with Ctrl-C (SIGINT) or SIGTERM.

Examples:
  $ AGENTKIT_API_KEYS=dev-key agentkit serve --port 8080 --db ./data/agentkit.db
  $ agentkit serve --host 0.0.0.0`,
    )
    .action(async (options: ServeOptions) => {
      if (options.port !== undefined) process.env.PORT = String(options.port);
      if (options.host !== undefined) process.env.HOST = options.host;
      if (options.db !== undefined) process.env.AGENTKIT_DB = options.db;
      // A computed specifier: the service is optional at type-check time and loaded lazily,
      // so the API commands start fast.
      const entry = new URL('../../main.js', import.meta.url).href;
      let module: { main?: unknown };
      try {
        module = (await import(entry)) as { main?: unknown };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(fileURLToPath(entry))) {
          throw new CliError(`The AgentKit service is not available (${entry} not found).`, ExitCode.generic);
        }
        throw error;
      }
      if (typeof module.main !== 'function') {
        throw new CliError(`The AgentKit service entry ${entry} does not export main().`, ExitCode.generic);
      }
      // Options were turned into env vars above; the service reads nothing else from argv.
      await (module.main as ServiceMain)([]);
    });
}
