import { readFileSync } from 'node:fs';
import { CommanderError, Command, Option } from 'commander';
import { registerAgentCommands } from './commands/agents.js';
import { registerDeliveryCommands } from './commands/deliveries.js';
import { registerRunCommand } from './commands/run.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTaskCommands } from './commands/tasks.js';
import { EXIT_CODES_HELP, ExitCode, reportError } from './errors.js';
import { positiveNumber } from './options.js';

/** The package's version, from the nearest package.json above this file (src/ or dist/src/). */
function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'agentkit' && pkg.version) return pkg.version;
    } catch {
      // Try the next candidate.
    }
  }
  return '0.0.0';
}

/** Builds the `agentkit` program; errors surface as exceptions (see exitOverride). */
export function createProgram(): Command {
  const program = new Command('agentkit')
    .description('Command line for AgentKit: agents, tasks and the delivery log, for people and scripts.')
    .version(packageVersion(), '-V, --version')
    .addOption(
      new Option('--url <url>', "AgentKit's base URL").env('AGENTKIT_URL').default('http://127.0.0.1:8080'),
    )
    .addOption(new Option('--api-key <key>', 'an AgentKit API key (prefer the env var: argv is visible to other users)').env('AGENTKIT_API_KEY'))
    .option('--json', "print the API's JSON instead of tables (for scripts)")
    .addOption(
      new Option('--request-timeout <seconds>', 'give up on a request AgentKit does not answer in time')
        .env('AGENTKIT_REQUEST_TIMEOUT')
        .default(30)
        .argParser(positiveNumber),
    )
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    // Throw instead of exiting, so that every exit goes through one place with our exit codes.
    .exitOverride()
    .addHelpText(
      'after',
      `
Environment:
  AGENTKIT_URL              AgentKit's base URL (default http://127.0.0.1:8080), or --url
  AGENTKIT_API_KEY          an API key, one of the service's AGENTKIT_API_KEYS; needed by
                            every command but serve (or --api-key). Its role bounds what
                            works: dispatcher runs, cancels, lists and redelivers; admin
                            also deregisters
  AGENTKIT_REQUEST_TIMEOUT  seconds per request (default 30), or --request-timeout
  AGENTKIT_DEBUG=1          show stack traces of unexpected errors

Output: tables for people; --json prints the API's JSON on stdout. Errors go to stderr
as the problem's title and detail.

${EXIT_CODES_HELP}

Examples:
  $ export AGENTKIT_URL=http://127.0.0.1:8080 AGENTKIT_API_KEY=dev-key
  $ agentkit agents list
  $ agentkit run echo-agent-1 echo --param message=hello --wait
  $ agentkit tasks list --status failed --json | jq -r '.items[].taskId'
  $ agentkit deliveries list --status failed
  $ agentkit serve --port 8080`,
    );

  registerServeCommand(program);
  registerAgentCommands(program);
  registerRunCommand(program);
  registerTaskCommands(program);
  registerDeliveryCommands(program);
  return program;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv]);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed its message (or the help) already; help and --version exit 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return reportError(error);
  }
}
