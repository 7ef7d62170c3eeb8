// What a task's change adds to its event log (src/domain/task-events.ts): the stores call
// taskEvents with each change a rule of task.ts makes; these are the rule's own tests.
import { describe, expect, it } from 'vitest';
import { taskEvents } from '../../src/domain/task-events.js';
import { decideCancel, decideReport, delivered, failed, newTask, orphaned, taskErrors, undelivered, type TaskRecord } from '../../src/domain/task.js';

const T0 = '2030-01-01T00:00:00.000Z';
const T1 = '2030-01-01T00:00:01.000Z';
const T2 = '2030-01-01T00:00:02.000Z';
const dispatched = newTask({ taskId: 't-1', agentId: 'a-1', taskName: 'echo', parameters: {}, opscoreSessionId: null, opscoreTaskId: null, timeoutSeconds: null, opscoreMessage: null }, T0);
const report = (task: TaskRecord, r: Parameters<typeof decideReport>[1], at = T1) => decideReport(task, r, false, at).task;
const kinds = (before: TaskRecord | null, next: TaskRecord) => taskEvents(before, next).map((e) => [e.kind, e.source]);

describe('taskEvents', () => {
  it('when a task is dispatched, delivered, runs and reports, then dispatched, running and each change of progress or message are events; delivery and heartbeats are not', () => {
    expect(taskEvents(null, dispatched)).toEqual([{ taskId: 't-1', at: T0, kind: 'dispatched', status: 'queued', source: 'client', progress: null, message: null, error: null }]);
    const sent = delivered(dispatched, T0)!;
    expect(taskEvents(dispatched, sent)).toEqual([]);
    const running = report(sent, { status: 'running', progress: 0 });
    expect(taskEvents(sent, running)).toEqual([{ taskId: 't-1', at: T1, kind: 'running', status: 'running', source: 'agent', progress: 0, message: null, error: null }]);
    const heartbeat = report(running, { status: 'running', details: { rss: 1 } }, T2);
    expect(heartbeat.heartbeatCount).toBe(running.heartbeatCount + 1);
    expect(taskEvents(running, heartbeat)).toEqual([]);
    expect(kinds(heartbeat, report(heartbeat, { status: 'running', progress: 10 }))).toEqual([['progress', 'agent']]);
    expect(kinds(heartbeat, report(heartbeat, { status: 'running', message: 'reading' }))).toEqual([['progress', 'agent']]);
    expect(kinds(heartbeat, report(heartbeat, { status: 'finished' }))).toEqual([['finished', 'agent']]);
  });

  it('when AgentKit ends a task itself, then the end is an event of agentkit with the error; a cancel is its requester’s', () => {
    const sent = delivered(dispatched, T0)!;
    const silent = failed(sent, taskErrors.heartbeatTimeout(), T1);
    expect(taskEvents(sent, silent)).toEqual([{ taskId: 't-1', at: T1, kind: 'failed', status: 'failed', source: 'agentkit', progress: null, message: null, error: taskErrors.heartbeatTimeout() }]);
    expect(kinds(sent, orphaned(sent, T1)!)).toEqual([['failed', 'agentkit']]);
    expect(kinds(dispatched, undelivered(dispatched, taskErrors.undeliverable('a-1', 'HTTP 503'), T1)!)).toEqual([['failed', 'agentkit']]);

    const asked = decideCancel(sent, 'stop', T1, 1000);
    expect(taskEvents(sent, asked.outcome === 'canceling' ? asked.task : sent)).toEqual([
      { taskId: 't-1', at: T1, kind: 'cancel_requested', status: 'canceling', source: 'client', progress: null, message: 'stop', error: null },
    ]);
    const canceling = (asked as { task: TaskRecord }).task;
    expect(kinds(canceling, orphaned(canceling, T2)!)).toEqual([['canceled', 'agentkit']]);
    expect(kinds(canceling, report(canceling, { status: 'canceled' }, T2))).toEqual([['canceled', 'agent']]);
    const atOnce = decideCancel(dispatched, null, T1, 1000) as { task: TaskRecord };
    expect(kinds(dispatched, atOnce.task)).toEqual([['cancel_requested', 'client'], ['canceled', 'client']]);
  });

  it('when a report comes after the end, then nothing is logged (the late outcome stays on the task)', () => {
    const done = report(delivered(dispatched, T0)!, { status: 'finished' });
    const late = decideReport(done, { status: 'failed' }, false, T2);
    expect(late.outcome).toBe('conflict');
    expect(taskEvents(done, late.task)).toEqual([]);
  });
});
