// Ops-Core fidelity (OPSCORE_CONTRACT.md): generated/openapi/opscore.yaml accepts what the real
// Ops-Core accepts and refuses what it answers 422. Each payload goes through two judges:
//  - the spec's schema (Ajv, JSON Schema 2020-12 with formats), which is what we claim;
//  - Ops-Core's pydantic models, rebuilt from the contract in opscore_models.py, which is what
//    Ops-Core does (so the expectations below are checked, not just asserted).
// Then AgentKit's own outgoing payloads (the agentLifecycle webhook) must pass both.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { examples, loadSpec, pointer, schemaValidator } from './spec.js';

type Model = 'AgentNotificationPayload' | 'AgentStateUpdatePayload';
interface Case {
  name: string;
  model: Model;
  payload: unknown;
}
interface Verdict {
  valid: boolean;
  errors: string[];
}

const agentId = '7b0c2f4e-4d7a-4c59-9a43-1b0f3c2d9e11';
const details = { agentId, agentName: 'echo-agent', version: '1.0.0', contactEndpoint: 'http://127.0.0.1:9000/tasks' };

function notify(patch: Record<string, unknown> = {}, detailsPatch: Record<string, unknown> = {}, omit: string[] = []): unknown {
  const agentDetails: Record<string, unknown> = { ...details, ...detailsPatch };
  for (const key of omit) delete agentDetails[key];
  return { event_type: 'REGISTER', agent_details: agentDetails, ...patch };
}

function stateUpdate(patch: Record<string, unknown> = {}, omit: string[] = []): unknown {
  const payload: Record<string, unknown> = { agentId, state: 'idle', timestamp: '2026-11-24T08:15:00.123Z', ...patch };
  for (const key of omit) delete payload[key];
  return payload;
}

const N: Model = 'AgentNotificationPayload';
const S: Model = 'AgentStateUpdatePayload';

/** Ops-Core accepts these (no 422), so the schema must too. */
const accepted: Case[] = [
  { name: 'a REGISTER with minimal details (capabilities and metadata left to their defaults)', model: N, payload: notify() },
  { name: 'a REGISTER with every field', model: N, payload: notify({}, { capabilities: ['echo', 'sleep'], metadata: { owner: 'platform-team', nested: { n: 1, list: [true, null] } } }) },
  { name: 'a lower-case "register" (event_type is compared case-insensitively)', model: N, payload: notify({ event_type: 'register' }) },
  { name: 'a DEREGISTER', model: N, payload: notify({ event_type: 'DEREGISTER' }) },
  { name: 'an unknown event_type (Ops-Core answers 400 in its handler, not 422)', model: N, payload: notify({ event_type: 'RENAME' }) },
  { name: 'unknown extra fields, which pydantic ignores', model: N, payload: notify({ source: 'agentkit' }, { registeredAt: '2026-11-24T08:15:00.000Z', signingHint: 1 }) },
  { name: 'empty capabilities and metadata', model: N, payload: notify({}, { capabilities: [], metadata: {} }) },
  { name: 'an https contactEndpoint with port, path and query', model: N, payload: notify({}, { contactEndpoint: 'https://agents.internal:8443/v1/tasks?tenant=a' }) },
  { name: 'an upper-case URL scheme', model: N, payload: notify({}, { contactEndpoint: 'HTTPS://agents.internal/tasks' }) },
  { name: 'an IPv6 contactEndpoint', model: N, payload: notify({}, { contactEndpoint: 'http://[::1]:9000/tasks' }) },
  { name: 'a state update with details null', model: S, payload: stateUpdate({ details: null }) },
  { name: 'a state update without details', model: S, payload: stateUpdate() },
  { name: 'a state update with task details', model: S, payload: stateUpdate({ state: 'finished', details: { taskId: 't-1', result: { message: 'hello' } } }) },
  { name: 'a state Ops-Core does not use itself ("UNKNOWN"; state is not an enum)', model: S, payload: stateUpdate({ state: 'UNKNOWN' }) },
  { name: 'a naive timestamp without offset', model: S, payload: stateUpdate({ timestamp: '2026-11-24T08:15:00' }) },
  { name: 'a timestamp with a +02:00 offset', model: S, payload: stateUpdate({ timestamp: '2026-11-24T10:15:00+02:00' }) },
  { name: 'a timestamp with a -0500 offset', model: S, payload: stateUpdate({ timestamp: '2026-11-24T03:15:00.5-0500' }) },
  { name: 'a timestamp with a space instead of T', model: S, payload: stateUpdate({ timestamp: '2026-11-24 08:15:00Z' }) },
  { name: 'a timestamp without seconds', model: S, payload: stateUpdate({ timestamp: '2026-11-24T08:15' }) },
  { name: 'a state update with an unknown extra field', model: S, payload: stateUpdate({ sequence: 7 }) },
];

/** Ops-Core answers these 422, so the schema must refuse them. */
const rejected: Case[] = [
  { name: 'details without agentId', model: N, payload: notify({}, {}, ['agentId']) },
  { name: 'details without agentName', model: N, payload: notify({}, {}, ['agentName']) },
  { name: 'details without version', model: N, payload: notify({}, {}, ['version']) },
  { name: 'details without contactEndpoint', model: N, payload: notify({}, {}, ['contactEndpoint']) },
  { name: 'no agent_details', model: N, payload: { event_type: 'REGISTER' } },
  { name: 'agent_details null', model: N, payload: notify({ agent_details: null }) },
  { name: 'no event_type', model: N, payload: { agent_details: details } },
  { name: 'contactEndpoint "not-a-url"', model: N, payload: notify({}, { contactEndpoint: 'not-a-url' }) },
  { name: 'contactEndpoint "ftp://x"', model: N, payload: notify({}, { contactEndpoint: 'ftp://x' }) },
  { name: 'contactEndpoint "http://" without a host', model: N, payload: notify({}, { contactEndpoint: 'http://' }) },
  { name: 'contactEndpoint without a scheme', model: N, payload: notify({}, { contactEndpoint: '//agents.internal/tasks' }) },
  { name: 'contactEndpoint with a space in the host', model: N, payload: notify({}, { contactEndpoint: 'http://agents internal/tasks' }) },
  { name: 'capabilities not an array', model: N, payload: notify({}, { capabilities: 'echo' }) },
  { name: 'capabilities holding a number', model: N, payload: notify({}, { capabilities: ['echo', 1] }) },
  { name: 'metadata an array', model: N, payload: notify({}, { metadata: ['owner'] }) },
  { name: 'metadata null', model: N, payload: notify({}, { metadata: null }) },
  { name: 'a numeric agentId (pydantic v2 does not turn numbers into strings)', model: N, payload: notify({}, { agentId: 42 }) },
  { name: 'a state update without state', model: S, payload: stateUpdate({}, ['state']) },
  { name: 'a state update with state null', model: S, payload: stateUpdate({ state: null }) },
  { name: 'a state update without agentId', model: S, payload: stateUpdate({}, ['agentId']) },
  { name: 'a state update without timestamp', model: S, payload: stateUpdate({}, ['timestamp']) },
  { name: 'a timestamp that is not a date', model: S, payload: stateUpdate({ timestamp: 'yesterday' }) },
  { name: 'a day-first timestamp', model: S, payload: stateUpdate({ timestamp: '24/11/2026 08:15' }) },
  { name: 'a timestamp with a space before Z', model: S, payload: stateUpdate({ timestamp: '2026-11-24T08:15:00 Z' }) },
  { name: 'details an array', model: S, payload: stateUpdate({ details: ['done'] }) },
  { name: 'details a string', model: S, payload: stateUpdate({ details: 'done' }) },
  { name: 'a timestamp offset without minutes ("+02")', model: S, payload: stateUpdate({ timestamp: '2026-11-24T10:15:00+02' }) },
  { name: 'a timestamp with month 13', model: S, payload: stateUpdate({ timestamp: '2026-13-24T08:15:00Z' }) },
  { name: 'a timestamp at hour 25', model: S, payload: stateUpdate({ timestamp: '2026-11-24T25:15:00Z' }) },
];

/**
 * Ops-Core accepts these, the schema refuses them on purpose: AgentKit and its SDK never send
 * them (they send ISO 8601 UTC with milliseconds and absolute URLs). Listed so the difference is known.
 */
const stricter: Case[] = [
  { name: 'a Unix time number as timestamp', model: S, payload: stateUpdate({ timestamp: 1795508100 }) },
  { name: 'a Unix time string as timestamp', model: S, payload: stateUpdate({ timestamp: '1795508100' }) },
  { name: 'a date without time as timestamp', model: S, payload: stateUpdate({ timestamp: '2026-11-24' }) },
  { name: 'a timestamp with 7 fraction digits', model: S, payload: stateUpdate({ timestamp: '2026-11-24T08:15:00.1234567Z' }) },
  { name: 'a contactEndpoint with one slash ("http:/host", which pydantic repairs)', model: N, payload: notify({}, { contactEndpoint: 'http:/agents.internal/tasks' }) },
  { name: 'a contactEndpoint with a space in the path (pydantic percent-encodes it)', model: N, payload: notify({}, { contactEndpoint: 'http://agents.internal/my tasks' }) },
];


/** What AgentKit itself sends to Ops-Core's notify: the lifecycle webhook's examples, and notifications built from AgentKit's agents. */
const registrationFields = ['agentId', 'agentName', 'version', 'capabilities', 'contactEndpoint', 'metadata'];
function pick(source: unknown, keys: string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  if (source && typeof source === 'object') {
    for (const [key, value] of Object.entries(source)) if (keys.includes(key)) result[key] = value;
  }
  return result;
}

const outgoing: Case[] = [
  ...Object.entries(examples('agentkit', 'notifyAgentLifecycle', 'request')).map(([name, payload]) => ({
    name: `the agentLifecycle webhook example "${name}"`,
    model: N,
    payload,
  })),
  ...Object.entries(examples('agentkit', 'registerAgent', 'request')).map(([name, body]) => ({
    name: `a REGISTER built from the registerAgent request example "${name}"`,
    model: N,
    payload: { event_type: 'REGISTER', agent_details: { agentId, ...pick(body, registrationFields) } },
  })),
  ...(['200', '201'] as const).flatMap((status) =>
    Object.entries(examples('agentkit', 'registerAgent', status)).map(([name, agent]) => ({
      name: `a REGISTER built from the stored agent "${name}" (registerAgent ${status})`,
      model: N,
      payload: { event_type: 'REGISTER', agent_details: pick(agent, registrationFields) },
    })),
  ),
  ...Object.entries(examples('agentkit', 'getAgent', '200')).map(([name, agent]) => ({
    name: `a DEREGISTER built from the stored agent "${name}" (getAgent 200)`,
    model: N,
    payload: { event_type: 'DEREGISTER', agent_details: pick(agent, registrationFields) },
  })),
];

/** Ops-Core's own request examples in opscore.yaml. */
const opscoreExamples: Case[] = [
  ...Object.entries(examples('opscore', 'notifyAgentLifecycle', 'request')).map(([name, payload]) => ({ name: `notify example "${name}"`, model: N, payload })),
  ...Object.entries(examples('opscore', 'updateAgentState', 'request')).map(([name, payload]) => ({ name: `state example "${name}"`, model: S, payload })),
];

// Generated (fixed seed, so a failure reproduces): registrations that AgentKit's own schema
// accepts, forwarded as Ops-Core would receive them; and state updates stamped as the SDK does.
const registrationArbitrary = fc.record(
  {
    agentId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,40}$/),
    agentName: fc.string({ minLength: 1, maxLength: 30 }),
    version: fc.string({ minLength: 1, maxLength: 12 }),
    capabilities: fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 5 }),
    contactEndpoint: fc.oneof(
      fc.webUrl({
        validSchemes: ['http', 'https'],
        authoritySettings: { withPort: true, withIPv4: true, withIPv6: true, withUserInfo: true },
        withQueryParameters: true,
        withFragments: true,
      }),
      fc.constantFrom('http://127.0.0.1:9000/tasks', 'http://localhost:1/', 'https://[::1]/t', 'HTTP://agents.internal'),
    ),
    metadata: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  },
  { requiredKeys: ['agentName', 'version', 'contactEndpoint'] },
);
const acceptedByAgentKit = schemaValidator('agentkit', '#/components/schemas/AgentRegistrationRequest');
const generatedRegistrations: Case[] = fc
  .sample(registrationArbitrary, { seed: 20261124, numRuns: 300 })
  .filter((body) => acceptedByAgentKit(body))
  .map((body, index) => ({
    name: `generated registration #${index}`,
    model: N,
    payload: { event_type: 'REGISTER', agent_details: { agentId, ...body } },
  }));
const generatedStates: Case[] = fc
  .sample(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), { seed: 7, numRuns: 100 })
  .map((date, index) => ({ name: `generated timestamp #${index}`, model: S, payload: stateUpdate({ timestamp: date.toISOString() }) }));

const allCases = [accepted, rejected, stricter, outgoing, opscoreExamples, generatedRegistrations, generatedStates].flat();
const verdicts = new Map<Case, Verdict>();

beforeAll(() => {
  // One Python process judges every payload with Ops-Core's pydantic models.
  const script = fileURLToPath(new URL('./opscore_models.py', import.meta.url));
  const output = execFileSync(process.env.PYTHON ?? 'python3', [script], {
    input: JSON.stringify(allCases.map(({ model, payload }) => ({ model, payload }))),
    encoding: 'utf8',
    timeout: 60_000,
  });
  const results: Verdict[] = JSON.parse(output);
  expect(results).toHaveLength(allCases.length);
  allCases.forEach((testCase, index) => {
    const result = results[index];
    if (result) verdicts.set(testCase, result);
  });
});

/** What Ops-Core's pydantic models say. */
function opsCore(testCase: Case): Verdict {
  const result = verdicts.get(testCase);
  if (!result) throw new Error(`no pydantic verdict for ${testCase.name}`);
  return result;
}

/** What opscore.yaml says: valid, or the schema errors. */
function spec(testCase: Case): Verdict {
  const validate = schemaValidator('opscore', `#/components/schemas/${testCase.model}`);
  const valid = validate(testCase.payload);
  return { valid, errors: (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`) };
}

describe('payloads the real Ops-Core accepts', () => {
  it.each(accepted)('when $name is sent, then Ops-Core accepts it and opscore.yaml validates it', (testCase) => {
    expect(opsCore(testCase), 'pydantic (Ops-Core)').toMatchObject({ valid: true });
    expect(spec(testCase), 'opscore.yaml').toEqual({ valid: true, errors: [] });
  });
});

describe('payloads the real Ops-Core answers 422', () => {
  it.each(rejected)('when $name is sent, then Ops-Core refuses it and opscore.yaml does not validate it', (testCase) => {
    expect(opsCore(testCase).valid, 'pydantic (Ops-Core)').toBe(false);
    expect(spec(testCase).valid, 'opscore.yaml').toBe(false);
  });
});

describe('where opscore.yaml is deliberately stricter than Ops-Core', () => {
  it.each(stricter)('when $name is sent, then Ops-Core accepts it but opscore.yaml does not', (testCase) => {
    expect(opsCore(testCase).valid, 'pydantic (Ops-Core)').toBe(true);
    expect(spec(testCase).valid, 'opscore.yaml').toBe(false);
  });
});

describe("Ops-Core's own examples", () => {
  it.each(opscoreExamples)('when the $name is sent, then Ops-Core accepts it and it validates', (testCase) => {
    expect(opsCore(testCase), 'pydantic (Ops-Core)').toMatchObject({ valid: true });
    expect(spec(testCase), 'opscore.yaml').toEqual({ valid: true, errors: [] });
  });
});

describe('what AgentKit sends to Ops-Core', () => {
  it('when the agentkit spec is read, then its lifecycle webhook has at least one example', () => {
    expect(outgoing.filter((testCase) => testCase.name.startsWith('the agentLifecycle webhook')).length).toBeGreaterThan(0);
  });

  it.each(outgoing)("when $name is sent, then it validates against Ops-Core's AgentNotificationPayload and Ops-Core accepts it", (testCase) => {
    expect(spec(testCase), 'opscore.yaml').toEqual({ valid: true, errors: [] });
    expect(opsCore(testCase), 'pydantic (Ops-Core)').toMatchObject({ valid: true });
  });

  it("when the lifecycle webhook's examples are checked against AgentKit's own LifecycleNotification, then they validate", () => {
    const validate = schemaValidator('agentkit', '#/components/schemas/LifecycleNotification');
    for (const payload of Object.values(examples('agentkit', 'notifyAgentLifecycle', 'request'))) {
      expect(validate(payload), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('when a registration AgentKit accepts is forwarded, then Ops-Core accepts it (300 generated bodies)', () => {
    expect(generatedRegistrations.length).toBeGreaterThan(100);
    const refused = generatedRegistrations.filter((testCase) => !spec(testCase).valid || !opsCore(testCase).valid);
    expect(refused.map((testCase) => ({ payload: testCase.payload, spec: spec(testCase).errors, opsCore: opsCore(testCase).errors }))).toEqual([]);
  });

  it('when the SDK stamps a state update with Date.toISOString(), then Ops-Core accepts it and it validates (100 generated dates)', () => {
    const refused = generatedStates.filter((testCase) => !spec(testCase).valid || !opsCore(testCase).valid);
    expect(refused.map((testCase) => testCase.payload)).toEqual([]);
  });

  it.each(['HttpUrl', 'AgentRegistrationDetails', 'AgentNotificationPayload'])(
    'when the shared schema %s is compared, then both bundled specs hold the same definition',
    (name) => {
      const ref = `#/components/schemas/${name}`;
      expect(pointer(loadSpec('agentkit'), ref)).toBeDefined();
      expect(pointer(loadSpec('agentkit'), ref)).toEqual(pointer(loadSpec('opscore'), ref));
    },
  );
});
