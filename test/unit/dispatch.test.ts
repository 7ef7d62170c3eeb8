import { describe, expect, it } from 'vitest';
import { taskFromDispatch } from '../../src/domain/dispatch.js';
import { explainOneOf, type BodyBranch } from '../../src/http/one-of-errors.js';

describe('taskFromDispatch (domain/dispatch.ts)', () => {
  it('when the body is a task by name, then it maps one to one and keeps no envelope', () => {
    expect(taskFromDispatch({ task_name: 'echo', parameters: { a: 1 }, opscore_task_id: 't', timeout_seconds: 5 })).toEqual({
      taskName: 'echo', parameters: { a: 1 }, opscoreSessionId: null, opscoreTaskId: 't', timeoutSeconds: 5, opscoreMessage: null,
    });
  });

  it('when parameters are omitted, then they are {}', () => {
    expect(taskFromDispatch({ task_name: 'echo' }).parameters).toEqual({});
  });

  it('when payload.task_parameters is not an object, then the payload without task_name is the parameters', () => {
    const task = taskFromDispatch({ senderId: 's', messageType: 'm', payload: { task_name: 'x', task_parameters: 'not an object', k: 1 } });
    expect(task).toMatchObject({ taskName: 'x', parameters: { task_parameters: 'not an object', k: 1 } });
  });

  it('when sessionContext ids are not strings, then they are not taken as Ops-Core ids', () => {
    const task = taskFromDispatch({ senderId: 's', messageType: 'm', payload: {}, sessionContext: { sessionId: 7, taskId: null } });
    expect(task).toMatchObject({ taskName: 'm', opscoreSessionId: null, opscoreTaskId: null, opscoreMessage: { sessionContext: { sessionId: 7, taskId: null } } });
  });
});

describe('explainOneOf (http/one-of-errors.ts)', () => {
  const branches: BodyBranch[] = [
    { name: 'A', properties: new Set(['name', 'params', 'shared']), required: new Set(['name']) },
    { name: 'B', properties: new Set(['kind', 'payload', 'shared']), required: new Set(['kind', 'payload']) },
  ];
  const oneOf = { path: '/body', message: 'must match exactly one schema in oneOf' };

  it('when the issues are not a oneOf failure, then there is nothing to explain', () => {
    expect(explainOneOf({}, [{ path: '/body/name', message: 'must be string' }], branches)).toBeNull();
  });

  it('when the body resembles one branch, then only that branch\'s complaints are kept, once each', () => {
    const issues = [
      { path: '/body/name', message: "must have required property 'name'" },
      { path: '/body/kind', message: 'must NOT have additional properties' },
      { path: '/body/shared', message: 'must be string' },
      { path: '/body/shared', message: 'must be string' },
      { path: '/body/payload', message: "must have required property 'payload'" },
      oneOf,
    ];
    expect(explainOneOf({ kind: 'k', shared: 1 }, issues, branches)).toEqual({
      detail: "The body is neither A nor B; read as B: /body/shared must be string; /body/payload must have required property 'payload'",
      errors: [{ path: '/body/shared', message: 'must be string' }, { path: '/body/payload', message: "must have required property 'payload'" }],
    });
  });

  it('when the body has keys only each branch has, then it says the body mixes them', () => {
    const explained = explainOneOf({ params: {}, payload: {} }, [oneOf], branches);
    expect(explained?.detail).toBe('The body mixes two shapes: `params` (A) and `payload` (B); send one of them');
  });

  it('when the body is not an object, then it says so once', () => {
    expect(explainOneOf([1], [{ path: '/body', message: 'must be object' }, { path: '/body', message: 'must be object' }, oneOf], branches)).toEqual({
      detail: 'The body must be a JSON object: A or B',
      errors: [{ path: '/body', message: 'must be object' }],
    });
  });
});
