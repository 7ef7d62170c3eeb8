import { WebhookSigner, type SignatureHeaders } from '../../../src/client/webhooks.js';
import { startSystem, type TestSystem } from '../../sdk/support/harness.js';
import { eventually } from '../../support/receiver.js';
import { invalidCase, wireCase, type BaseRequest, type FamilyOptions, type FuzzCase } from '../lib/cases.js';
import type { HeaderValue } from '../lib/http.js';
import { WireClient } from '../lib/http.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzTarget } from '../lib/runner.js';
import { generate, type JsonPath } from '../lib/schema.js';
import { loadSpec, type Operation } from '../lib/spec.js';
import { isProblem } from './agentkit.js';

/** The agent's body limit in this run (small, so oversized bodies are cheap). */
export const SDK_MAX_BODY_BYTES = 65_536;
const OTHER_SECRET = 'whsec_b3RoZXItc2VjcmV0LW5vdC10aGUtYWdlbnRzLW93bg==';

/**
 * An SDK agent (createAgent) registered with the SDK tests' fake AgentKit and reporting to the
 * reference Ops-Core, fuzzed on its task endpoint: the spec's `taskDelivery` webhook.
 */
export async function sdkTarget(rng: Rng): Promise<FuzzTarget & { stop(): Promise<void> }> {
  let handlerCalls = 0;
  const system: TestSystem = await startSystem({
    agent: {
      maxBodyBytes: SDK_MAX_BODY_BYTES,
      handlers: {
        echo: (parameters) => {
          handlerCalls++;
          return parameters;
        },
        fail: () => {
          handlerCalls++;
          throw new Error('the fuzzer asked for a failure');
        },
      },
    },
  });
  const agentId = system.started.agentId;
  const secret = system.agentKit.agents.get(agentId)?.secret;
  if (!secret) throw new Error('the fake AgentKit does not know the agent');
  const signer = new WebhookSigner(secret);
  const taskPath = new URL(system.started.contactEndpoint).pathname;

  const spec = loadSpec('agentkit');
  const webhook = spec.webhooks.find((w) => w.id === 'deliverTask');
  if (!webhook) throw new Error('the spec has no deliverTask webhook');
  // The signature headers are the webhook's parameters: the signer makes them, the auth family breaks them.
  const op: Operation = { ...webhook, path: taskPath, params: [] };
  const health: Operation = { id: 'agentHealth', method: 'GET', path: '/healthz', params: [], body: null, secured: false, roles: [], statuses: [200] };
  const client = new WireClient(system.started.url, 8);
  // The SDK reads any signed body as JSON whatever its content type (AgentKit always sends
  // application/json), so content types are tried among the valid requests instead.
  const familyOptions: FamilyOptions = { rng, spec, maxBodyBytes: SDK_MAX_BODY_BYTES, operations: [op, health], skip: ['content-type'] };
  const delivered: string[] = [];

  const sign = (id: string) => (body: Buffer) => Object.entries(signer.sign(id, body.toString('utf8')));
  const envelope = (): Record<string, unknown> =>
    generate(op.body!.schema, {
      rng,
      unicodeChance: 0.15,
      deepChance: 0.05,
      hint: (path: JsonPath) => {
        if (path.length !== 1) return undefined;
        switch (path[0]) {
          case 'agentId':
            return agentId;
          case 'taskId':
            return rng.uuid();
          case 'task_name':
            return rng.weighted([
              [6, 'echo'],
              [2, 'fail'],
              [1, 'no-such-handler'],
            ]);
          case 'timeout_seconds':
            return rng.chance(0.5) ? null : rng.int(30, 600);
          case 'deadline':
            return null;
          case 'dispatchedAt':
            return new Date().toISOString();
          default:
            return undefined;
        }
      },
    }) as Record<string, unknown>;
  const base = (body: Record<string, unknown>): BaseRequest => ({
    op,
    pathValues: {},
    query: {},
    headers: [],
    auth: [],
    body,
    sign: sign(`msg_${String(body.taskId)}`),
  });

  /** Signature defects: the body is a valid envelope, the signature headers are not right. */
  const authCase = (b: BaseRequest): FuzzCase | null => {
    if (b.op !== op) return null;
    const body = Buffer.from(JSON.stringify(b.body));
    const id = `msg_${String((b.body as Record<string, unknown>).taskId)}`;
    const good = signer.sign(id, body.toString('utf8'));
    const now = Math.floor(Date.now() / 1000);
    const at = (seconds: number) => new WebhookSigner(secret).sign(id, body.toString('utf8'), new Date(seconds * 1000));
    const std = (h: SignatureHeaders) => Object.entries(h).filter(([k]) => k.startsWith('webhook-'));
    const ak = (h: SignatureHeaders) => Object.entries(h).filter(([k]) => k.startsWith('x-agentkit-'));
    const choices: Array<[string, Array<[string, HeaderValue]>, number[]?]> = [
      ['no signature headers', []],
      ['only webhook-id', [['webhook-id', id]]],
      ['signed with another secret', Object.entries(new WebhookSigner(OTHER_SECRET).sign(id, body.toString('utf8')))],
      ['signature of another body', Object.entries(signer.sign(id, `${body.toString('utf8')} `))],
      ['webhook-id changed after signing', [...std(good).filter(([k]) => k !== 'webhook-id'), ['webhook-id', `${id}x`]]],
      ['timestamp an hour old', Object.entries(at(now - 3600))],
      ['timestamp an hour ahead', Object.entries(at(now + 3600))],
      ['timestamp not a number', [...std(good).filter(([k]) => k !== 'webhook-timestamp'), ['webhook-timestamp', 'yesterday']]],
      ['empty signature', [...std(good).filter(([k]) => k !== 'webhook-signature'), ['webhook-signature', '']]],
      ['unknown signature version', [...std(good).filter(([k]) => k !== 'webhook-signature'), ['webhook-signature', good['webhook-signature']!.replace('v1,', 'v9,')]]],
      ['signature not base64', [...std(good).filter(([k]) => k !== 'webhook-signature'), ['webhook-signature', 'v1,!!!not-base64!!!']]],
      ['truncated signature', [...std(good).filter(([k]) => k !== 'webhook-signature'), ['webhook-signature', good['webhook-signature']!.slice(0, 12)]]],
      ['X-AgentKit pair with a wrong signature', [...ak(good).filter(([k]) => k !== 'x-agentkit-signature'), ['x-agentkit-signature', 'f'.repeat(64)]]],
      ['X-AgentKit pair with a stale timestamp', ak(at(now - 3600))],
      ['X-AgentKit signature in upper-case hex', [...ak(good).filter(([k]) => k !== 'x-agentkit-signature'), ['x-agentkit-signature', good['x-agentkit-signature']!.toUpperCase()]]],
      ['Standard Webhooks wrong, X-AgentKit right', [...ak(good), ...Object.entries(new WebhookSigner(OTHER_SECRET).sign(id, body.toString('utf8'))).filter(([k]) => k.startsWith('webhook-'))]],
      ['webhook-id with a control character', [...std(good).filter(([k]) => k !== 'webhook-id'), ['webhook-id', Buffer.from(`${id}\u0001`, 'latin1')]], [400, 401]],
      ['signature with a NUL byte', [...std(good).filter(([k]) => k !== 'webhook-signature'), ['webhook-signature', Buffer.from(`${good['webhook-signature']!}\u0000`, 'latin1')]], [400, 401]],
      ['webhook-id with non-ASCII bytes', [...std(good).filter(([k]) => k !== 'webhook-id'), ['webhook-id', Buffer.from(`${id}\u202E`, 'utf8')]]],
      ['10 KB of signatures', [...std(good).filter(([k]) => k !== 'webhook-signature'), ['webhook-signature', Array.from({ length: 200 }, () => 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=').join(' ')]]],
    ];
    const [what, headers, statuses] = rng.pick(choices);
    return wireCase(b, `signature: ${what}`, 'reject', 'auth', statuses, { sign: false, headers, body });
  };

  return {
    name: 'sdk',
    client,
    expected: {
      'body-schema': [400, 413],
      'bad-json': [400],
      'content-type': [400, 415],
      'content-encoding': [400, 415],
      oversize: [413],
      'path-param': [400, 404],
      query: [400],
      header: [400, 401],
      'huge-header': [431],
      auth: [401],
      method: [404, 405],
      'unknown-path': [400, 404, 405],
      semantic: [400, 404, 409],
    },

    nextValid() {
      if (rng.chance(0.04)) {
        // Valid for the schema (parameters take any JSON) and deeper than AgentKit forwards (it
        // refuses bodies nested over 100 levels), yet short of what breaks JSON tools (~1000).
        const depth = rng.int(100, 900);
        const b = base(envelope());
        const text = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
        const body = Buffer.from(JSON.stringify({ ...(b.body as object), parameters: { deep: 0 } }).replace('{"deep":0}', `{"deep":${text}}`));
        return wireCase(b, `envelope with parameters nested ${depth} levels`, 'either', 'body-schema', undefined, { body });
      }
      if (rng.chance(0.1)) {
        // The SDK reads any signed body as JSON: a content type other than application/json may be accepted.
        const b = base(envelope());
        const type = rng.pick(['text/plain', 'application/octet-stream', 'application/problem+json']);
        return wireCase(b, `signed valid envelope sent as ${type}`, 'either', 'content-type', undefined, { contentType: type });
      }
      const b = base(envelope());
      return wireCase(b, `deliver a task (${String(b.body && (b.body as Record<string, unknown>).task_name)})`, 'accept');
    },

    learn(c, res) {
      if (res.status === 202) {
        const taskId = (JSON.parse(res.body.toString('utf8')) as { taskId?: string }).taskId;
        if (taskId && !delivered.includes(taskId)) delivered.push(taskId);
      }
      return undefined;
    },

    nextInvalid() {
      const roll = rng.next();
      if (roll < 0.05) return wireCase({ op: health, pathValues: {}, query: {}, headers: [], auth: [] }, 'health', 'accept');
      if (roll < 0.12 && delivered.length) {
        // At-least-once delivery: the same task again must be accepted and not run again.
        const body = { ...envelope(), taskId: rng.pick(delivered.slice(-50)), attempt: rng.int(2, 8) };
        return wireCase(base(body), 'the same task delivered again', 'accept');
      }
      if (roll < 0.2) {
        const body = { ...envelope(), agentId: rng.pick(['someone-else', `${agentId}x`, agentId.toUpperCase() === agentId ? `${agentId}-2` : agentId.toUpperCase()]) };
        return wireCase(base(body), 'a task for another agent', 'reject', 'semantic', [400]);
      }
      return invalidCase(base(envelope()), familyOptions, authCase);
    },

    async settle() {
      await eventually(() => (system.agent.runningTasks === 0 && system.agent.queuedTasks === 0 ? true : undefined), 20_000, 'the agent to finish its tasks');
      if (!(await system.agent.flushReports(20_000))) throw new Error('the agent did not send its reports within 20 s');
    },

    async fingerprint() {
      return JSON.stringify({
        handlerCalls,
        running: system.agent.runningTasks,
        queued: system.agent.queuedTasks,
        reports: system.agentKit.reports.length,
        registrations: system.agentKit.registrations.length,
        deregistrations: system.agentKit.deregistrations.length,
        states: system.states().length,
      });
    },

    errorShape: isProblem,

    async alive() {
      const res = await client.send({ method: 'GET', path: '/healthz', headers: [] });
      return res.status === 200;
    },

    async stop() {
      client.close();
      await system.stop();
    },
  };
}
