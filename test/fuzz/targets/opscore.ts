import { createHash } from 'node:crypto';
import pino from 'pino';
import { createOpsCoreReference, type RunningReference } from '../../../src/opscore-reference/index.js';
import { WebhookSigner } from '../../../src/client/webhooks.js';
import { WEBHOOK_SECRET } from '../../support/service.js';
import { bearerAuthCases, invalidCase, wireCase, type BaseRequest, type FamilyOptions, type FuzzCase } from '../lib/cases.js';
import type { HeaderValue, WireResponse } from '../lib/http.js';
import { WireClient } from '../lib/http.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzTarget } from '../lib/runner.js';
import { generate, OMIT, type JsonPath } from '../lib/schema.js';
import { loadSpec, type Operation } from '../lib/spec.js';

export const OPSCORE_MAX_BODY_BYTES = 65_536;
const API_KEY = 'opscore-fuzz-key';

/**
 * A refusal by the HTTP server itself, before the app: no content type, no body, 400 or 431.
 * Ops-Core's server (uvicorn) answers such requests without FastAPI's JSON too.
 */
export function isTransportRefusal(res: WireResponse): boolean {
  return (res.status === 400 || res.status === 431) && res.headers['content-type'] === undefined && res.body.length === 0;
}

/** FastAPI's error shape: `{"detail": "text"}`, or for 422 `{"detail": [{"loc", "msg", "type"}]}`. */
export function isFastApiError(res: WireResponse): string | null {
  const type = res.headers['content-type'] ?? '';
  if (!/^application\/json\b/.test(type)) return `content-type is ${JSON.stringify(type)}, not application/json`;
  let body: { detail?: unknown };
  try {
    body = JSON.parse(res.body.toString('utf8')) as { detail?: unknown };
  } catch {
    return 'body is not JSON';
  }
  if (typeof body.detail === 'string') return res.status === 422 ? '422 with a text detail (FastAPI lists the validation errors)' : null;
  if (Array.isArray(body.detail)) {
    if (res.status !== 422) return `a list of validation errors with status ${res.status}`;
    const bad = body.detail.find((d: unknown) => {
      const e = d as { loc?: unknown; msg?: unknown; type?: unknown };
      return !Array.isArray(e.loc) || typeof e.msg !== 'string' || typeof e.type !== 'string';
    });
    return bad ? `validation error without loc/msg/type: ${JSON.stringify(bad)}` : null;
  }
  return 'no "detail"';
}

/** The reference Ops-Core (in-process), with notification signatures checked, fuzzed on Ops-Core's API. */
export async function opsCoreTarget(rng: Rng): Promise<FuzzTarget & { stop(): Promise<void> }> {
  const reference = createOpsCoreReference({ apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, maxBodyBytes: OPSCORE_MAX_BODY_BYTES, logger: pino({ level: 'silent' }) });
  const server: RunningReference = await reference.start();
  const spec = loadSpec('opscore');
  const ops = new Map(spec.operations.map((op) => [op.id, op]));
  const op = (id: string): Operation => {
    const o = ops.get(id);
    if (!o) throw new Error(`the spec has no operation ${id}`);
    // The notification's signature headers are made by the signer and broken by the auth family.
    return id === 'notifyAgentLifecycle' ? { ...o, params: [] } : o;
  };
  const notifyOp = op('notifyAgentLifecycle');
  const operations = spec.operations.map((o) => (o.id === notifyOp.id ? notifyOp : o));
  const client = new WireClient(server.url, 8);
  const signer = new WebhookSigner(WEBHOOK_SECRET);
  const bearer: Array<[string, string]> = [['authorization', `Bearer ${API_KEY}`]];
  // FastAPI reads any JSON-ish body (and one without a content type) as JSON: content types are tried among the valid requests.
  const familyOptions: FamilyOptions = { rng, spec, maxBodyBytes: OPSCORE_MAX_BODY_BYTES, operations, skip: ['content-type'] };
  let known: string[] = [];
  let transportRefusals = 0;

  const freshAgentId = () => `fz-${rng.hex(10)}`;
  const someAgent = () => (known.length ? rng.pick(known) : freshAgentId());
  const sign = (body: Buffer) => Object.entries(signer.sign(`msg_${rng.hex(16)}`, body.toString('utf8')));

  function notification(eventType: string, agentId: string): BaseRequest {
    const body = generate(notifyOp.body!.schema, {
      rng,
      unicodeChance: 0.15,
      deepChance: 0.05,
      hint: (path: JsonPath) => {
        if (path.length === 1 && path[0] === 'event_type') return eventType;
        if (path.length === 2 && path[1] === 'agentId') return agentId;
        if (path.length === 2 && path[1] === 'contactEndpoint') return `http://127.0.0.1:9/agents/${rng.hex(6)}/tasks`;
        return undefined;
      },
    });
    return { op: notifyOp, pathValues: {}, query: {}, headers: [], auth: [], body, sign };
  }

  function stateUpdate(agentId: string, bodyAgentId = agentId): BaseRequest {
    const o = op('updateAgentState');
    const body = generate(o.body!.schema, {
      rng,
      unicodeChance: 0.15,
      deepChance: 0.05,
      hint: (path: JsonPath) => {
        if (path.length !== 1) return undefined;
        if (path[0] === 'agentId') return bodyAgentId;
        // Zoned forms only: Ops-Core echoes a naive timestamp without an offset, which GET state's
        // `format: date-time` does not allow (a contract question, reported, not fuzzed).
        if (path[0] === 'timestamp') return rng.pick([new Date().toISOString(), '2026-11-24T08:15:00.123Z', '2026-11-24 08:15:00+01:00', '2026-11-24T08:15Z', '2026-11-24t08:15:00.5-0330']);
        if (path[0] === 'details') return rng.chance(0.3) ? null : rng.chance(0.2) ? OMIT : undefined;
        return undefined;
      },
    });
    return { op: o, pathValues: { agent_id: agentId }, query: {}, headers: [], auth: bearer, body };
  }

  const read = (): BaseRequest =>
    rng.chance(0.3)
      ? { op: op('getHealth'), pathValues: {}, query: {}, headers: [], auth: [] }
      : { op: op('getAgentState'), pathValues: { agent_id: someAgent() }, query: {}, headers: [], auth: bearer };

  function validBase(o: Operation): BaseRequest {
    switch (o.id) {
      case 'notifyAgentLifecycle':
        return notification('REGISTER', rng.chance(0.5) ? someAgent() : freshAgentId());
      case 'updateAgentState':
        return stateUpdate(someAgent());
      case 'getAgentState':
        return { op: o, pathValues: { agent_id: someAgent() }, query: {}, headers: [], auth: bearer };
      default:
        return { op: o, pathValues: {}, query: {}, headers: [], auth: [] };
    }
  }


  const authCase = (b: BaseRequest): FuzzCase | null => {
    if (b.op.id === 'notifyAgentLifecycle') {
      const body = Buffer.from(JSON.stringify(b.body));
      const id = `msg_${rng.hex(16)}`;
      const good = signer.sign(id, body.toString('utf8'));
      const now = Math.floor(Date.now() / 1000);
      const choices: Array<[string, Array<[string, HeaderValue]>, number[]?]> = [
        ['no signature', []],
        ['signed with another secret', Object.entries(new WebhookSigner('whsec_b3RoZXItc2VjcmV0LW5vdC10aGUtYWdlbnRzLW93bg==').sign(id, body.toString('utf8')))],
        ['signature of another body', Object.entries(signer.sign(id, `${body.toString('utf8')}\n`))],
        ['stale timestamp', Object.entries(signer.sign(id, body.toString('utf8'), new Date((now - 3600) * 1000)))],
        ['only X-AgentKit-Timestamp', [['x-agentkit-timestamp', good['x-agentkit-timestamp']]]],
        ['X-AgentKit signature of zeros', [['x-agentkit-timestamp', good['x-agentkit-timestamp']], ['x-agentkit-signature', '0'.repeat(64)]]],
        ['webhook-signature garbage', [['webhook-id', id], ['webhook-timestamp', good['webhook-timestamp']], ['webhook-signature', 'v1,AAAA']]],
        ['signature with a control character', [['webhook-id', id], ['webhook-timestamp', good['webhook-timestamp']], ['webhook-signature', Buffer.from(`${good['webhook-signature']}\u0001`, 'latin1')]], [400, 401]],
      ];
      const [what, headers, statuses] = rng.pick(choices);
      return wireCase(b, `signature: ${what}`, 'reject', 'auth', statuses, { sign: false, headers, body });
    }
    if (!b.op.secured) return null;
    const [what, headers, statuses] = rng.pick(bearerAuthCases(rng, API_KEY));
    return wireCase(b, `auth: ${what}`, 'reject', 'auth', statuses, { auth: headers });
  };

  function semanticCase(): FuzzCase {
    switch (rng.int(0, 3)) {
      case 0:
        return wireCase(notification(rng.pick(['UPDATE', 'register ', 'DELETE', '', 'REGISTERED', 'd\u0130register']), someAgent()), 'unknown event_type', 'reject', 'semantic', [400]);
      case 1: {
        const agent = someAgent();
        return wireCase(stateUpdate(agent, `${agent}-other`), 'agentId in the body differs from the path', 'reject', 'semantic', [400]);
      }
      case 2: {
        const ghost = `ghost-${rng.hex(8)}`;
        return wireCase(stateUpdate(ghost), 'state of an agent Ops-Core does not know', 'reject', 'semantic', [404]);
      }
      default:
        return wireCase({ op: op('getAgentState'), pathValues: { agent_id: `ghost-${rng.hex(8)}` }, query: {}, headers: [], auth: bearer }, 'state of an unknown agent', 'reject', 'semantic', [404]);
    }
  }

  return {
    name: 'opscore-reference',
    client,
    expected: {
      'body-schema': [422, 413],
      'bad-json': [422],
      'content-type': [422],
      'content-encoding': [400, 415, 422],
      oversize: [413],
      'path-param': [400, 404, 422],
      query: [422],
      header: [400, 401, 422],
      'huge-header': [431],
      auth: [401],
      method: [404, 405],
      'unknown-path': [400, 404, 405],
      semantic: [400, 404],
    },

    nextValid() {
      const roll = rng.next();
      if (roll < 0.1) {
        const b = rng.chance(0.5) ? notification('REGISTER', freshAgentId()) : stateUpdate(someAgent());
        const type = rng.pick([null, 'application/problem+json', 'application/json; charset=latin1', 'text/plain', 'application/jsonx']);
        return wireCase(b, `valid body sent as ${type ?? 'no content type'}`, 'either', 'content-type', undefined, { contentType: type });
      }
      if (roll < 0.35 || known.length < 3) return wireCase(notification(rng.pick(['REGISTER', 'register', 'Register']), freshAgentId()), 'REGISTER a new agent', 'accept');
      if (roll < 0.45) return wireCase(notification('REGISTER', someAgent()), 'REGISTER again', 'accept');
      if (roll < 0.47) return wireCase(notification('DEREGISTER', `ghost-${rng.hex(8)}`), 'DEREGISTER of an agent Ops-Core does not know', 'accept');
      if (roll < 0.5 && known.length > 6) {
        const agentId = rng.pick(known);
        known = known.filter((a) => a !== agentId);
        return wireCase(notification(rng.pick(['DEREGISTER', 'deregister']), agentId), 'DEREGISTER', 'accept');
      }
      return wireCase(stateUpdate(someAgent()), 'state update', 'accept');
    },

    nextInvalid() {
      const roll = rng.next();
      if (roll < 0.08) return wireCase(read(), 'read', 'accept');
      if (roll < 0.18) return semanticCase();
      const o = rng.weighted(operations.map((x): [number, Operation] => [x.body ? 3 : 1, x]));
      return invalidCase(validBase(o), familyOptions, authCase);
    },

    async settle() {},

    async refresh() {
      known = reference.received().agents.map((a) => a.agentId);
    },

    async fingerprint() {
      const { agents, notifications, states } = reference.received();
      return createHash('sha256').update(JSON.stringify({ agents, notifications, states })).digest('hex');
    },

    errorShape(res) {
      if (isTransportRefusal(res)) {
        transportRefusals++;
        return null;
      }
      return isFastApiError(res);
    },

    notes: () => `server-level refusals without FastAPI body (malformed HTTP, headers too large): ${transportRefusals}`,

    async alive() {
      const res = await client.send({ method: 'GET', path: '/health', headers: [] });
      return res.status === 200;
    },

    async stop() {
      client.close();
      await server.close();
    },
  };
}
