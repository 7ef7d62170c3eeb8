// Fixed examples of what the fuzzers found, so each stays fixed even when a seed no longer draws it.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpsCoreReference, type RunningReference } from '../../src/opscore-reference/index.js';
import { startSystem, type TestSystem } from '../sdk/support/harness.js';
import { eventually, Receiver } from '../support/receiver.js';
import { registration, startService, type TestService } from '../support/service.js';
import { WireClient, type WireResponse } from './lib/http.js';

const json = (res: WireResponse) => JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

describe('AgentKit: inputs the fuzzer found mishandled', () => {
  let svc: TestService;
  let receiver: Receiver;
  let client: WireClient;
  let auth: [string, string];
  const JSON_TYPE: [string, string] = ['content-type', 'application/json'];

  beforeAll(async () => {
    receiver = await new Receiver().start();
    svc = await startService({ AGENTKIT_TASK_RETRY_SCHEDULE: '0' });
    client = new WireClient(svc.url);
    auth = ['authorization', svc.auth];
    const res = await client.send({ method: 'POST', path: '/v1/agents', headers: [auth, JSON_TYPE], body: Buffer.from(JSON.stringify(registration({ agentId: 'reg-agent', contactEndpoint: `${receiver.url}/tasks` }))) });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    client?.close();
    await svc?.stop();
    await receiver?.stop();
  });

  const dispatch = (body: string) => client.send({ method: 'POST', path: '/v1/agents/reg-agent/run', headers: [auth, JSON_TYPE], body: Buffer.from(body) });

  it.each(['1e400', 'Infinity', '0x10', '1e1'])('when limit is written as %s, then 400 problem+json naming /query/limit (it used to pass validation, and Infinity reached SQLite: 500)', async (limit) => {
    const res = await client.send({ method: 'GET', path: `/v1/agents?limit=${limit}`, headers: [auth] });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(json(res).errors).toEqual([{ path: '/query/limit', message: 'must be a decimal number' }]);
  });

  it('when limit is a plain number or left out, then the list is answered', async () => {
    expect((await client.send({ method: 'GET', path: '/v1/agents?limit=5', headers: [auth] })).status).toBe(200);
    expect((await client.send({ method: 'GET', path: '/v1/agents', headers: [auth] })).status).toBe(200);
  });

  it('when parameters nest 5000 levels deep, then 400 naming the depth limit (it used to overflow JSON.stringify: 500)', async () => {
    const res = await dispatch(`{"task_name":"echo","parameters":{"deep":${nested(5000)}}}`);
    expect(res.status).toBe(400);
    expect(String(json(res).detail)).toContain('more than 100 levels deep');
    expect(Object.values((await svc.service.store.counts()).tasks).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('when a body nests exactly 100 levels (the limit), then it is accepted', async () => {
    // body (1) > parameters (2) > 98 levels of {"a": ...}
    const res = await dispatch(`{"task_name":"echo","parameters":${nested(99)}}`);
    expect(res.status).toBe(202);
    const deeper = await dispatch(`{"task_name":"echo","parameters":${nested(100)}}`);
    expect(deeper.status).toBe(400);
  });

  it('when a string holds an unpaired surrogate, then 400 (it used to be stored as three U+FFFD); an emoji is accepted and echoed', async () => {
    const bad = await client.send({ method: 'POST', path: '/v1/agents', headers: [auth, JSON_TYPE], body: Buffer.from(JSON.stringify(registration({ agentName: 'a\uD800b' }))) });
    expect(bad.status).toBe(400);
    expect(json(bad).errors).toEqual([{ path: '/body/agentName', message: 'must be valid Unicode (it holds an unpaired surrogate)' }]);
    const good = await client.send({ method: 'POST', path: '/v1/agents', headers: [auth, JSON_TYPE], body: Buffer.from(JSON.stringify(registration({ agentName: 'rocket \u{1F680}' }))) });
    expect(good.status).toBe(201);
    expect(json(good).agentName).toBe('rocket \u{1F680}');
  });

  it('when a header holds a control character, then 400 problem+json (Node used to answer a bare 400 without a body)', async () => {
    const res = await client.send({ method: 'GET', path: '/v1/agents', headers: [auth, ['x-note', Buffer.from('a\u0001b', 'latin1')]] });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(json(res)).toMatchObject({ status: 400, type: 'urn:agentkit:problem:malformed-request' });
  });

  it('when the headers are larger than 16 KB, then 431 problem+json', async () => {
    const res = await client.send({ method: 'GET', path: '/v1/agents', headers: [auth, ['x-big', 'h'.repeat(20_000)]] });
    expect(res.status).toBe(431);
    expect(json(res)).toMatchObject({ status: 431, type: 'urn:agentkit:problem:headers-too-large' });
  });

  it('when the task delivery of a finished task is redelivered, then 409 and nothing is queued (it used to be sent again)', async () => {
    const task = json(await dispatch('{"task_name":"echo"}'));
    const taskId = String(task.taskId);
    await eventually(async () => ((await svc.service.store.getTask(taskId))?.status === 'delivered' ? true : undefined), 10_000, 'the task to be delivered');
    const finished = await client.send({ method: 'POST', path: `/v1/tasks/${taskId}/reports`, headers: [auth, JSON_TYPE], body: Buffer.from('{"status":"finished","result":1}') });
    expect(finished.status).toBe(200);
    const { items } = await svc.service.store.listDeliveries({ limit: 100 }, { kind: 'task.delivery' });
    const delivery = items.find((d) => d.taskId === taskId)!;
    expect(delivery.status).toBe('succeeded');

    const res = await client.send({ method: 'POST', path: `/v1/webhook-deliveries/${delivery.deliveryId}/redeliver`, headers: [auth] });
    expect(res.status).toBe(409);
    expect((await svc.service.store.getDelivery(delivery.deliveryId))?.status).toBe('succeeded');
  });
});

describe('SDK task endpoint: inputs the fuzzer found mishandled', () => {
  let system: TestSystem;
  let client: WireClient;

  beforeAll(async () => {
    system = await startSystem();
    client = new WireClient(system.started.url);
  });
  afterAll(async () => {
    client?.close();
    await system?.stop();
  });

  it('when a delivery carries a header with a NUL byte, then 400 problem+json (Node used to answer a bare 400)', async () => {
    const res = await client.send({ method: 'POST', path: '/tasks', headers: [['webhook-id', Buffer.from('msg_a\u0000', 'latin1')], ['content-type', 'application/json']], body: Buffer.from('{}') });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('reference Ops-Core: inputs the fuzzer found mishandled', () => {
  const KEY = 'regression-key';
  const reference = createOpsCoreReference({ apiKey: KEY, logger: pino({ level: 'silent' }) });
  let server: RunningReference;
  let client: WireClient;
  const bearer: [string, string] = ['authorization', `Bearer ${KEY}`];
  const JSON_TYPE: [string, string] = ['content-type', 'application/json'];
  const details = { agentId: 'ops-agent', agentName: 'a', version: '1', contactEndpoint: 'http://127.0.0.1:9/tasks' };

  beforeAll(async () => {
    server = await reference.start();
    client = new WireClient(server.url);
    const res = await client.send({ method: 'POST', path: '/v1/opscore/internal/agent/notify', headers: [JSON_TYPE], body: Buffer.from(JSON.stringify({ event_type: 'REGISTER', agent_details: details })) });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it.each(['gzip', 'compress'])('when Content-Encoding is %s but the body is plain, then a 4xx {"detail"} (it used to be a 500)', async (encoding) => {
    const res = await client.send({ method: 'POST', path: '/v1/opscore/agent/ops-agent/state', headers: [bearer, JSON_TYPE, ['content-encoding', encoding]], body: Buffer.from('{"agentId":"ops-agent","state":"idle","timestamp":"2026-11-24T08:15:00Z"}') });
    expect([400, 415]).toContain(res.status);
    expect(typeof json(res).detail).toBe('string');
  });

  it('when the request target is *, then 404 {"detail": "Not Found"} (it used to be an Express HTML page)', async () => {
    const res = await client.send({ method: 'POST', path: '*', headers: [JSON_TYPE], body: Buffer.from('{}') });
    expect(res.status).toBe(404);
    expect(json(res)).toEqual({ detail: 'Not Found' });
  });

  it('when a state timestamp has a space, no seconds and +hhmm, then GET state answers it as an RFC 3339 date-time (it used to fail response validation: 500)', async () => {
    const post = await client.send({ method: 'POST', path: '/v1/opscore/agent/ops-agent/state', headers: [bearer, JSON_TYPE], body: Buffer.from('{"agentId":"ops-agent","state":"idle","timestamp":"2026-11-24 08:15+0100"}') });
    expect(post.status).toBe(202);
    const get = await client.send({ method: 'GET', path: '/v1/opscore/agent/ops-agent/state', headers: [bearer] });
    expect(get.status).toBe(200);
    expect(json(get).timestamp).toBe('2026-11-24T08:15:00+01:00');
  });
});
