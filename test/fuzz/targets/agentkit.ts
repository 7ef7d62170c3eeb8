import { createHash } from 'node:crypto';
import { MAX_JSON_DEPTH } from '../../../src/http/request-limits.js';
import type { Store } from '../../../src/store/types.js';
import { Receiver, eventually } from '../../support/receiver.js';
import { API_KEY, WEBHOOK_SECRET, startService, type TestService } from '../../support/service.js';
import { bearerAuthCases, invalidCase, wireCase, type BaseRequest, type FamilyOptions, type FuzzCase } from '../lib/cases.js';
import { WireClient, type WireResponse } from '../lib/http.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzTarget } from '../lib/runner.js';
import { generate, OMIT, type JsonPath } from '../lib/schema.js';
import { loadSpec, type Operation } from '../lib/spec.js';

/** The body limit the fuzzed service runs with (small, so oversized bodies are cheap to send). */
export const MAX_BODY_BYTES = 65_536;

interface Known {
  agents: string[];
  tasks: Array<{ taskId: string; agentId: string; status: string; result: unknown }>;
  deliveries: Array<{ deliveryId: string; kind: string; status: string; taskId: string | null; agentId: string }>;
}

/** The agent whose own credential the `agent` run uses. */
const SELF = 'fz-self';

const TERMINAL = new Set(['finished', 'failed', 'canceled']);
/**
 * A task whose state this phase changed in a way the model does not follow (asked to cancel; its
 * agent registered again or deregistered): it learns the state at the next refresh.
 */
const UNSURE = 'unsure';

async function all<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    out.push(...p.items);
    cursor = p.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

function isProblem(res: WireResponse): string | null {
  const type = res.headers['content-type'] ?? '';
  if (!/^application\/problem\+json\b/.test(type)) return `content-type is ${JSON.stringify(type)}, not application/problem+json`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'body is not JSON';
  }
  if (body.status !== res.status) return `problem status ${String(body.status)} differs from HTTP ${res.status}`;
  if (typeof body.type !== 'string' || typeof body.title !== 'string') return 'problem lacks type or title';
  return null;
}

export { isProblem };

/** What differs between the fields sent and those answered (a missing field counts as its default), or undefined. */
function echoes(sent: Record<string, unknown>, got: Record<string, unknown>, fields: Record<string, unknown>): string | undefined {
  const differ = Object.entries(fields)
    .filter(([name, fallback]) => JSON.stringify(sent[name] ?? fallback) !== JSON.stringify(got[name]))
    .map(([name, fallback]) => `${name}: sent ${JSON.stringify(sent[name] ?? fallback).slice(0, 80)}, answered ${JSON.stringify(got[name])?.slice(0, 80)}`);
  return differ.length ? `the answer does not echo what was sent: ${differ.join('; ')}` : undefined;
}

/**
 * AgentKit started in-process with response validation on; lifecycle webhooks, task deliveries
 * and state reports all go to one receiver that answers 200, so every delivery settles fast.
 */
export async function agentKitTarget(rng: Rng, options: { as?: 'admin' | 'agent' } = {}): Promise<FuzzTarget & { stop(): Promise<void> }> {
  /**
   * `agent`: every request carries one agent's own credential (its agentToken), as an agent
   * would send; the valid requests are what an agent may do for itself, its tasks are dispatched
   * between phases with the admin key, and what it may not do is refused with 403.
   */
  const asAgent = options.as === 'agent';
  const receiver = await new Receiver().start();
  const svc: TestService = await startService({
    AGENTKIT_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    AGENTKIT_VALIDATE_RESPONSES: 'true',
    OPSCORE_WEBHOOK_URL: `${receiver.url}/v1/opscore/internal/agent/notify`,
    OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    OPSCORE_API_URL: receiver.url,
    OPSCORE_API_KEY: 'opscore-key',
    AGENTKIT_WEBHOOK_RETRY_SCHEDULE: '0',
    AGENTKIT_TASK_RETRY_SCHEDULE: '0',
    AGENTKIT_DELIVERY_TIMEOUT_MS: '2000',
    // The receiver never confirms a cancel: with no grace the watchdog ends it before the phase's fingerprint.
    AGENTKIT_CANCEL_GRACE_MS: '0',
  });
  const store: Store = svc.service.store;
  const spec = loadSpec('agentkit');
  const ops = new Map(spec.operations.map((op) => [op.id, op]));
  const op = (id: string): Operation => {
    const o = ops.get(id);
    if (!o) throw new Error(`the spec has no operation ${id}`);
    return o;
  };
  const client = new WireClient(svc.url, 8);
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${svc.url}${path}`, { method, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const credential = asAgent
    ? ((await (await admin('POST', '/v1/agents', { agentId: SELF, agentName: 'fuzz-self', version: '1', contactEndpoint: `${receiver.url}/agents/self/tasks` })).json()) as { agentToken: string }).agentToken
    : API_KEY;
  const auth: Array<[string, string]> = [['authorization', `Bearer ${credential}`]];
  /** Operations this run's credential may call (all, for admin). */
  const mayCall = (o: Operation) => !asAgent || !o.secured || o.roles.includes('agent');
  const familyOptions: FamilyOptions = { rng, spec, maxBodyBytes: MAX_BODY_BYTES, maxJsonDepth: MAX_JSON_DEPTH, requireUnicode: true, operations: spec.operations };
  const known: Known = { agents: [], tasks: [], deliveries: [] };
  /** Idempotency keys used by valid dispatches: key -> agent and body text. */
  const idempotency = new Map<string, { agentId: string; body: string }>();
  const gen = (schema: Operation['body'], hint: (path: JsonPath) => unknown) =>
    generate(schema!.schema, { rng, hint, unicodeChance: 0.15, wellFormed: true, deepChance: 0.05, deepLevels: [10, MAX_JSON_DEPTH - 2], bigChance: 0.03, bigString: 20_000 });

  const freshAgentId = () => (asAgent ? SELF : `fz-${rng.hex(10)}`);
  const someAgent = () => (known.agents.length ? rng.pick(known.agents) : freshAgentId());
  const openTasks = () => known.tasks.filter((t) => !TERMINAL.has(t.status) && t.status !== UNSURE);
  const endedTasks = () => known.tasks.filter((t) => TERMINAL.has(t.status));

  /** Registering an agent again may end its tasks (a restart), deregistering it does. */
  const agentChanged = (agentId: unknown) => {
    for (const t of known.tasks) if (t.agentId === agentId && !TERMINAL.has(t.status)) t.status = UNSURE;
  };

  const base = (o: Operation, pathValues: Record<string, string> = {}, extra: Partial<BaseRequest> = {}): BaseRequest => ({ op: o, pathValues, query: {}, headers: [], auth, ...extra });

  function registration(agentId: string | typeof OMIT): BaseRequest {
    const o = op('registerAgent');
    const body = gen(o.body, (path) => {
      if (path.length !== 1) return undefined;
      if (path[0] === 'agentId') return agentId;
      if (path[0] === 'contactEndpoint') return `${receiver.url}/agents/${rng.hex(6)}/tasks`;
      // The receiver never reports, so a short heartbeat would fail tasks between two fingerprints.
      if (path[0] === 'heartbeatIntervalSeconds') return rng.chance(0.5) ? OMIT : 3600;
      return undefined;
    });
    return base(o, {}, { body });
  }

  function dispatch(agentId: string, key: string | null): BaseRequest {
    const o = op('dispatchTask');
    const body = gen(o.body, () => undefined);
    return base(o, { agentId }, { body, headers: key ? [['Idempotency-Key', key]] : [] });
  }

  function report(taskId: string, status: 'running' | 'finished' | 'failed'): BaseRequest {
    const o = op('reportTaskProgress');
    const body = gen(o.body, (path) => (path.length === 1 && path[0] === 'status' ? status : undefined));
    return base(o, { taskId }, { body });
  }

  function listQuery(o: Operation): Record<string, string> {
    const q: Record<string, string> = {};
    for (const p of o.params.filter((x) => x.in === 'query')) {
      if (p.name === 'cursor' || !rng.chance(0.4)) continue;
      if (p.name === 'agentId') q.agentId = someAgent();
      else q[p.name] = String(generate(p.schema, { rng }));
    }
    return q;
  }

  /** A valid request for any operation that only reads. */
  function validRead(): BaseRequest {
    const id = rng.pick(asAgent ? ['getAgent', 'getTask', 'getWebhookDelivery', 'getHealth', 'getServiceHealth', 'getCredential', 'listTaskDeliveries', 'listTaskEvents'] : ['listAgents', 'getAgent', 'listTasks', 'getTask', 'listWebhookDeliveries', 'getWebhookDelivery', 'getHealth', 'getReadiness', 'getServiceHealth', 'getCredential', 'getStatistics', 'listTaskDeliveries', 'listTaskEvents']);
    const o = op(id);
    if (id === 'getCredential' || id === 'getStatistics') return base(o);
    if (id === 'listTaskDeliveries' || id === 'listTaskEvents') return known.tasks.length ? base(o, { taskId: rng.pick(known.tasks).taskId }) : base(op('getCredential'));
    if (asAgent) {
      const mine = known.deliveries.filter((d) => d.agentId === SELF);
      if (id === 'getTask' && known.tasks.length) return base(o, { taskId: rng.pick(known.tasks).taskId });
      if (id === 'getWebhookDelivery' && mine.length) return base(o, { deliveryId: rng.pick(mine).deliveryId });
      if (id === 'getHealth' || id === 'getServiceHealth') return base(o, {}, { auth: [] });
      return base(op('getAgent'), { agentId: SELF });
    }
    if (id === 'getAgent' && known.agents.length) return base(o, { agentId: someAgent() });
    if (id === 'getTask' && known.tasks.length) return base(o, { taskId: rng.pick(known.tasks).taskId });
    if (id === 'getWebhookDelivery' && known.deliveries.length) return base(o, { deliveryId: rng.pick(known.deliveries).deliveryId });
    if (id === 'getHealth' || id === 'getReadiness' || id === 'getServiceHealth') return base(o, {}, { auth: [] });
    const list = id === 'getAgent' || id === 'getTask' || id === 'getWebhookDelivery' ? op('listAgents') : o;
    return base(list, {}, { query: listQuery(list) });
  }

  /** A valid request for an operation (any), used as the starting point of an invalid one. */
  function validBase(o: Operation): BaseRequest {
    switch (o.id) {
      case 'registerAgent':
        return registration(rng.chance(0.5) ? someAgent() : freshAgentId());
      case 'dispatchTask':
        return dispatch(someAgent(), rng.chance(0.5) ? `idem-${rng.hex(12)}` : null);
      case 'reportTaskProgress': {
        const t = openTasks();
        return report(t.length ? rng.pick(t).taskId : rng.uuid(), 'running');
      }
      case 'getAgent':
      case 'deregisterAgent':
      case 'rotateSigningSecret':
      case 'rotateAgentToken':
        return base(o, { agentId: someAgent() });
      case 'getTask':
      case 'cancelTask':
      case 'listTaskDeliveries':
      case 'listTaskEvents':
        return base(o, { taskId: known.tasks.length ? rng.pick(known.tasks).taskId : rng.uuid() });
      case 'redeliverFailedWebhookDeliveries':
        // A range still to come: should a broken copy of it be accepted, it requeues nothing.
        return base(o, {}, { body: { since: '2100-01-01T00:00:00Z', ...(rng.chance(0.5) ? { kind: rng.pick(['agent.lifecycle', 'task.delivery', 'task.cancel', 'opscore.state']) } : {}) } });
      case 'registerAgentCompat':
        return { ...registration(rng.chance(0.5) ? someAgent() : freshAgentId()), op: o };
      case 'getWebhookDelivery':
      case 'redeliverWebhookDelivery':
        return base(o, { deliveryId: known.deliveries.length ? rng.pick(known.deliveries).deliveryId : 'nonexistent' });
      case 'getHealth':
      case 'getReadiness':
      case 'getServiceHealth':
        return base(o, {}, { auth: [] });
      default:
        return base(o, {}, { query: listQuery(o) });
    }
  }


  /** The registration with `agentId` set (the generator may leave an optional field out). */
  const withAgentId = (b: BaseRequest, agentId: string): BaseRequest => ({ ...b, body: { ...(b.body as Record<string, unknown>), agentId } });

  /** What an agent's credential may not do: another agent's things, or what only Ops-Core and operators do. */
  function forbiddenCase(): FuzzCase | null {
    const ghost = `ghost-${rng.hex(8)}`;
    const own = known.tasks.length ? rng.pick(known.tasks).taskId : rng.uuid();
    const cases: Array<[BaseRequest, string]> = [
      [dispatch(SELF, null), 'dispatch, even to itself'],
      [base(op('listAgents')), 'list agents'],
      [base(op('listTasks')), 'list tasks'],
      [base(op('listWebhookDeliveries')), 'read the delivery log'],
      [base(op('getAgent'), { agentId: ghost }), "read another agent"],
      [base(op('deregisterAgent'), { agentId: ghost }), 'deregister another agent'],
      [withAgentId(registration(ghost), ghost), "register another agent's id"],
      [base(op('cancelTask'), { taskId: own }), 'cancel its own task'],
      [base(op('redeliverWebhookDelivery'), { deliveryId: known.deliveries.length ? rng.pick(known.deliveries).deliveryId : 'nonexistent' }), 'redeliver'],
      [base(op('getStatistics')), 'read the statistics'],
      [base(op('redeliverFailedWebhookDeliveries'), {}, { body: { since: '2000-01-01T00:00:00Z' } }), 'recover failed deliveries'],
    ];
    const [b, what] = rng.pick(cases);
    return wireCase(b, `agent credential: ${what}`, 'reject', 'semantic', [403]);
  }

  /** Requests valid in form that the service must refuse for what they refer to. */
  function semanticCase(): FuzzCase | null {
    if (asAgent && rng.chance(0.6)) return forbiddenCase();
    const choice = asAgent ? rng.pick([3, 4, 5]) : rng.int(0, 9);
    const ghostAgent = `ghost-${rng.hex(8)}`;
    switch (choice) {
      case 0:
        return wireCase(base(op('getAgent'), { agentId: ghostAgent }), 'unknown agent', 'reject', 'semantic', [404]);
      case 1:
        return wireCase(base(op('deregisterAgent'), { agentId: ghostAgent }), 'unknown agent', 'reject', 'semantic', [404]);
      case 2:
        return wireCase(dispatch(ghostAgent, null), 'dispatch to an unknown agent', 'reject', 'semantic', [404]);
      case 3:
        return wireCase(base(op('getTask'), { taskId: rng.uuid() }), 'unknown task', 'reject', 'semantic', [404]);
      case 4:
        return wireCase(report(rng.uuid(), 'running'), 'report on an unknown task', 'reject', 'semantic', [404]);
      case 5: {
        const ended = endedTasks();
        if (!ended.length) return null;
        const t = rng.pick(ended);
        const other = rng.pick(['running', 'finished', 'failed'].filter((s) => s !== t.status)) as 'running' | 'finished' | 'failed';
        return wireCase(report(t.taskId, other), `report ${other} on a task that ended ${t.status}`, 'reject', 'semantic', [409]);
      }
      case 6: {
        const used = [...idempotency.entries()].filter(([, v]) => known.agents.includes(v.agentId));
        if (!used.length) return null;
        const [key, first] = rng.pick(used);
        const b = dispatch(first.agentId, key);
        if (JSON.stringify(b.body) === first.body) return null;
        return wireCase(b, 'Idempotency-Key reused with another body', 'reject', 'semantic', [409]);
      }
      case 8:
        return wireCase(base(op('cancelTask'), { taskId: rng.uuid() }), 'cancel an unknown task', 'reject', 'semantic', [404]);
      case 9: {
        const done = endedTasks().filter((t) => t.status !== 'canceled');
        if (!done.length) return null;
        const t = rng.pick(done);
        return wireCase(base(op('cancelTask'), { taskId: t.taskId }), `cancel a task that ended ${t.status}`, 'reject', 'semantic', [409]);
      }
      default: {
        const ended = new Set(endedTasks().map((t) => t.taskId));
        const stale = known.deliveries.filter((d) => d.kind === 'task.delivery' && d.taskId && ended.has(d.taskId));
        if (!stale.length) return wireCase(base(op('redeliverWebhookDelivery'), { deliveryId: `nope${rng.hex(8)}` }), 'unknown delivery', 'reject', 'semantic', [404]);
        return wireCase(base(op('redeliverWebhookDelivery'), { deliveryId: rng.pick(stale).deliveryId }), 'redeliver a delivery of an ended task', 'reject', 'semantic', [409]);
      }
    }
  }

  /** Until the outbox is drained (but for deliveries held for a slot: the receiver never reports) and no cancel is pending. */
  const settle = () =>
    eventually(
      async () => {
        const pending = await all((cursor) => store.listDeliveries({ limit: 100, cursor }, { status: 'pending' }));
        const { tasks } = await store.counts();
        return pending.every((d) => d.waitingForSlot) && tasks.canceling === 0 ? true : undefined;
      },
      20_000,
      'the outbox to drain (but for deliveries held for a slot) and every cancel to end',
    ).then(() => undefined);

  const authCase = (b: BaseRequest): FuzzCase | null => {
    if (!b.op.secured) return null;
    const [what, headers, statuses] = rng.pick(bearerAuthCases(rng, credential));
    return wireCase(b, `auth: ${what}`, 'reject', 'auth', statuses, { auth: headers });
  };

  return {
    name: 'agentkit',
    client,
    expected: {
      'body-schema': [400, 413],
      'bad-json': [400],
      'content-type': [400, 415],
      'content-encoding': [400, 415],
      oversize: [413],
      // With an agent's credential, a path that names another agent or task is that agent's: 403.
      'path-param': asAgent ? [400, 403, 404] : [400, 404],
      query: [400],
      header: [400],
      'huge-header': [431],
      auth: [401],
      method: [405],
      'unknown-path': asAgent ? [400, 403, 404, 405] : [400, 404, 405],
      semantic: [400, 404, 409],
    },

    nextValid() {
      const openOnes = openTasks();
      const kind = asAgent
        ? rng.weighted<string>([
            [8, 'register'],
            [openOnes.length ? 35 : 0, 'report'],
            [15, 'read'],
          ])
        : rng.weighted<string>([
            [known.agents.length < 3 ? 50 : 20, 'register'],
            [known.agents.length ? 35 : 0, 'dispatch'],
            [openOnes.length ? 25 : 0, 'report'],
            [known.agents.length > 6 ? 6 : 0, 'deregister'],
            [known.deliveries.some((d) => d.status !== 'pending') ? 4 : 0, 'redeliver'],
            [openOnes.length ? 4 : 0, 'cancel'],
            [known.deliveries.some((d) => d.status === 'failed') ? 2 : 0, 'recover'],
            [10, 'read'],
          ]);
      if (rng.chance(0.02)) {
        // RFC 8259 lets a parser ignore a byte order mark: accepting it or refusing it are both fine.
        const b = registration(freshAgentId());
        agentChanged((b.body as Record<string, unknown>).agentId ?? SELF);
        const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(b.body))]);
        return { ...wireCase(b, 'registration with a UTF-8 byte order mark', 'either', 'bad-json'), body };
      }
      switch (kind) {
        case 'register': {
          const b = registration(rng.weighted<string | typeof OMIT>([
            [5, freshAgentId()],
            [known.agents.length ? 3 : 0, someAgent()],
            [2, OMIT],
          ]));
          agentChanged((b.body as Record<string, unknown>).agentId ?? SELF);
          return wireCase(b, 'register', 'accept');
        }
        case 'dispatch': {
          const reuse = rng.chance(0.1) ? [...idempotency.entries()].find(([, v]) => known.agents.includes(v.agentId)) : undefined;
          if (reuse) {
            const [key, first] = reuse;
            const b = dispatch(first.agentId, key);
            return { ...wireCase(b, 'dispatch replayed with the same Idempotency-Key and body', 'accept'), body: Buffer.from(first.body) };
          }
          const key = rng.chance(0.4) ? `idem-${rng.hex(12)}` : null;
          const b = dispatch(someAgent(), key);
          return wireCase(b, key ? 'dispatch with an Idempotency-Key' : 'dispatch', 'accept');
        }
        case 'report': {
          const t = rng.pick(openOnes);
          const status = rng.weighted<'running' | 'finished' | 'failed'>([
            [6, 'running'],
            [2, 'finished'],
            [2, 'failed'],
          ]);
          t.status = status; // later valid reports in this phase pick only tasks still open
          return wireCase(report(t.taskId, status), `report ${status}`, 'accept');
        }
        case 'cancel': {
          const t = rng.pick(openOnes);
          t.status = UNSURE;
          const body = rng.chance(0.5) ? { body: { reason: `fuzz ${rng.hex(4)}` } } : {};
          return wireCase(base(op('cancelTask'), { taskId: t.taskId }, body), 'cancel', 'accept');
        }
        case 'recover': {
          // Every failed one may go again (not a task delivery of an ended task): none is redelivered by hand until the next refresh.
          for (const d of known.deliveries) if (d.status === 'failed') d.status = 'pending';
          return wireCase(base(op('redeliverFailedWebhookDeliveries'), {}, { body: { since: '2000-01-01T00:00:00Z' } }), 'recover every failed delivery', 'accept');
        }
        case 'deregister': {
          const agentId = rng.pick(known.agents);
          known.agents = known.agents.filter((a) => a !== agentId);
          agentChanged(agentId);
          return wireCase(base(op('deregisterAgent'), { agentId }), 'deregister', 'accept');
        }
        case 'redeliver': {
          // Task deliveries only when succeeded and their task has not ended: the store also refuses a
          // failed one whose task left `queued` (reported: its message calls a running task "ended").
          const open = new Set(openTasks().map((t) => t.taskId));
          const ok = known.deliveries.filter((d) => d.status !== 'pending' && (d.kind !== 'task.delivery' || (d.status === 'succeeded' && d.taskId !== null && open.has(d.taskId))));
          if (ok.length) {
            const d = rng.pick(ok);
            d.status = 'pending';
            return wireCase(base(op('redeliverWebhookDelivery'), { deliveryId: d.deliveryId }), `redeliver a ${d.kind} delivery`, 'accept');
          }
          return wireCase(validRead(), 'read', 'accept');
        }
        default:
          return wireCase(validRead(), 'read', 'accept');
      }
    },

    learn(c, res) {
      if (res.status < 200 || res.status > 299 || !c.body) return undefined;
      const sent = JSON.parse(c.body.toString('utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>;
      const got = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
      if (c.operation === 'dispatchTask') {
        const key = c.headers.find(([k]) => k.toLowerCase() === 'idempotency-key')?.[1];
        const agentId = decodeURIComponent(c.path.split('/')[3] ?? '');
        if (typeof key === 'string' && !idempotency.has(key)) idempotency.set(key, { agentId, body: c.body.toString('utf8') });
        return echoes(sent, got, { task_name: undefined, parameters: {}, opscore_session_id: null, opscore_task_id: null, timeout_seconds: null });
      }
      if (c.operation === 'registerAgent') {
        // AgentKit keeps each capability once (in order); the spec does not say so (reported).
        const once = { ...sent, capabilities: [...new Set((sent.capabilities as string[] | undefined) ?? [])] };
        return echoes(once, got, { agentName: undefined, version: undefined, capabilities: [], contactEndpoint: undefined, metadata: {} });
      }
      return undefined;
    },

    nextInvalid() {
      const roll = rng.next();
      if (roll < 0.08) return wireCase(validRead(), 'read', 'accept');
      if (roll < 0.16) {
        const c = semanticCase();
        if (c) return c;
      }
      // Every operation is walked; those with a body have more to break, so they come up more often.
      const o = rng.weighted(spec.operations.filter(mayCall).map((x): [number, Operation] => [x.body ? 4 : 1, x]));
      return invalidCase(validBase(o), familyOptions, authCase);
    },

    settle,

    async refresh() {
      // An agent cannot dispatch: its tasks come from the admin key, between phases.
      if (asAgent && (await store.listTasks({ limit: 100, cursor: undefined }, { agentId: SELF })).items.filter((t) => !TERMINAL.has(t.status)).length < 4) {
        for (let i = 0; i < 4; i++) await admin('POST', `/v1/agents/${SELF}/run`, { task_name: 'fuzz', parameters: { i } });
        await settle();
      }
      known.agents = (await all((cursor) => store.listAgents({ limit: 100, cursor }, {}))).map((a) => a.agentId);
      known.tasks = (await all((cursor) => store.listTasks({ limit: 100, cursor }, {}))).map((t) => ({ taskId: t.taskId, agentId: t.agentId, status: t.status, result: t.result }));
      known.deliveries = (await all((cursor) => store.listDeliveries({ limit: 100, cursor }, {}))).map((d) => ({ deliveryId: d.deliveryId, kind: d.kind, status: d.status, taskId: d.taskId, agentId: d.agentId }));
    },

    async fingerprint() {
      const hash = createHash('sha256');
      hash.update(`counts=${JSON.stringify(await store.counts())}\n`);
      // A refused report is recorded on its task as `lateOutcome` (the spec says so), and it is still
      // word from its agent (`lastSeenAt`): the traces a rejected report is meant to leave, so they
      // are not part of the state that must stay put.
      for (const a of await all((cursor) => store.listAgents({ limit: 100, cursor }, {}))) hash.update(JSON.stringify({ ...a, lastSeenAt: undefined }));
      for (const t of await all((cursor) => store.listTasks({ limit: 100, cursor }, {}))) hash.update(JSON.stringify({ ...t, lateOutcome: undefined }));
      const deliveries = await all((cursor) => store.listDeliveries({ limit: 100, cursor }, {}));
      hash.update(`deliveries=${deliveries.length}\n`);
      for (const d of deliveries) hash.update(JSON.stringify(d));
      return hash.digest('hex');
    },

    errorShape: isProblem,

    async alive() {
      const res = await client.send({ method: 'GET', path: '/healthz', headers: [] });
      return res.status === 200;
    },

    async stop() {
      client.close();
      await svc.stop();
      await receiver.stop();
    },
  };
}
