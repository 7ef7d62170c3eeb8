import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundledSpecPath } from '../../src/spec-files.js';
import { startService, type TestService } from '../support/service.js';

interface Operation {
  method: string;
  path: string;
  operationId: string;
  secured: boolean;
}

/** Every operation of the bundled AgentKit spec, with whether it requires the API key. */
function operations(): Operation[] {
  const spec = parse(readFileSync(bundledSpecPath('agentkit'), 'utf8')) as {
    security?: unknown[];
    paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>>;
  };
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const security = op.security ?? spec.security ?? [];
      out.push({ method: method.toUpperCase(), path, operationId: op.operationId, secured: security.length > 0 });
    }
  }
  return out;
}

/** Fills path parameters with plausible values, so only the key decides the answer. */
function concrete(path: string): string {
  return path
    .replace('{agentId}', 'some-agent')
    .replace('{taskId}', '00000000-0000-4000-8000-000000000000')
    .replace('{deliveryId}', 'dlv_00000000');
}

let ak: TestService;
beforeAll(async () => {
  ak = await startService();
});
afterAll(async () => {
  await ak.stop();
});

describe('API-key security on every operation', () => {
  const ops = operations();

  it('when the spec is read, then it has secured and public operations', () => {
    expect(ops.filter((o) => o.secured).length).toBeGreaterThanOrEqual(10);
    expect(ops.filter((o) => !o.secured).map((o) => o.operationId).sort()).toEqual(['getHealth', 'getReadiness', 'getServiceHealth']);
  });

  for (const op of ops.filter((o) => o.secured)) {
    it(`when ${op.operationId} (${op.method} ${op.path}) has no key or a wrong one, then 401 problem+json`, async () => {
      for (const authorization of [undefined, 'Bearer wrong-key', 'Basic dGVzdA==', 'Bearer ']) {
        const res = await fetch(`${ak.url}${concrete(op.path)}`, {
          method: op.method,
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          ...(op.method === 'POST' ? { body: '{}' } : {}),
        });
        expect(res.status, `${authorization ?? 'no header'}`).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const body = (await res.json()) as { status: number; detail: string };
        expect(body.status).toBe(401);
        expect(body.detail).not.toContain('test-key-1');
      }
    });
  }

  it('when the scheme is written in another case, then the key is still accepted', async () => {
    const res = await fetch(`${ak.url}/v1/agents`, { headers: { authorization: 'bearer test-key-1' } });
    expect(res.status).toBe(200);
  });

  it('when the second configured key is used, then it is accepted too', async () => {
    const res = await fetch(`${ak.url}/v1/agents`, { headers: { authorization: 'Bearer second-key' } });
    expect(res.status).toBe(200);
  });
});
