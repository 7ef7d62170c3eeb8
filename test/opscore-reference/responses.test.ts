import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpsCoreReference, type OpsCoreReference, type RunningReference } from '../../src/opscore-reference/index.js';
import { captureLogger } from '../sdk/support/harness.js';

const KEY = 'reference-key';
const AGENT = 'agent-1';
const details = { agentId: AGENT, agentName: 'echo-agent', version: '1.0.0', capabilities: ['echo'], contactEndpoint: 'http://127.0.0.1:9000/tasks', metadata: { a: 1 } };
const state = (over: Record<string, unknown> = {}) => ({ agentId: AGENT, state: 'idle', timestamp: '2026-11-24T08:15:00.123Z', details: null, ...over });

describe('reference Ops-Core: the Ops-Core API', () => {
  let reference: OpsCoreReference;
  let server: RunningReference;

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: response.headers };
  }
  const notify = (event_type: string, agent_details: unknown = details) => call('POST', '/v1/opscore/internal/agent/notify', { event_type, agent_details }, {});
  const postState = (body: unknown, agent = AGENT, headers?: Record<string, string>) => call('POST', `/v1/opscore/agent/${agent}/state`, body, headers);

  beforeAll(async () => {
    reference = createOpsCoreReference({ apiKey: KEY, logger: captureLogger() });
    server = await reference.start();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    reference.reset();
  });

  describe('GET /health', () => {
    it('when asked, then it answers 200 {"status":"ok"} without a key', async () => {
      expect(await call('GET', '/health', undefined, {})).toMatchObject({ status: 200, body: { status: 'ok' } });
    });
  });

  describe('POST /v1/opscore/internal/agent/notify', () => {
    it('when REGISTER arrives, then it answers 200 success and the agent is known with state UNKNOWN', async () => {
      expect(await notify('REGISTER')).toMatchObject({ status: 200, body: { status: 'success', message: `Agent ${AGENT} registered.` } });
      expect(await call('GET', `/v1/opscore/agent/${AGENT}/state`)).toMatchObject({ status: 200, body: { agentId: AGENT, state: 'UNKNOWN', details: null } });
    });

    it('when REGISTER comes again, then the new details overwrite the old', async () => {
      await notify('REGISTER');
      await notify('register', { ...details, version: '2.0.0' });
      const agents = reference.received().agents;
      expect(agents).toHaveLength(1);
      expect(agents[0]).toMatchObject({ agentId: AGENT, version: '2.0.0' });
    });

    it('when optional fields are left out, then pydantic defaults are stored', async () => {
      await notify('REGISTER', { agentId: AGENT, agentName: 'n', version: '1', contactEndpoint: 'https://agent.example/tasks' });
      expect(reference.received().agents[0]).toMatchObject({ capabilities: [], metadata: {} });
    });

    it('when DEREGISTER arrives (any case), then the agent is removed and its state updates answer 404', async () => {
      await notify('REGISTER');
      expect(await notify('DeRegister')).toMatchObject({ status: 200, body: { status: 'success' } });
      expect(reference.received().agents).toEqual([]);
      expect(await postState(state())).toMatchObject({ status: 404 });
    });

    it('when event_type is unknown, then it answers 400 {"detail": text}', async () => {
      expect(await notify('RENAME')).toEqual(expect.objectContaining({ status: 400, body: { detail: 'Unsupported event type: RENAME' } }));
    });

    it('when agent_details is incomplete or has a bad URL, then it answers 422 with FastAPI issues', async () => {
      const { status, body } = await notify('REGISTER', { agentId: AGENT, version: 1, contactEndpoint: 'not a url' });
      expect(status).toBe(422);
      expect(body).toEqual({
        detail: expect.arrayContaining([
          { type: 'missing', loc: ['body', 'agent_details', 'agentName'], msg: 'Field required' },
          { type: 'string_type', loc: ['body', 'agent_details', 'version'], msg: 'Input should be a valid string' },
          expect.objectContaining({ type: 'url_parsing', loc: ['body', 'agent_details', 'contactEndpoint'] }),
        ]),
      });
    });
  });

  describe('POST /v1/opscore/agent/{agent_id}/state', () => {
    beforeEach(async () => {
      await notify('REGISTER');
    });

    it('when a valid update arrives, then it answers 202 success and GET shows it', async () => {
      expect(await postState(state({ state: 'finished', details: { taskId: 't', result: 42 } }))).toMatchObject({
        status: 202,
        body: { status: 'success', message: 'State update accepted.' },
      });
      expect(await call('GET', `/v1/opscore/agent/${AGENT}/state`)).toMatchObject({
        status: 200,
        body: { agentId: AGENT, state: 'finished', details: { taskId: 't', result: 42 }, timestamp: '2026-11-24T08:15:00.123Z' },
      });
    });

    it('when the bearer scheme is in another case, then it is accepted', async () => {
      expect(await postState(state(), AGENT, { authorization: `bEaReR ${KEY}` })).toMatchObject({ status: 202 });
    });

    it.each([
      ['missing', {}],
      ['wrong', { authorization: 'Bearer nope' }],
      ['not bearer', { authorization: `Basic ${KEY}` }],
    ])('when the key is %s, then it answers 401 {"detail": text}', async (_what, headers) => {
      const { status, body } = await postState(state(), AGENT, headers);
      expect(status).toBe(401);
      expect(body).toEqual({ detail: 'Invalid or missing API key' });
    });

    it('when the key is missing and the body is invalid too, then 401 comes first', async () => {
      expect((await postState({}, AGENT, {})).status).toBe(401);
    });

    it('when the body agentId differs from the path, then it answers 400', async () => {
      const { status, body } = await postState(state({ agentId: 'other' }));
      expect(status).toBe(400);
      expect(body).toEqual({ detail: expect.stringContaining('does not match') });
    });

    it('when the agent is unknown, then it answers 404 {"detail": text}', async () => {
      expect(await postState(state({ agentId: 'ghost' }), 'ghost')).toEqual(expect.objectContaining({ status: 404, body: { detail: 'Agent ghost not found' } }));
    });

    it('when fields are missing, then it answers 422 with one issue per field', async () => {
      expect(await postState({ agentId: AGENT })).toEqual(
        expect.objectContaining({
          status: 422,
          body: {
            detail: [
              { type: 'missing', loc: ['body', 'state'], msg: 'Field required' },
              { type: 'missing', loc: ['body', 'timestamp'], msg: 'Field required' },
            ],
          },
        }),
      );
    });

    it('when fields have wrong types, then it answers 422 naming each', async () => {
      const { status, body } = await postState(state({ state: 5, details: 'x', timestamp: 'yesterday' }));
      expect(status).toBe(422);
      expect((body as { detail: Array<{ loc: unknown[]; type: string }> }).detail.map((d) => [d.loc.join('.'), d.type])).toEqual([
        ['body.state', 'string_type'],
        ['body.timestamp', 'datetime_from_date_parsing'],
        ['body.details', 'dict_type'],
      ]);
    });

    it('when the body is not JSON, empty, or not an object, then it answers 422 like FastAPI', async () => {
      expect(await postState('{oops')).toMatchObject({ status: 422, body: { detail: [{ type: 'json_invalid', loc: ['body', 0] }] } });
      expect(await postState(undefined)).toMatchObject({ status: 422, body: { detail: [{ type: 'missing', loc: ['body'] }] } });
      expect(await postState([1])).toMatchObject({ status: 422, body: { detail: [{ type: 'model_attributes_type', loc: ['body'] }] } });
    });

    it('when updates arrive, then the history keeps them in arrival order', async () => {
      for (const s of ['idle', 'active', 'finished', 'idle']) await postState(state({ state: s }));
      expect(reference.received().states[AGENT]!.map((s) => s.state)).toEqual(['idle', 'active', 'finished', 'idle']);
    });
  });

  describe('GET /v1/opscore/agent/{agent_id}/state', () => {
    it('when the agent is unknown, then it answers 404', async () => {
      expect(await call('GET', '/v1/opscore/agent/ghost/state')).toEqual(expect.objectContaining({ status: 404, body: { detail: 'Agent ghost not found' } }));
    });

    it('when the key is missing, then it answers 401', async () => {
      expect((await call('GET', `/v1/opscore/agent/${AGENT}/state`, undefined, {})).status).toBe(401);
    });
  });

  describe('other paths', () => {
    it('when the path is unknown, then it answers 404 {"detail":"Not Found"}', async () => {
      expect(await call('GET', '/v1/nope')).toEqual(expect.objectContaining({ status: 404, body: { detail: 'Not Found' } }));
    });

    it('when the method is not allowed, then it answers 405 {"detail":"Method Not Allowed"}', async () => {
      expect(await call('DELETE', `/v1/opscore/agent/${AGENT}/state`)).toEqual(expect.objectContaining({ status: 405, body: { detail: 'Method Not Allowed' } }));
    });
  });
});
