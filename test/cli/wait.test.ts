import { describe, expect, it } from 'vitest';
import type { Task } from '../../src/cli/commands/tasks.js';
import { waitForTask } from '../../src/cli/wait.js';

function task(status: Task['status'], progress: number | null = null): Task {
  return {
    taskId: '5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22',
    agentId: 'a1',
    task_name: 'echo',
    parameters: {},
    status,
    progress,
    createdAt: '2026-11-24T08:15:00.000Z',
    updatedAt: '2026-11-24T08:15:00.000Z',
    links: { self: '/v1/tasks/5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22', agent: '/v1/agents/a1' },
  };
}

describe('waitForTask (run --wait)', () => {
  it('when the task goes through running to failed, then it reports every read and returns the failed task', async () => {
    const answers = [task('delivered'), task('running', 50), task('failed')];
    const seen: string[] = [];

    const outcome = await waitForTask(async () => answers.shift() ?? task('failed'), task('queued'), {
      timeoutMs: 5_000,
      intervalMs: 1,
      onUpdate: (t) => seen.push(`${t.status}${t.progress ?? ''}`),
    });

    expect(outcome.timedOut).toBe(false);
    expect(outcome.task.status).toBe('failed');
    expect(seen).toEqual(['queued', 'delivered', 'running50', 'failed']);
  });

  it('when the task is already finished, then it does not read it again', async () => {
    let reads = 0;

    const outcome = await waitForTask(async () => (reads++, task('finished')), task('finished'), { timeoutMs: 1_000 });

    expect(outcome).toMatchObject({ timedOut: false, task: { status: 'finished' } });
    expect(reads).toBe(0);
  });

  it('when the task does not end before the timeout, then it returns the last task read with timedOut', async () => {
    const started = Date.now();

    const outcome = await waitForTask(async () => task('running', 10), task('queued'), { timeoutMs: 150, intervalMs: 20, maxIntervalMs: 40 });

    expect(outcome.timedOut).toBe(true);
    expect(outcome.task).toMatchObject({ status: 'running', progress: 10 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('when the signal aborts, then the wait rejects at once', async () => {
    const controller = new AbortController();
    const pending = waitForTask(async () => task('running'), task('queued'), { timeoutMs: 60_000, intervalMs: 10_000, signal: controller.signal });

    controller.abort();

    await expect(pending).rejects.toThrow(/abort/i);
  });
});
