import { afterEach, describe, expect, it } from 'vitest';
import { TaskFailure, type TaskContext } from '../../src/sdk/index.js';
import { eventually } from '../support/receiver.js';
import { startSystem, type TestSystem } from './support/harness.js';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

describe('what a delivered task reports', () => {
  let system: TestSystem | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('when echo runs, then Ops-Core gets active, finished with the result, idle, each naming the task and Ops-Core ids', async () => {
    system = await startSystem();
    const envelope = system.agentKit.envelope(system.started.agentId, { parameters: { message: 'hello' } });
    await system.agentKit.deliver(envelope);

    expect(await system.waitForStates(4)).toEqual(['idle', 'active', 'finished', 'idle']);
    const [, active, finished, idle] = system.states();
    const ids = { taskId: envelope.taskId, task_name: 'echo', opscore_task_id: 'task-42', opscore_session_id: 'session-7' };
    expect(active!.details).toEqual(ids);
    expect(finished!.details).toEqual({ ...ids, result: { message: 'hello' } });
    expect(idle!.details).toBeNull();
    for (const s of system.states()) expect(s.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    await eventually(() => (system!.agentKit.reportsFor(envelope.taskId).length >= 2 ? true : undefined));
    expect(system.agentKit.reportsFor(envelope.taskId)).toEqual([
      { status: 'running', progress: 0 },
      { status: 'finished', result: { message: 'hello' } },
    ]);
    expect(system.agentKit.refused).toEqual([]);
  });

  it('when the handler throws, then Ops-Core gets error with the message and AgentKit gets failed', async () => {
    system = await startSystem({
      agent: {
        handlers: {
          fail: () => {
            throw new TaskFailure('bad_input', 'no good');
          },
          crash: () => {
            throw new Error('boom');
          },
        },
      },
    });
    const first = system.agentKit.envelope(system.started.agentId, { task_name: 'fail', opscore_task_id: null, opscore_session_id: null });
    await system.agentKit.deliver(first);
    expect(await system.waitForStates(4)).toEqual(['idle', 'active', 'error', 'idle']);
    expect(system.states()[2]!.details).toEqual({
      taskId: first.taskId,
      task_name: 'fail',
      opscore_task_id: null,
      opscore_session_id: null,
      error: { code: 'bad_input', message: 'no good' },
    });

    const second = system.agentKit.envelope(system.started.agentId, { task_name: 'crash' });
    await system.agentKit.deliver(second);
    await system.waitForStates(7);
    expect(system.states()[5]!.details).toMatchObject({ error: { code: 'handler_error', message: 'boom' } });
    await eventually(() => (system!.agentKit.reportsFor(second.taskId).length >= 2 ? true : undefined));
    expect(system.agentKit.reportsFor(second.taskId).at(-1)).toEqual({ status: 'failed', error: { code: 'handler_error', message: 'boom' } });
  });

  it('when task_name has no handler, then Ops-Core gets error (unknown_task) and idle, and no handler runs', async () => {
    system = await startSystem();
    const envelope = system.agentKit.envelope(system.started.agentId, { task_name: 'translate' });
    const response = await system.agentKit.deliver(envelope);
    expect(response.status).toBe(202);
    expect(await system.waitForStates(3)).toEqual(['idle', 'error', 'idle']);
    expect(system.states()[1]!.details).toMatchObject({ taskId: envelope.taskId, task_name: 'translate', error: { code: 'unknown_task' } });
    await eventually(() => (system!.agentKit.reportsFor(envelope.taskId).length >= 1 ? true : undefined));
    expect(system.agentKit.reportsFor(envelope.taskId)).toEqual([{ status: 'failed', error: expect.objectContaining({ code: 'unknown_task' }) }]);
  });

  it('when the task outlives its timeout, then its signal aborts and Ops-Core gets error (timeout), then idle', async () => {
    let sawAbort: unknown;
    system = await startSystem({
      agent: {
        handlers: {
          sleep: async (parameters, context: TaskContext) => {
            try {
              await sleep(Number(parameters.ms), context.signal);
            } catch (err) {
              sawAbort = err;
              throw err;
            }
            return 'slept';
          },
        },
      },
    });
    const dispatchedAt = new Date();
    const envelope = system.agentKit.envelope(system.started.agentId, {
      task_name: 'sleep',
      parameters: { ms: 30_000 },
      timeout_seconds: 1,
      dispatchedAt: dispatchedAt.toISOString(),
      deadline: new Date(dispatchedAt.getTime() + 1_000).toISOString(),
    });
    await system.agentKit.deliver(envelope);
    expect(await system.waitForStates(4, 5_000)).toEqual(['idle', 'active', 'error', 'idle']);
    expect(system.states()[2]!.details).toMatchObject({ error: { code: 'timeout' } });
    expect(sawAbort).toBeInstanceOf(DOMException);
    expect((sawAbort as DOMException).name).toBe('TimeoutError');
    await eventually(() => (system!.agentKit.reportsFor(envelope.taskId).at(-1)?.status === 'failed' ? true : undefined));
  });

  it('when a handler ignores its abort signal, then error is reported at the deadline and idle only once the grace period ends', async () => {
    let release!: () => void;
    system = await startSystem({
      agent: {
        abortGraceMs: 300,
        handlers: { stubborn: () => new Promise<void>((resolve) => (release = resolve)) },
      },
    });
    const envelope = system.agentKit.envelope(system.started.agentId, {
      task_name: 'stubborn',
      deadline: new Date(Date.now() + 300).toISOString(),
      timeout_seconds: 1,
    });
    await system.agentKit.deliver(envelope);
    expect(await system.waitForStates(3)).toEqual(['idle', 'active', 'error']);
    expect(await system.waitForStates(4)).toEqual(['idle', 'active', 'error', 'idle']);
    const [, , error, idle] = system.states();
    expect(Date.parse(idle!.timestamp) - Date.parse(error!.timestamp)).toBeGreaterThanOrEqual(250);
    release();
  });

  it('when progress is reported, then AgentKit gets running reports with the percent and message', async () => {
    system = await startSystem({
      agent: {
        handlers: {
          work: async (_p, context: TaskContext) => {
            context.progress(50, 'half way');
            await system!.agent.flushReports(2_000);
            context.progress(150);
            return 'done';
          },
        },
      },
    });
    const envelope = system.agentKit.envelope(system.started.agentId, { task_name: 'work' });
    await system.agentKit.deliver(envelope);
    await eventually(() => (system!.agentKit.reportsFor(envelope.taskId).at(-1)?.status === 'finished' ? true : undefined));
    const reports = system.agentKit.reportsFor(envelope.taskId);
    expect(reports).toContainEqual({ status: 'running', progress: 50, message: 'half way' });
    expect(reports.filter((r) => r.status === 'running').every((r) => (r.progress ?? 0) <= 100)).toBe(true);
  });

  it('when two tasks arrive with concurrency 1, then the second waits and the states do not interleave', async () => {
    const running: string[] = [];
    let overlap = false;
    system = await startSystem({
      agent: {
        handlers: {
          sleep: async (parameters, context: TaskContext) => {
            running.push(context.taskId);
            if (running.length > 1) overlap = true;
            await sleep(Number(parameters.ms), context.signal);
            running.splice(running.indexOf(context.taskId), 1);
            return null;
          },
        },
      },
    });
    const a = system.agentKit.envelope(system.started.agentId, { task_name: 'sleep', parameters: { ms: 200 } });
    const b = system.agentKit.envelope(system.started.agentId, { task_name: 'sleep', parameters: { ms: 10 } });
    expect((await system.agentKit.deliver(a)).status).toBe(202);
    expect((await system.agentKit.deliver(b)).status).toBe(202);
    expect(system.agent.queuedTasks).toBe(1);

    expect(await system.waitForStates(6)).toEqual(['idle', 'active', 'finished', 'active', 'finished', 'idle']);
    expect(overlap).toBe(false);
    expect(system.states().slice(1, 5).map((s) => (s.details as { taskId: string }).taskId)).toEqual([a.taskId, a.taskId, b.taskId, b.taskId]);
  });

  it('when two tasks arrive with concurrency 2, then they run at the same time and idle comes once at the end', async () => {
    let peak = 0;
    let now = 0;
    system = await startSystem({
      agent: {
        concurrency: 2,
        handlers: {
          sleep: async (parameters, context: TaskContext) => {
            now++;
            peak = Math.max(peak, now);
            await sleep(Number(parameters.ms), context.signal);
            now--;
            return null;
          },
        },
      },
    });
    await system.agentKit.deliver(system.agentKit.envelope(system.started.agentId, { task_name: 'sleep', parameters: { ms: 200 } }));
    await system.agentKit.deliver(system.agentKit.envelope(system.started.agentId, { task_name: 'sleep', parameters: { ms: 200 } }));
    expect(await system.waitForStates(6)).toEqual(['idle', 'active', 'active', 'finished', 'finished', 'idle']);
    expect(peak).toBe(2);
  });
});
