import type { Command } from 'commander';
import type { Ora } from 'ora';
import { apiFor, call, globalOptions } from '../api.js';
import { CliError, ExitCode } from '../errors.js';
import { integerIn, positiveNumber } from '../options.js';
import { note } from '../output.js';
import { buildParameters } from '../params.js';
import { waitForTask } from '../wait.js';
import { printTask, type Task } from './tasks.js';

interface RunOptions {
  param: string[];
  paramsJson?: string;
  session?: string;
  opscoreTask?: string;
  timeout?: number;
  idempotencyKey?: string;
  wait?: boolean;
  waitTimeout?: number;
}

/** Default of `--wait-timeout`, in seconds. */
const DEFAULT_WAIT_TIMEOUT_SECONDS = 300;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function describe(task: Task, startedAt: number): string {
  const seconds = Math.round((Date.now() - startedAt) / 1000);
  const progress = task.progress === null || task.progress === undefined ? '' : ` ${Math.round(task.progress)}%`;
  const message = task.message ? `: ${task.message}` : '';
  return `Task ${task.taskId} ${task.status}${progress}${message} (${seconds}s)`;
}

/** `agentkit run <agentId> <task_name>`. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('Dispatch a task to an agent; with --wait, follow it to its end')
    .argument('<agentId>', 'the agent to run the task')
    .argument('<task_name>', "which of the agent's handlers runs it")
    .option('-p, --param <key=value>', 'a task parameter; repeat for more (the value is parsed as JSON when it is JSON)', collect, [])
    .option('--params-json <json>', 'all parameters as one JSON object; --param adds keys to it')
    .option('--session <id>', "Ops-Core's session id (opscore_session_id)")
    .option('--opscore-task <id>', "Ops-Core's task id (opscore_task_id)")
    .option('--timeout <seconds>', 'how long the task may take, from dispatch to its end (1-86400)', integerIn(1, 86_400))
    .option('--idempotency-key <key>', 'makes the dispatch safe to retry: the same key and body return the same task')
    .option('-w, --wait', 'follow the task until it ends (finished, failed or canceled), then print it')
    .option('--wait-timeout <seconds>', `with --wait, give up after this long (default ${DEFAULT_WAIT_TIMEOUT_SECONDS}); implies --wait`, positiveNumber)
    .addHelpText(
      'after',
      `
Parameters: --param n=3 sends the number 3, --param flag=true a boolean, --param 'o={"a":1}'
an object, --param name=bob the string "bob" (quote JSON strings to force a string:
--param 'id="007"'). Keys are used as given (a.b=1 sets the key "a.b"); a key given twice is
an error.

Without --wait the queued task is printed at once. With --wait a progress indicator shows
the task's status and progress on stderr (when it is a terminal and --json is not set), and
the ended task is printed; the exit code is 7 when it failed, 9 when it was canceled and 8
when --wait-timeout ran out (the task goes on; follow it with "agentkit tasks get <taskId>").

Examples:
  $ agentkit run echo-agent-1 echo --param message=hello --wait
  $ agentkit run echo-agent-1 sleep --param ms=5000 --timeout 30 --wait --wait-timeout 60
  $ agentkit run echo-agent-1 echo --params-json '{"message":"hi","n":1}' --json
  $ agentkit run echo-agent-1 echo -p message=hi --idempotency-key order-42 --wait --json | jq .result`,
    )
    .action(async (agentId: string, taskName: string, options: RunOptions, command: Command) => {
      const globals = globalOptions(command);
      const parameters = buildParameters(options.param, options.paramsJson);
      const api = apiFor(globals);
      const header = options.idempotencyKey === undefined ? undefined : { 'Idempotency-Key': options.idempotencyKey };
      const queued = await call(
        api,
        api.client.POST('/v1/agents/{agentId}/run', {
          params: { path: { agentId }, ...(header ? { header } : {}) },
          body: {
            task_name: taskName,
            parameters,
            ...(options.session === undefined ? {} : { opscore_session_id: options.session }),
            ...(options.opscoreTask === undefined ? {} : { opscore_task_id: options.opscoreTask }),
            ...(options.timeout === undefined ? {} : { timeout_seconds: options.timeout }),
          },
        }),
      );

      if (!options.wait && options.waitTimeout === undefined) {
        printTask(queued, globals.json);
        if (!globals.json) note(`Follow it: agentkit tasks get ${queued.taskId}   (or dispatch with --wait)`);
        return;
      }

      const timeoutSeconds = options.waitTimeout ?? DEFAULT_WAIT_TIMEOUT_SECONDS;
      const startedAt = Date.now();
      // ora is loaded only when a spinner is shown: it is the slowest import of the CLI.
      // A terminal without a width (some CI ptys) would make ora's redraw loop forever.
      const spinner: Ora | undefined =
        process.stderr.isTTY && (process.stderr.columns ?? 0) > 0 && !globals.json
          ? (await import('ora')).default({ stream: process.stderr, text: describe(queued, startedAt) }).start()
          : undefined;
      const interrupt = new AbortController();
      const onSigint = () => interrupt.abort();
      process.once('SIGINT', onSigint);
      let outcome: { task: Task; timedOut: boolean };
      try {
        outcome = await waitForTask(
          () => call(api, api.client.GET('/v1/tasks/{taskId}', { params: { path: { taskId: queued.taskId } } })),
          queued,
          {
            timeoutMs: timeoutSeconds * 1000,
            signal: interrupt.signal,
            onUpdate: (task) => {
              if (spinner) spinner.text = describe(task, startedAt);
            },
          },
        );
      } catch (error) {
        spinner?.stop();
        if (interrupt.signal.aborted) {
          throw new CliError(
            `Stopped waiting; task ${queued.taskId} goes on. Follow it: agentkit tasks get ${queued.taskId}`,
            ExitCode.interrupted,
          );
        }
        throw error;
      } finally {
        process.removeListener('SIGINT', onSigint);
      }

      const { task, timedOut } = outcome;
      if (spinner) {
        if (timedOut) spinner.warn(describe(task, startedAt));
        else if (task.status !== 'finished') spinner.fail(describe(task, startedAt));
        else spinner.succeed(describe(task, startedAt));
      }
      printTask(task, globals.json);
      if (timedOut) {
        throw new CliError(
          `Gave up waiting after ${timeoutSeconds}s: task ${task.taskId} is still ${task.status}. Follow it: agentkit tasks get ${task.taskId}`,
          ExitCode.waitTimedOut,
        );
      }
      if (task.status === 'failed') {
        const reason = task.error ? `${task.error.code ? `${task.error.code}: ` : ''}${task.error.message}` : 'no error given';
        throw new CliError(`Task ${task.taskId} failed: ${reason}`, ExitCode.taskFailed);
      }
      if (task.status === 'canceled') {
        throw new CliError(`Task ${task.taskId} was canceled${task.cancelReason ? `: ${task.cancelReason}` : ''}`, ExitCode.taskCanceled);
      }
    });
}
