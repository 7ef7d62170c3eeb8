import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundledSpecPath } from '../../src/spec-files.js';
import { Receiver } from '../support/receiver.js';
import { API_KEY, registration, startService, type TestService } from '../support/service.js';

/**
 * Abuse limits: a per-credential request rate limit (429 with Retry-After before the request is
 * read, so it stores nothing), and a per-agent cap on the tasks it has not taken yet.
 */

const OTHER_KEY = 'limits-other-key';

let agentSide: Receiver;
const services: TestService[] = [];
beforeAll(async () => {
  // Refuses every delivery: with retries far apart, tasks stay queued.
  agentSide = await new Receiver().answer(() => ({ status: 503 })).start();
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await agentSide?.stop();
});

const post = (ak: TestService, key: string, path: string, body: unknown) =>
  fetch(`${ak.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function taskCount(ak: TestService, key: string): Promise<number> {
  const res = await fetch(`${ak.url}/v1/tasks?limit=100`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: unknown[] }).items.length;
}

describe('the per-credential rate limit', () => {
  it('when a client reads the spec, then every operation under /v1 documents the 429 it may get', () => {
    const spec = JSON.parse(readFileSync(bundledSpecPath('agentkit').replace(/\.yaml$/, '.json'), 'utf8')) as {
      paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>;
    };
    const missing = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([, item]) => Object.values(item).filter((op) => op.operationId && !op.responses?.['429']).map((op) => op.operationId));
    expect(missing).toEqual([]);
  });

  it('when one credential sends a burst over the limit, then the excess gets 429 problem+json with Retry-After and stores nothing; another credential is not limited by it', async () => {
    const ak = await startService({ AGENTKIT_API_KEYS: `admin:${API_KEY},admin:${OTHER_KEY}`, AGENTKIT_RATE_LIMIT: '6', AGENTKIT_RATE_LIMIT_WINDOW_S: '600' });
    services.push(ak);
    expect((await post(ak, OTHER_KEY, '/v1/agents', registration({ agentId: 'lim-1', contactEndpoint: `${agentSide.url}/lim-1` }))).status).toBe(201);

    const answers = await Promise.all(Array.from({ length: 15 }, () => post(ak, API_KEY, '/v1/agents/lim-1/run', { task_name: 'echo', parameters: {} })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
    const refused = answers.find((r) => r.status === 429)!;
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(await refused.json()).toMatchObject({ status: 429, title: 'Too many requests', detail: expect.stringMatching(/AGENTKIT_RATE_LIMIT/) });

    // Only the admitted six were stored; the other key still has its own budget.
    expect(await taskCount(ak, OTHER_KEY)).toBe(6);
    // The limited key stays limited, whatever it asks.
    expect((await fetch(`${ak.url}/v1/tasks`, { headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(429);
  });

  it('when AGENTKIT_RATE_LIMIT is 0, then there is no limit', async () => {
    const ak = await startService({ AGENTKIT_RATE_LIMIT: '0' });
    services.push(ak);
    const answers = await Promise.all(Array.from({ length: 30 }, () => fetch(`${ak.url}/v1/agents`, { headers: { authorization: `Bearer ${API_KEY}` } })));
    expect(answers.map((r) => r.status)).toEqual(Array(30).fill(200));
  });
});

describe("the per-agent cap on queued tasks", () => {
  it('when an agent has as many untaken tasks as AGENTKIT_MAX_QUEUED_TASKS, then a dispatch to it gets 429 and stores nothing; other agents still get tasks', async () => {
    const ak = await startService({ AGENTKIT_MAX_QUEUED_TASKS: '3', AGENTKIT_TASK_RETRY_SCHEDULE: '0,600' });
    services.push(ak);
    for (const id of ['cap-1', 'cap-2']) expect((await post(ak, API_KEY, '/v1/agents', registration({ agentId: id, contactEndpoint: `${agentSide.url}/${id}` }))).status).toBe(201);

    for (let i = 0; i < 3; i++) expect((await post(ak, API_KEY, '/v1/agents/cap-1/run', { task_name: 'echo', parameters: {} })).status).toBe(202);
    const full = await post(ak, API_KEY, '/v1/agents/cap-1/run', { task_name: 'echo', parameters: {} });
    expect(full.status).toBe(429);
    expect(full.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await full.json()) as { detail: string }).detail).toMatch(/cap-1 has 3 tasks it has not taken yet.*AGENTKIT_MAX_QUEUED_TASKS/);
    expect(await taskCount(ak, API_KEY)).toBe(3);
    expect((await post(ak, API_KEY, '/v1/agents/cap-2/run', { task_name: 'echo', parameters: {} })).status).toBe(202);

    // A canceled task leaves the queue: there is room for one more.
    const list = (await (await fetch(`${ak.url}/v1/tasks?agentId=cap-1`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { items: Array<{ taskId: string }> };
    expect((await post(ak, API_KEY, `/v1/tasks/${list.items[0]!.taskId}/cancel`, {})).status).toBe(200);
    expect((await post(ak, API_KEY, '/v1/agents/cap-1/run', { task_name: 'echo', parameters: {} })).status).toBe(202);
    expect((await post(ak, API_KEY, '/v1/agents/cap-1/run', { task_name: 'echo', parameters: {} })).status).toBe(429);
  });
});
