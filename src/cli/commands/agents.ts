import type { Command } from 'commander';
import type { AgentKitComponents } from '../../client/agentkit.js';
import { apiFor, call, globalOptions } from '../api.js';
import { cell, jsonBlock, note, printJson, printRecord, printTable, time } from '../output.js';
import { withPaging, type PagingOptions, readPages } from '../options.js';

type Agent = AgentKitComponents['schemas']['Agent'];

/** `agentkit agents list|get|deregister`. */
export function registerAgentCommands(program: Command): void {
  const agents = program
    .command('agents')
    .description('List, read and deregister registered agents')
    .addHelpText(
      'after',
      `
Examples:
  $ agentkit agents list
  $ agentkit agents list --capability echo --all --json
  $ agentkit agents get echo-agent-1
  $ agentkit agents deregister echo-agent-1`,
    );

  withPaging(agents.command('list'))
    .description('List registered agents, oldest registration first')
    .option('--capability <capability>', 'only agents that list this capability')
    .addHelpText(
      'after',
      `
Examples:
  $ agentkit agents list
  $ agentkit agents list --capability echo
  $ agentkit agents list --all --json | jq -r '.items[].agentId'`,
    )
    .action(async (options: { capability?: string } & PagingOptions, command: Command) => {
      const globals = globalOptions(command);
      const api = apiFor(globals);
      const page = await readPages<Agent>(
        (cursor) =>
          call(
            api,
            api.client.GET('/v1/agents', {
              params: { query: { capability: options.capability, limit: options.limit, cursor } },
            }),
          ),
        { all: options.all === true, cursor: options.cursor },
      );
      if (globals.json) return printJson(page);
      printTable(
        ['AGENT ID', 'NAME', 'VERSION', 'CAPABILITIES', 'CONTACT ENDPOINT', 'REGISTERED'],
        page.items.map((agent) => [
          agent.agentId,
          agent.agentName,
          agent.version,
          agent.capabilities.join(', ') || '-',
          agent.contactEndpoint,
          time(agent.registeredAt),
        ]),
        'No agents registered.',
      );
      if (page.nextCursor) note(`More agents: add --all, or --cursor ${page.nextCursor}`);
    });

  agents
    .command('get')
    .description('Show one agent')
    .argument('<agentId>', "the agent's id")
    .addHelpText(
      'after',
      `
Examples:
  $ agentkit agents get echo-agent-1
  $ agentkit agents get echo-agent-1 --json`,
    )
    .action(async (agentId: string, _options: object, command: Command) => {
      const globals = globalOptions(command);
      const api = apiFor(globals);
      const agent = await call(api, api.client.GET('/v1/agents/{agentId}', { params: { path: { agentId } } }));
      if (globals.json) return printJson(agent);
      printRecord([
        ['Agent ID', agent.agentId],
        ['Name', agent.agentName],
        ['Version', agent.version],
        ['Capabilities', agent.capabilities.join(', ') || '-'],
        ['Contact endpoint', agent.contactEndpoint],
        ['Metadata', jsonBlock(agent.metadata)],
        ['Registered', time(agent.registeredAt)],
        ['Updated', cell(time(agent.updatedAt))],
      ]);
    });

  agents
    .command('deregister')
    .description('Deregister an agent (AgentKit tells Ops-Core; its undelivered tasks end failed)')
    .argument('<agentId>', "the agent's id")
    .addHelpText(
      'after',
      `
Prints nothing with --json (the API answers 204 No Content); check the exit code.

Examples:
  $ agentkit agents deregister echo-agent-1`,
    )
    .action(async (agentId: string, _options: object, command: Command) => {
      const globals = globalOptions(command);
      const api = apiFor(globals);
      await call(api, api.client.DELETE('/v1/agents/{agentId}', { params: { path: { agentId } } }));
      if (!globals.json) process.stdout.write(`Agent ${agentId} deregistered.\n`);
    });
}
