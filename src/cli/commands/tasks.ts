import type { Command } from 'commander';
import type { AgentKitComponents } from '../../client/agentkit.js';
import { apiFor, call, globalOptions } from '../api.js';
import { CliError, ExitCode } from '../errors.js';
import { allValues, oneOf, positiveNumber, withPaging, type PagingOptions, readPages } from '../options.js';
import { cell, jsonBlock, jsonCell, note, printJson, printRecord, printTable, time } from '../output.js';
import { waitForTask } from '../wait.js';

export type Task = AgentKitComponents['schemas']['Task'];
type TaskStatus = AgentKitComponents['schemas']['TaskStatus'];

export const TASK_STATUSES = allValues<TaskStatus>()('queued', 'delivered', 'running', 'canceling', 'finished', 'failed', 'canceled');

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
    ['Last heartbeat', time(task.lastHeartbeatAt)],
  ];
  if (task.heartbeat) entries.push(['Heartbeat', jsonBlock(task.heartbeat)]);
  if (task.cancelRequestedAt) entries.push(['Cancel asked', `${time(task.cancelRequestedAt)}${task.cancelReason ? `: ${task.cancelReason}` : ''}`]);
  if (task.lateOutcome) entries.push(['Late outcome', `${task.lateOutcome.status} at ${time(task.lateOutcome.at)} (refused: the task had ended)`]);
  if (task.status === 'finished' || task.result !== undefined) entries.push(['Result', jsonBlock(task.result)]);
  if (task.error) entries.push(['Error', task.error.code ? `${task.error.code}: ${task.error.message}` : task.error.message]);
  printRecord(entries);
}

/** Default of `tasks cancel --wait-timeout`, in seconds. */
const DEFAULT_CANCEL_WAIT_SECONDS = 120;

/** `agentkit tasks get|list|cancel`. */
export function registerTaskCommands(program: Command): void {
  const tasks = program
    .command('tasks')
    .description('Read dispatched tasks and what became of them')
    .addHelpText(
      'after',
      `
Examples:
  $ agentkit tasks list --status failed
  $ agentkit tasks get 5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22
  $ agentkit tasks cancel 5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22 --reason "workflow aborted" --wait`,
    );

  tasks
    .command('cancel')
    .description('Cancel a task: a queued one at once, a running one by telling its agent')
    .argument('<taskId>', "the task's id (a UUID)")
    .option('--reason <text>', 'why, for the agent and the task record')
    .option('-w, --wait', 'follow the task until it has ended, then print it')
    .option('--wait-timeout <seconds>', `with --wait, give up after this long (default ${DEFAULT_CANCEL_WAIT_SECONDS}); implies --wait`, positiveNumber)
    .addHelpText(
      'after',
      `
A queued task is canceled at once and never delivered. A delivered or running task becomes
"canceling": its agent is told and has AGENTKIT_CANCEL_GRACE_MS to stop, after which AgentKit
marks it canceled itself. Canceling twice is harmless. A task that already finished or failed
cannot be canceled (exit 5). With --wait the command returns once the task has ended; exit 8
when --wait-timeout ran out first.

Examples:
  $ agentkit tasks cancel 5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22
  $ agentkit tasks cancel 5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22 --reason "workflow aborted" --wait`,
    )
    .action(async (taskId: string, options: { reason?: string; wait?: boolean; waitTimeout?: number }, command: Command) => {
      const globals = globalOptions(command);
      const api = apiFor(globals);
      const asked = await call(
        api,
        api.client.POST('/v1/tasks/{taskId}/cancel', { params: { path: { taskId } }, body: options.reason === undefined ? {} : { reason: options.reason } }),
      );
      if (!options.wait && options.waitTimeout === undefined) {
        printTask(asked, globals.json);
        if (!globals.json && asked.status === 'canceling') note(`The agent was told. Follow it: agentkit tasks get ${taskId}   (or cancel with --wait)`);
        return;
      }
      const timeoutSeconds = options.waitTimeout ?? DEFAULT_CANCEL_WAIT_SECONDS;
      const { task, timedOut } = await waitForTask(
        () => call(api, api.client.GET('/v1/tasks/{taskId}', { params: { path: { taskId } } })),
        asked,
        { timeoutMs: timeoutSeconds * 1000 },
      );
      printTask(task, globals.json);
      if (timedOut) throw new CliError(`Gave up waiting after ${timeoutSeconds}s: task ${taskId} is still ${task.status}`, ExitCode.waitTimedOut);
    });

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
