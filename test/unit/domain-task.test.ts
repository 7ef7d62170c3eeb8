// The rules of a task's and a delivery's life (src/domain/task.ts, delivery.ts): both stores call
// these inside their transactions, so these tests are the rules' own; the store suite shows the
// stores apply them alike.
import { describe, expect, it } from 'vitest';
import { decideRedelivery } from '../../src/domain/delivery.js';
import { CANCELING, canceled, decideCancel, decideReport, delivered, ENDED, freesSlot, heartbeatTimeoutMs, newTask, orphaned, WITH_AGENT, failed, hasEnded, isTaken, NOT_TAKEN, TAKEN, taskErrors, undelivered, type TaskRecord, type TaskStatus } from '../../src/domain/task.js';

const T0 = '2030-01-01T00:00:00.000Z';
const T1 = '2030-01-01T00:00:01.000Z';

function task(status: TaskStatus, over: Partial<TaskRecord> = {}): TaskRecord {
  const fields = { taskId: 't-1', agentId: 'a-1', taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: 'ops-1', timeoutSeconds: null, opscoreMessage: null };
  return { ...newTask(fields, T0), status, ...over };
}

describe('the status lists', () => {
  it('when a status is asked about, then it is in exactly one of not taken, taken, canceling and ended', () => {
    for (const status of ['queued', 'delivered', 'running', 'canceling', 'finished', 'failed', 'canceled'] as const) {
      expect([NOT_TAKEN, TAKEN, CANCELING, ENDED].filter((list) => (list as readonly TaskStatus[]).includes(status)), status).toHaveLength(1);
    }
    expect([...WITH_AGENT]).toEqual(['delivered', 'running', 'canceling']);
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
    expect(decideRedelivery({ status: 'pending', kind: 'opscore.state' }, null)).toEqual({ ok: false, reason: expect.stringContaining('still pending') });
  });

  it('when it brought a task that has ended, then not (dispatch anew); otherwise it may', () => {
    expect(decideRedelivery({ status: 'succeeded', kind: 'task.delivery' }, { status: 'finished' })).toEqual({ ok: false, reason: 'The task already ended (finished); dispatch it again instead' });
    expect(decideRedelivery({ status: 'failed', kind: 'task.delivery' }, { status: 'failed' }).ok).toBe(false);
    expect(decideRedelivery({ status: 'failed', kind: 'task.delivery' }, { status: 'canceled' }).ok).toBe(false);
    expect(decideRedelivery({ status: 'succeeded', kind: 'task.delivery' }, { status: 'running' })).toEqual({ ok: true });
    expect(decideRedelivery({ status: 'failed', kind: 'agent.lifecycle' }, null)).toEqual({ ok: true });
  });

  it('when it reported an ended task to Ops-Core or told its agent to cancel, then it may go again (it repeats what is true)', () => {
    expect(decideRedelivery({ status: 'failed', kind: 'opscore.state' }, { status: 'failed' })).toEqual({ ok: true });
    expect(decideRedelivery({ status: 'succeeded', kind: 'task.cancel' }, { status: 'canceled' })).toEqual({ ok: true });
  });
});

describe('heartbeats', () => {
  const H0 = Date.parse(T0);

  it('when an agent declared an interval, then a task may go unheard for the missed intervals; without one, forever', () => {
    expect(heartbeatTimeoutMs(10, 3)).toBe(30_000);
    expect(heartbeatTimeoutMs(null, 3)).toBeNull();
  });

  it('when the task is delivered and each time the agent reports, then its next heartbeat is due one timeout later', () => {
    const sent = delivered(task('queued', { heartbeatTimeoutMs: 3000 }), T0)!;
    expect(sent.heartbeatDueAt).toBe(H0 + 3000);
    const heard = decideReport(sent, { status: 'running', details: { step: 2 } }, false, T1).task;
    expect(heard).toMatchObject({ heartbeatDueAt: H0 + 1000 + 3000, lastHeartbeatAt: T1, heartbeat: { step: 2 } });
    expect(decideReport(heard, { status: 'running' }, false, T1).task.heartbeat).toEqual({ step: 2 });
    expect(decideReport(heard, { status: 'finished' }, false, T1).task.heartbeatDueAt).toBeNull();
  });

  it('when the agent declared none, then nothing is ever due', () => {
    const sent = delivered(task('queued'), T0)!;
    expect(sent.heartbeatDueAt).toBeNull();
    expect(decideReport(sent, { status: 'running' }, false, T1).task.heartbeatDueAt).toBeNull();
  });
});

describe('decideCancel', () => {
  it('when the agent does not have the task yet, then it ends canceled at once, with the reason', () => {
    expect(decideCancel(task('queued'), 'stop', T1, 1000)).toMatchObject({ outcome: 'canceled', task: { status: 'canceled', cancelReason: 'stop', cancelRequestedAt: T1, finishedAt: T1 } });
  });

  it('when the agent has it, then canceling, to be told, with the grace to confirm, and no heartbeat due meanwhile', () => {
    for (const status of ['delivered', 'running'] as const) {
      const decision = decideCancel(task(status, { heartbeatDueAt: 5 }), null, T1, 1000);
      expect(decision).toMatchObject({ outcome: 'canceling', notify: true, task: { status: 'canceling', cancelDueAt: Date.parse(T1) + 1000, heartbeatDueAt: null } });
    }
  });

  it('when asked again, then the same answer and no second notice; a finished or failed task is a conflict', () => {
    const canceling = task('canceling', { cancelRequestedAt: T0 });
    expect(decideCancel(canceling, 'again', T1, 1000)).toEqual({ outcome: 'canceling', task: canceling, notify: false });
    const done = task('canceled');
    expect(decideCancel(done, null, T1, 1000)).toEqual({ outcome: 'canceled', task: done });
    expect(decideCancel(task('finished'), null, T1, 1000)).toEqual({ outcome: 'conflict', message: 'The task already ended as finished; it cannot be canceled' });
    expect(decideCancel(task('failed'), null, T1, 1000).outcome).toBe('conflict');
  });

  it('when a canceling task hears from its agent, then running keeps it canceling, and canceled, finished or failed end it', () => {
    const canceling = task('canceling', { cancelDueAt: 9 });
    expect(decideReport(canceling, { status: 'running' }, false, T1).task.status).toBe('canceling');
    expect(decideReport(canceling, { status: 'canceled' }, false, T1).task).toMatchObject({ status: 'canceled', cancelDueAt: null, finishedAt: T1 });
    expect(decideReport(canceling, { status: 'finished' }, false, T1).task.status).toBe('finished');
  });

  it('when AgentKit canceled it and the agent reports an outcome later, then a conflict that records the late outcome', () => {
    const done = canceled(task('canceling'), T0);
    expect(decideReport(done, { status: 'finished' }, false, T1)).toMatchObject({ outcome: 'conflict', task: { status: 'canceled', lateOutcome: { status: 'finished', at: T1 } } });
    expect(decideReport(done, { status: 'canceled' }, false, T1).outcome).toBe('unchanged');
  });
});

describe('slots and restarts', () => {
  it('when a task that holds a slot ends, then the slot frees, once', () => {
    const holding = task('running', { holdsSlot: true });
    const ended = failed(holding, taskErrors.heartbeatTimeout(), T1);
    expect(freesSlot(holding, ended)).toBe(true);
    expect(freesSlot(ended, ended)).toBe(false);
    expect(freesSlot(task('running'), failed(task('running'), taskErrors.reported(), T1))).toBe(false);
  });

  it('when its agent restarted, then a taken task fails agent_restarted, a canceling one is canceled, and others are left', () => {
    expect(orphaned(task('running'), T1)).toMatchObject({ status: 'failed', error: { code: 'agent_restarted' } });
    expect(orphaned(task('delivered'), T1)?.status).toBe('failed');
    expect(orphaned(task('canceling'), T1)?.status).toBe('canceled');
    for (const status of ['queued', 'finished', 'failed', 'canceled'] as const) expect(orphaned(task(status), T1), status).toBeNull();
  });
});
