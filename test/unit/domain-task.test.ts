// The rules of a task's and a delivery's life (src/domain/task.ts, delivery.ts): both stores call
// these inside their transactions, so these tests are the rules' own; the store suite shows the
// stores apply them alike.
import { describe, expect, it } from 'vitest';
import { decideRedelivery } from '../../src/domain/delivery.js';
import { decideReport, delivered, ENDED, newTask, failed, hasEnded, isTaken, NOT_TAKEN, TAKEN, taskErrors, undelivered, type TaskRecord, type TaskStatus } from '../../src/domain/task.js';

const T0 = '2030-01-01T00:00:00.000Z';
const T1 = '2030-01-01T00:00:01.000Z';

function task(status: TaskStatus, over: Partial<TaskRecord> = {}): TaskRecord {
  const fields = { taskId: 't-1', agentId: 'a-1', taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: 'ops-1', timeoutSeconds: null, opscoreMessage: null };
  return { ...newTask(fields, T0), status, ...over };
}

describe('the status lists', () => {
  it('when a status is asked about, then it is in exactly one of not taken, taken and ended', () => {
    for (const status of ['queued', 'delivered', 'running', 'finished', 'failed'] as const) {
      expect([NOT_TAKEN, TAKEN, ENDED].filter((list) => (list as readonly TaskStatus[]).includes(status)), status).toHaveLength(1);
    }
    expect(hasEnded(task('failed'))).toBe(true);
    expect(isTaken(task('running'))).toBe(true);
    expect(isTaken(task('queued'))).toBe(false);
  });
});

describe('decideReport', () => {
  it('when a running report carries progress, then the task runs with it, and a later one without progress keeps it', () => {
    const first = decideReport(task('delivered'), { status: 'running', progress: 40, message: 'working' }, false, T1);
    expect(first).toMatchObject({ outcome: 'updated', task: { status: 'running', progress: 40, message: 'working', updatedAt: T1, finishedAt: null } });
    const second = decideReport(first.task, { status: 'running' }, false, T1);
    expect(second.task).toMatchObject({ progress: 40, message: 'working' });
  });

  it('when the agent reports before the delivery was recorded, then the task counts as delivered then', () => {
    expect(decideReport(task('queued'), { status: 'running' }, false, T1).task.deliveredAt).toBe(T1);
    expect(decideReport(task('running', { deliveredAt: T0 }), { status: 'running' }, false, T1).task.deliveredAt).toBe(T0);
  });

  it('when finished, then the task is at 100 % with its result (a null result too) and ends', () => {
    expect(decideReport(task('running'), { status: 'finished', result: { n: 1 } }, true, T1).task).toMatchObject({ status: 'finished', progress: 100, result: { n: 1 }, finishedAt: T1, error: null });
    expect(decideReport(task('running'), { status: 'finished', result: null }, true, T1).task.result).toBeNull();
    expect(decideReport(task('running'), { status: 'finished' }, false, T1).task.result).toBeUndefined();
  });

  it('when failed without an error, then the error says the agent reported a failure', () => {
    expect(decideReport(task('running'), { status: 'failed' }, false, T1).task.error).toEqual(taskErrors.reported());
    expect(decideReport(task('running'), { status: 'failed', error: { code: 'boom', message: 'it broke' } }, false, T1).task.error).toEqual({ code: 'boom', message: 'it broke' });
  });

  it('when the task has ended, then the same outcome again changes nothing and another is a conflict', () => {
    const done = task('finished', { result: 1, finishedAt: T0 });
    expect(decideReport(done, { status: 'finished', result: 2 }, true, T1)).toEqual({ outcome: 'unchanged', task: done });
    expect(decideReport(done, { status: 'failed' }, false, T1)).toMatchObject({ outcome: 'conflict', message: 'The task already ended as finished; a report cannot change that' });
    expect(decideReport(done, { status: 'running' }, false, T1).outcome).toBe('conflict');
  });
});

describe('delivered, undelivered, failed', () => {
  it('when a delivery succeeds, then only a task the agent has not taken becomes delivered', () => {
    expect(delivered(task('queued'), T1)).toMatchObject({ status: 'delivered', deliveredAt: T1, updatedAt: T1 });
    for (const status of ['delivered', 'running', 'finished', 'failed'] as const) expect(delivered(task(status), T1), status).toBeNull();
  });

  it('when a delivery fails for good, then its task fails unless the agent took it', () => {
    const error = taskErrors.undeliverable('a-1', 'HTTP 503');
    expect(undelivered(task('queued'), error, T1)).toMatchObject({ status: 'failed', error, finishedAt: T1 });
    for (const status of ['delivered', 'running', 'finished', 'failed'] as const) expect(undelivered(task(status), error, T1), status).toBeNull();
  });

  it('when a task fails, then it ends now with the error', () => {
    expect(failed(task('running'), taskErrors.noOutcome(), T1)).toMatchObject({ status: 'failed', error: { code: 'timeout' }, updatedAt: T1, finishedAt: T1 });
  });
});

describe('decideRedelivery', () => {
  it('when the delivery is still pending, then it may not be sent again by hand', () => {
    expect(decideRedelivery({ status: 'pending' }, null)).toEqual({ ok: false, reason: expect.stringContaining('still pending') });
  });

  it('when it brought a task that has ended, then not (dispatch anew); otherwise it may', () => {
    expect(decideRedelivery({ status: 'succeeded' }, { status: 'finished' })).toEqual({ ok: false, reason: 'The task already ended (finished); dispatch it again instead' });
    expect(decideRedelivery({ status: 'failed' }, { status: 'failed' }).ok).toBe(false);
    expect(decideRedelivery({ status: 'succeeded' }, { status: 'running' })).toEqual({ ok: true });
    expect(decideRedelivery({ status: 'failed' }, null)).toEqual({ ok: true });
  });
});
