import type { Command } from 'commander';
import type { AgentKitComponents } from '../../client/agentkit.js';
import { apiFor, call, globalOptions } from '../api.js';
import { allValues, oneOf, withPaging, type PagingOptions, readPages } from '../options.js';
import { cell, jsonBlock, jsonCell, note, printJson, printRecord, printTable, time } from '../output.js';

export type Task = AgentKitComponents['schemas']['Task'];
type TaskStatus = AgentKitComponents['schemas']['TaskStatus'];

export const TASK_STATUSES = allValues<TaskStatus>()('queued', 'delivered', 'running', 'finished', 'failed');

/** `42%` or `-`. */
function percent(progress: number | null | undefined): string {
  return progress === null || progress === undefined ? '-' : `${Math.round(progress * 10) / 10}%`;
}

/** Prints one task: its JSON with `json`, else a field/value table with its result or error. */
export function printTask(task: Task, json: boolean): void {
  if (json) return printJson(task);
  const entries: [string, string][] = [
    ['Task ID', task.taskId],
    ['Agent ID', task.agentId],
    ['Task name', task.task_name],
    ['Status', task.status],
    ['Progress', percent(task.progress)],
    ['Message', cell(task.message)],
    ['Parameters', jsonBlock(task.parameters)],
    ['Ops-Core session', cell(task.opscore_session_id)],
    ['Ops-Core task', cell(task.opscore_task_id)],
    ['Timeout (s)', cell(task.timeout_seconds)],
    ['Created', time(task.createdAt)],
    ['Delivered', time(task.deliveredAt)],
    ['Finished', time(task.finishedAt)],
  ];
  if (task.status === 'finished' || task.result !== undefined) entries.push(['Result', jsonBlock(task.result)]);
  if (task.error) entries.push(['Error', task.error.code ? `${task.error.code}: ${task.error.message}` : task.error.message]);
  printRecord(entries);
}

/** `agentkit tasks get|list`. */
export function registerTaskCommands(program: Command): void {
  const tasks = program
    .command('tasks')
    .description('Read dispatched tasks and what became of them')
    .addHelpText(
      'after',
      `
Examples:
  $ agentkit tasks list --status failed
  $ agentkit tasks get 5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22`,
    );

  tasks
    .command('get')
    .description('Show one task, with its result or error')
    .argument('<taskId>', "the task's id (a UUID)")
    .addHelpText(
      'after',
      `
Examples:
  $ agentkit tasks get 5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22
  $ agentkit tasks get 5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22 --json | jq .result`,
    )
    .action(async (taskId: string, _options: object, command: Command) => {
      const globals = globalOptions(command);
      const api = apiFor(globals);
      const task = await call(api, api.client.GET('/v1/tasks/{taskId}', { params: { path: { taskId } } }));
      printTask(task, globals.json);
    });

  withPaging(tasks.command('list'))
    .description('List tasks, newest first')
    .option('--agent <agentId>', 'only tasks of this agent')
    .option('--status <status>', `only tasks in this status (${TASK_STATUSES.join(', ')})`, oneOf(TASK_STATUSES))
    .addHelpText(
      'after',
      `
Examples:
  $ agentkit tasks list
  $ agentkit tasks list --agent echo-agent-1 --status running
  $ agentkit tasks list --status failed --all --json | jq -r '.items[].taskId'`,
    )
    .action(
      async (
        options: { agent?: string; status?: TaskStatus } & PagingOptions,
        command: Command,
      ) => {
        const globals = globalOptions(command);
        const api = apiFor(globals);
        const page = await readPages<Task>(
          (cursor) =>
            call(
              api,
              api.client.GET('/v1/tasks', {
                params: { query: { agentId: options.agent, status: options.status, limit: options.limit, cursor } },
              }),
            ),
          { all: options.all === true, cursor: options.cursor },
        );
        if (globals.json) return printJson(page);
        printTable(
          ['TASK ID', 'AGENT ID', 'TASK', 'STATUS', 'PROGRESS', 'CREATED', 'FINISHED', 'RESULT / ERROR'],
          page.items.map((task) => [
            task.taskId,
            task.agentId,
            task.task_name,
            task.status,
            percent(task.progress),
            time(task.createdAt),
            time(task.finishedAt),
            task.error ? task.error.message.slice(0, 40) : task.status === 'finished' ? jsonCell(task.result, 40) : '-',
          ]),
          'No tasks.',
        );
        if (page.nextCursor) note(`More tasks: add --all, or --cursor ${page.nextCursor}`);
      },
    );
}
