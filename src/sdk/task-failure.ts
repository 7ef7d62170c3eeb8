/**
 * Throw from a handler to fail the task with a chosen error code (reported to AgentKit as
 * `error.code` and to Ops-Core in `details.error.code`). Any other thrown error fails the task
 * with its own string `code`, or `handler_error`.
 */
export class TaskFailure extends Error {
  constructor(
    /** A short machine-readable reason, e.g. `bad_input`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TaskFailure';
  }
}
