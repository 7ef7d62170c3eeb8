import type { Command } from 'commander';
import type { AgentKitComponents } from '../../client/agentkit.js';
import { apiFor, call, globalOptions } from '../api.js';
import { cell, jsonBlock, note, printJson, printRecord, printTable, time } from '../output.js';
import { integerIn, withPaging, type PagingOptions, readPages } from '../options.js';

type Agent = AgentKitComponents['schemas']['Agent'];

/** A rotation's grace period, as the API accepts it (0 to a week). */
const parseSeconds = integerIn(0, 604_800);

type Schemas = AgentKitComponents['schemas'];
type Api = ReturnType<typeof apiFor>;
type Body = Schemas['SecretRotationRequest'];
const until = (at: string | null) => (at === null ? 'no longer' : time(at));

/** `agents rotate-secret` and `agents rotate-token`: the same command for each of an agent's secrets. */
const ROTATIONS = [
  {
    command: 'rotate-secret',
    description: 'Issue an agent a new signing secret; deliveries carry a signature with the old one too for the grace period',
    grace: 'how long the old secret still signs (default: AGENTKIT_SECRET_ROTATION_GRACE_S; 0: stop it now)',
    help: 'Prints the new secret once: give it to the agent (its signingSecret) within the grace period.',
    call: (api: Api, agentId: string, body: Body) => call(api, api.client.POST('/v1/agents/{agentId}/signing-secret/rotate', { params: { path: { agentId } }, body })),
    rows: (r: Schemas['SigningSecretRotation']): Array<[string, string]> => [['Agent ID', r.agentId], ['Signing secret', r.signingSecret], ['Old secret signs until', until(r.previousSecretValidUntil)]],
  },
  {
    command: 'rotate-token',
    description: 'Issue an agent a new credential (agentToken); the old one still works for the grace period',
    grace: 'how long the old credential still works (default: AGENTKIT_SECRET_ROTATION_GRACE_S; 0: revoke it now)',
    help: 'Prints the new credential once: give it to the agent (AGENTKIT_AGENT_TOKEN or its credential file).',
    call: (api: Api, agentId: string, body: Body) => call(api, api.client.POST('/v1/agents/{agentId}/agent-token/rotate', { params: { path: { agentId } }, body })),
    rows: (r: Schemas['AgentTokenRotation']): Array<[string, string]> => [['Agent ID', r.agentId], ['Agent token', r.agentToken], ['Old token works until', until(r.previousTokenValidUntil)]],
  },
] as const;

/** `agentkit agents list|get|rotate-secret|rotate-token|deregister`. */
export function registerAgentCommands(program: Command): void {
  const agents = program
    .command('agents')
    .description("List, read and deregister registered agents, and rotate an agent's secrets")
    .addHelpText(
      'after',
      `
Examples:
  $ agentkit agents list
  $ agentkit agents list --capability echo --all --json
  $ agentkit agents get echo-agent-1
  $ agentkit agents rotate-secret echo-agent-1
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

  for (const rotation of ROTATIONS) {
    agents
      .command(rotation.command)
      .description(rotation.description)
      .argument('<agentId>', "the agent's id")
      .option('--grace <seconds>', rotation.grace, parseSeconds)
      .addHelpText(
        'after',
        `
${rotation.help}

Examples:
  $ agentkit agents ${rotation.command} echo-agent-1
  $ agentkit agents ${rotation.command} echo-agent-1 --grace 0 --json`,
      )
      .action(async (agentId: string, options: { grace?: number }, command: Command) => {
        const globals = globalOptions(command);
        const api = apiFor(globals);
        const body = options.grace === undefined ? {} : { graceSeconds: options.grace };
        const rotated = await rotation.call(api, agentId, body);
        if (globals.json) return printJson(rotated);
        printRecord(rotation.rows(rotated as never));
      });
  }

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
