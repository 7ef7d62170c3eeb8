import type { Command } from 'commander';
import type { AgentKitComponents, AgentKitPaths } from '../../client/agentkit.js';
import { apiFor, call, globalOptions } from '../api.js';
import { allValues, oneOf, withPaging, type PagingOptions, readPages } from '../options.js';
import { cell, note, printJson, printRecord, printTable, time } from '../output.js';

type Delivery = AgentKitComponents['schemas']['WebhookDelivery'];
type DeliveryStatus = AgentKitComponents['schemas']['DeliveryStatus'];
type DeliveryKind = NonNullable<NonNullable<AgentKitPaths['/v1/webhook-deliveries']['get']['parameters']['query']>['kind']>;

const DELIVERY_STATUSES = allValues<DeliveryStatus>()('pending', 'succeeded', 'failed', 'canceled');
const DELIVERY_KINDS = allValues<DeliveryKind>()('agent.lifecycle', 'task.delivery', 'task.cancel', 'opscore.state');

function lastOutcome(delivery: Delivery): string {
  // lastError usually names the status code already ("HTTP 400: ...").
  const text = delivery.lastError || (delivery.lastStatusCode ? `HTTP ${delivery.lastStatusCode}` : '');
  return text.length > 50 ? `${text.slice(0, 49)}…` : text || '-';
}

function printDelivery(delivery: Delivery): void {
  printRecord([
    ['Delivery ID', delivery.deliveryId],
    ['Webhook ID', delivery.webhookId],
    ['Kind', delivery.kind],
    ['Event', delivery.eventType],
    ['Agent ID', delivery.agentId],
    ['Task ID', cell(delivery.taskId)],
    ['Target URL', delivery.targetUrl],
    ['Status', delivery.status],
    ['Attempts', String(delivery.attempts)],
    ['Next attempt', time(delivery.nextAttemptAt)],
    ['Last status code', cell(delivery.lastStatusCode)],
    ['Last error', cell(delivery.lastError)],
    ['Created', time(delivery.createdAt)],
    ['Updated', time(delivery.updatedAt)],
  ]);
}

/** `agentkit deliveries list|redeliver`. */
export function registerDeliveryCommands(program: Command): void {
  const deliveries = program
    .command('deliveries')
    .description("The delivery log: lifecycle webhooks to Ops-Core, task deliveries to agents, AgentKit's own state reports")
    .addHelpText(
      'after',
      `
Examples:
  $ agentkit deliveries list --status failed
  $ agentkit deliveries redeliver 01JDX8Q3W5K2M7N9P4R6T8V0XY`,
    );

  withPaging(deliveries.command('list'))
    .description('List outgoing deliveries, newest first, with their last outcome')
    .option('--status <status>', `only deliveries in this status (${DELIVERY_STATUSES.join(', ')})`, oneOf(DELIVERY_STATUSES))
    .option('--kind <kind>', `only deliveries of this kind (${DELIVERY_KINDS.join(', ')})`, oneOf(DELIVERY_KINDS))
    .option('--agent <agentId>', 'only deliveries about this agent')
    .addHelpText(
      'after',
      `
The --json output includes every attempt (attemptLog): status code, latency and error.

Examples:
  $ agentkit deliveries list
  $ agentkit deliveries list --status failed --kind agent.lifecycle
  $ agentkit deliveries list --agent echo-agent-1 --json | jq '.items[].attemptLog'`,
    )
    .action(
      async (
        options: { status?: DeliveryStatus; kind?: DeliveryKind; agent?: string } & PagingOptions,
        command: Command,
      ) => {
        const globals = globalOptions(command);
        const api = apiFor(globals);
        const page = await readPages<Delivery>(
          (cursor) =>
            call(
              api,
              api.client.GET('/v1/webhook-deliveries', {
                params: {
                  query: { status: options.status, kind: options.kind, agentId: options.agent, limit: options.limit, cursor },
                },
              }),
            ),
          { all: options.all === true, cursor: options.cursor },
        );
        if (globals.json) return printJson(page);
        printTable(
          ['DELIVERY ID', 'KIND', 'EVENT', 'AGENT ID', 'TASK ID', 'STATUS', 'ATTEMPTS', 'LAST OUTCOME', 'UPDATED'],
          page.items.map((delivery) => [
            delivery.deliveryId,
            delivery.kind,
            delivery.eventType,
            delivery.agentId,
            cell(delivery.taskId),
            delivery.status,
            String(delivery.attempts),
            lastOutcome(delivery),
            time(delivery.updatedAt),
          ]),
          'No deliveries.',
        );
        if (page.nextCursor) note(`More deliveries: add --all, or --cursor ${page.nextCursor}`);
      },
    );

  deliveries
    .command('redeliver')
    .description('Queue a failed (or succeeded) delivery again, with a fresh retry budget and the same webhook-id')
    .argument('<deliveryId>', "the delivery's id")
    .addHelpText(
      'after',
      `
A delivery that is still pending, or a task delivery whose task already ended, is refused (409, exit 5).

Examples:
  $ agentkit deliveries redeliver 01JDX8Q3W5K2M7N9P4R6T8V0XY`,
    )
    .action(async (deliveryId: string, _options: object, command: Command) => {
      const globals = globalOptions(command);
      const api = apiFor(globals);
      const delivery = await call(
        api,
        api.client.POST('/v1/webhook-deliveries/{deliveryId}/redeliver', { params: { path: { deliveryId } } }),
      );
      if (globals.json) return printJson(delivery);
      note(`Delivery ${delivery.deliveryId} queued again.`);
      printDelivery(delivery);
    });
}
