import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOpsCoreReference, type OpsCoreReference, type ReceivedSnapshot, type RunningReference } from '../../src/opscore-reference/index.js';
import { captureLogger } from '../sdk/support/harness.js';

const KEY = 'view-key';
const details = { agentId: 'a1', agentName: 'echo-agent', version: '1', contactEndpoint: 'http://127.0.0.1:9000/tasks' };

describe('reference Ops-Core: the /_reference view and fault controls (not part of Ops-Core\'s API)', () => {
  let reference: OpsCoreReference;
  let server: RunningReference;
  const notify = () =>
    fetch(`${server.url}/v1/opscore/internal/agent/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_abc' },
      body: JSON.stringify({ event_type: 'REGISTER', agent_details: details }),
    });
  const postState = (state: string) =>
    fetch(`${server.url}/v1/opscore/agent/a1/state`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ agentId: 'a1', state, timestamp: new Date().toISOString() }),
    });
  const admin = (method: string, path: string, body?: unknown, key = KEY) =>
    fetch(`${server.url}/_reference${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeEach(async () => {
    reference = createOpsCoreReference({ apiKey: KEY, logger: captureLogger() });
    server = await reference.start();
  });
  afterEach(async () => {
    await server.close();
  });

  it('when things arrive, then GET /_reference/received lists agents, notifications with webhook-id, states in order and every request', async () => {
    await notify();
    for (const s of ['idle', 'active', 'finished', 'idle']) await postState(s);
    await fetch(`${server.url}/v1/opscore/agent/a1/state`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

    const received = (await (await fetch(`${server.url}/_reference/received`)).json()) as ReceivedSnapshot;
    expect(received.note).toMatch(/not part of Ops-Core's API/);
    expect(received.agents).toEqual([expect.objectContaining({ agentId: 'a1', currentState: expect.objectContaining({ state: 'idle' }) })]);
    expect(received.notifications).toEqual([expect.objectContaining({ webhookId: 'msg_abc', eventType: 'REGISTER', agentId: 'a1' })]);
    expect(received.states.a1!.map((s) => s.state)).toEqual(['idle', 'active', 'finished', 'idle']);
    expect(received.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 200', 'POST 202', 'POST 202', 'POST 202', 'POST 202', 'POST 401']);
  });

  it('when a person opens /_reference, then an HTML page says it is a reference, not Ops-Core, and shows the states', async () => {
    await notify();
    await postState('idle');
    const response = await fetch(`${server.url}/_reference`);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('It is not Ops-Core');
    expect(html).toContain('<td>a1</td>');
    expect(html).toContain('<td>idle</td>');
  });

  it('when details hold markup, then the page escapes it', async () => {
    await fetch(`${server.url}/v1/opscore/internal/agent/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_type: 'REGISTER', agent_details: { ...details, agentName: '<script>alert(1)</script>' } }),
    });
    const html = await (await fetch(`${server.url}/_reference`)).text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;');
  });

  it('when a 503 fault is injected for two requests, then the next two Ops-Core calls get 503 with Retry-After and the third is normal', async () => {
    await notify();
    expect((await admin('POST', '/faults', { status: 503, count: 2, retryAfterSeconds: 3, match: 'state' })).status).toBe(200);
    const first = await postState('idle');
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('3');
    expect((await postState('idle')).status).toBe(503);
    expect((await postState('idle')).status).toBe(202);
    const requests = reference.received().requests;
    expect(requests.map((r) => r.injected)).toEqual([false, true, true, false]);
  });

  it('when a fault matches state only, then notify still works', async () => {
    reference.faults.inject({ status: 500, match: 'state' });
    expect((await notify()).status).toBe(200);
    expect((await postState('idle')).status).toBe(500);
    reference.faults.clear();
    expect((await postState('idle')).status).toBe(202);
  });

  it('when the admin calls lack the key, then they answer 401 and change nothing', async () => {
    expect((await admin('POST', '/faults', { status: 503 }, 'wrong')).status).toBe(401);
    expect((await admin('POST', '/reset', undefined, 'wrong')).status).toBe(401);
    await notify();
    expect((await postState('idle')).status).toBe(202);
  });

  it('when reset, then everything received is forgotten', async () => {
    await notify();
    await postState('idle');
    expect((await admin('POST', '/reset')).status).toBe(204);
    expect(reference.received()).toMatchObject({ agents: [], notifications: [], states: {}, requests: [] });
  });

  it('when closed and started again on the same port, then it refuses connections meanwhile and keeps what it received', async () => {
    await notify();
    await postState('idle');
    const { port } = server;
    await server.close();
    await expect(postState('active')).rejects.toThrow();
    server = await reference.start(port);
    expect((await postState('active')).status).toBe(202);
    expect(reference.received().states.a1!.map((s) => s.state)).toEqual(['idle', 'active']);
  });
});
