/**
 * Errors the CLI reports, and the exit code each one ends the process with.
 * Messages go to stderr as one readable line (plus validation details); a stack trace is
 * printed only for unexpected errors and only when AGENTKIT_DEBUG=1.
 */

/** The CLI's exit codes; `agentkit --help` and the README list them. */
export const ExitCode = {
  ok: 0,
  /** An unexpected error (a bug, or a 5xx answer from AgentKit). */
  generic: 1,
  /** Bad command line or configuration: unknown command, bad option value, missing API key. */
  usage: 2,
  /** AgentKit answered 404. */
  notFound: 3,
  /** AgentKit answered 401 or 403: the API key is missing or wrong. */
  auth: 4,
  /** AgentKit refused the request: 400, 409, 413, 415 or 422. */
  rejected: 5,
  /** AgentKit could not be reached (connection refused, DNS) or did not answer in time. */
  unreachable: 6,
  /** `run --wait`: the task ended `failed`. */
  taskFailed: 7,
  /** `run --wait`: the task had not ended when `--wait-timeout` ran out. */
  waitTimedOut: 8,
  /** `run --wait`: the task ended `canceled` (someone canceled it meanwhile). */
  taskCanceled: 9,
  /** AgentKit answered 429: a rate limit or an agent's queue cap; try again later. */
  limited: 10,
  /** Interrupted by Ctrl-C (SIGINT), as shells report it. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The help text that lists the exit codes. */
export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    unexpected error (including a 5xx answer from AgentKit)
  2    usage error: unknown command or option, bad value, missing API key
  3    not found (HTTP 404)
  4    not authorised (HTTP 401: wrong key; 403: its role may not): check AGENTKIT_API_KEY
  5    request refused (HTTP 400, 409, 413, 415, 422)
  6    cannot reach AgentKit, or it did not answer in --request-timeout
  7    run --wait: the task ended failed
  8    run --wait, tasks cancel --wait: --wait-timeout ran out before the task ended
  9    run --wait: the task ended canceled
  10   limited (HTTP 429: the key's rate limit or the agent's queue cap): try again later
  130  interrupted (Ctrl-C)`;

/** An error with a message meant for the user and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    /** Extra lines printed under the message (e.g. validation issues). */
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A bad command line or configuration (exit 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'UsageError';
  }
}

/** The subset of an RFC 9457 problem document the CLI shows. */
interface ProblemLike {
  title?: unknown;
  status?: unknown;
  detail?: unknown;
  errors?: unknown;
}

function exitCodeForStatus(status: number): ExitCodeValue {
  if (status === 404) return ExitCode.notFound;
  if (status === 401 || status === 403) return ExitCode.auth;
  if ([400, 409, 413, 415, 422].includes(status)) return ExitCode.rejected;
  if (status === 429) return ExitCode.limited;
  return ExitCode.generic;
}

/** AgentKit answered with an error status. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    details: readonly string[],
  ) {
    super(detail ? `${title} (HTTP ${status}): ${detail}` : `${title} (HTTP ${status})`, exitCodeForStatus(status), details);
    this.name = 'ApiError';
  }

  /** Builds the error from a response and its parsed body (problem+json, other JSON or text). */
  static from(response: Response, body: unknown): ApiError {
    const status = response.status;
    const fallbackTitle = response.statusText || `HTTP ${status}`;
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      const problem: ProblemLike = body;
      const title = typeof problem.title === 'string' && problem.title ? problem.title : fallbackTitle;
      const detail = typeof problem.detail === 'string' && problem.detail ? problem.detail : undefined;
      const issues = Array.isArray(problem.errors) ? problem.errors.map(formatIssue) : [];
      return new ApiError(status, title, detail, issues);
    }
    const text = typeof body === 'string' ? body.trim() : '';
    return new ApiError(status, fallbackTitle, text ? text.slice(0, 500) : undefined, []);
  }
}

function formatIssue(issue: unknown): string {
  if (issue !== null && typeof issue === 'object') {
    const { path, message }: { path?: unknown; message?: unknown } = issue;
    const where = typeof path === 'string' && path ? `${path}: ` : '';
    return `- ${where}${typeof message === 'string' ? message : JSON.stringify(issue)}`;
  }
  return `- ${String(issue)}`;
}

/** A fetch that threw: AgentKit could not be reached (exit 6). */
export function unreachable(baseUrl: string, cause: unknown): CliError {
  const reason = networkReason(cause);
  return new CliError(
    `Cannot reach AgentKit at ${baseUrl}${reason ? ` (${reason})` : ''}. Is it running? Check --url or AGENTKIT_URL.`,
    ExitCode.unreachable,
  );
}

function networkReason(error: unknown): string {
  // undici puts the socket error (ECONNREFUSED, ENOTFOUND...) in `cause`, possibly nested or
  // inside an AggregateError; show its code, else the innermost message ("bad port").
  let current: unknown = error;
  let message = '';
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E')) return code;
    message = current.message;
    current = current instanceof AggregateError && current.errors.length > 0 ? current.errors[0] : current.cause;
  }
  return message;
}

/**
 * Prints the error on stderr and returns the exit code. Unexpected errors show their
 * message only; AGENTKIT_DEBUG=1 adds the stack trace.
 */
export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): ExitCodeValue {
  const debug = process.env.AGENTKIT_DEBUG === '1';
  if (error instanceof CliError) {
    stderr.write(`agentkit: ${error.message}\n`);
    for (const line of error.details) stderr.write(`  ${line}\n`);
    if (debug && error.stack) stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`agentkit: unexpected error: ${message}\n`);
  if (debug && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  else stderr.write('  (set AGENTKIT_DEBUG=1 to see the stack trace)\n');
  return ExitCode.generic;
}
