/**
 * The reason a handler's `signal` aborts with when its task was canceled (through AgentKit's
 * `POST /v1/tasks/{taskId}/cancel`), so that a handler tells a cancel from its deadline (a
 * `TimeoutError` DOMException) or the agent stopping (an `AbortError` DOMException):
 * `signal.reason instanceof TaskCanceledError`.
 */
export class TaskCanceledError extends Error {
  constructor(
    /** Why, as the cancel said; null when it gave no reason. */
    readonly reason: string | null,
  ) {
    super(reason ? `The task was canceled: ${reason}` : 'The task was canceled');
    this.name = 'TaskCanceledError';
  }
}
