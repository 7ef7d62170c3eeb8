import { describe, expect, it } from 'vitest';
import { endReport, taskDelivery, taskEndReport, withAttempt } from '../../src/domain/messages.js';
import { failed, newTask, taskErrors, type TaskRecord } from '../../src/domain/task.js';

const T0 = '2030-01-01T00:00:00.000Z';
const task: TaskRecord = newTask(
  { taskId: '0190f0b0-0000-7000-8000-000000000001', agentId: 'agent/1', taskName: 'echo', parameters: { a: 1 }, opscoreSessionId: 's-1', opscoreTaskId: 'o-1', timeoutSeconds: null, opscoreMessage: null },
  T0,
);

describe('withAttempt', () => {
  it('when an attempt is made, then its number is added to the stored envelope, which stays valid JSON', () => {
    const payload = taskDelivery(task, 'http://agent/tasks', new Date(T0)).payload;
    expect(JSON.parse(withAttempt(payload, 3))).toEqual({ ...JSON.parse(payload), attempt: 3 });
    expect(withAttempt('{"a":1}', 1)).toBe('{"a":1,"attempt":1}');
  });

  it('when the payload is not a non-empty object, then it refuses rather than write broken JSON', () => {
    expect(() => withAttempt('{}', 1)).toThrow();
    expect(() => withAttempt('[1]', 1)).toThrow();
  });
});

describe('taskEndReport and endReport', () => {
  const targets = { webhookUrl: null, apiUrl: 'http://opscore:8000/base/' };

  it('when a task failed, then the report is its error at the time it failed, naming the task, to its agent\'s state URL', () => {
    const ended = failed(task, taskErrors.agentDeregistered('agent/1'), '2030-01-01T00:00:05.000Z');
    const report = taskEndReport(targets, ended)!;
    expect(report).toMatchObject({ kind: 'opscore.state', taskId: task.taskId, orderKey: 'state:agent/1', createdAt: '2030-01-01T00:00:05.000Z', nextAttemptAt: Date.parse('2030-01-01T00:00:05.000Z') });
    expect(report.targetUrl).toBe('http://opscore:8000/base/v1/opscore/agent/agent%2F1/state');
    expect(JSON.parse(report.payload)).toEqual({
      agentId: 'agent/1', state: 'error', timestamp: '2030-01-01T00:00:05.000Z',
      details: { taskId: task.taskId, task_name: 'echo', opscore_task_id: 'o-1', opscore_session_id: 's-1', error: taskErrors.agentDeregistered('agent/1'), reportedBy: 'agentkit' },
    });
  });

  it('when no Ops-Core API URL is configured, then a failure reports nothing', () => {
    expect(endReport({ webhookUrl: null, apiUrl: null })(failed(task, taskErrors.noOutcome(), T0))).toBeNull();
  });
});
