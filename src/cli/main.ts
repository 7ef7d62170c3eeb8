#!/usr/bin/env node
/**
 * `agentkit`: the command line of AgentKit's API, for people (tables) and scripts (`--json`,
 * exit codes). Run `agentkit --help`; the commands are wired in program.ts.
 */
import { ExitCode } from './errors.js';
import { runCli } from './program.js';

// Piped into `head`: stop quietly when the reader goes away.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.ok);
  throw error;
});

const code = await runCli(process.argv);
// `serve` may have set an exit code of its own (the service's configuration error): keep it.
if (code !== ExitCode.ok) process.exitCode = code;
