import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import { agentkitSpec } from '@agentkit/client';
import type { TaskCancelNotice } from '@agentkit/client';
import type { TaskEnvelope } from './types.js';

// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`, typed as the module.
const addFormats = formatsModule as unknown as typeof formatsModule.default;

export interface BodyIssue {
  /** Where in the request, e.g. `/body/taskId`. */
  path: string;
  message: string;
}

export type BodyCheck<T> = { ok: true; body: T } | { ok: false; issues: BodyIssue[] };

/** The bodies of the spec's webhooks to agents, by webhook name. */
interface WebhookBodies {
  taskDelivery: TaskEnvelope;
  taskCancel: TaskCancelNotice;
}

/** Rewrites OpenAPI component references into `$defs` references of one JSON Schema. */
function toDefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toDefs);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] = key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', '#/$defs/') : toDefs(value);
    }
    return out;
  }
  return node;
}

function issue(error: ErrorObject): BodyIssue {
  const missing = error.keyword === 'required' ? `/${String(error.params.missingProperty)}` : '';
  return { path: `/body${error.instancePath}${missing}`, message: error.message ?? 'is invalid' };
}

/**
 * Validates the bodies of the webhooks AgentKit sends agents (a task delivery, a cancel notice)
 * against the spec's `webhooks` (the bundled spec that @agentkit/client ships), with JSON Schema
 * 2020-12 as OpenAPI 3.1 uses it.
 */
export function createWebhookValidator<K extends keyof WebhookBodies>(webhook: K): (body: unknown) => BodyCheck<WebhookBodies[K]> {
  const spec = agentkitSpec as unknown as {
    webhooks: Record<K, { post: { requestBody: { content: { 'application/json': { schema: unknown } } } } }>;
    components: { schemas: Record<string, unknown> };
  };
  const bodySchema = spec.webhooks[webhook].post.requestBody.content['application/json'].schema;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile<WebhookBodies[K]>({
    ...(toDefs(bodySchema) as object),
    $defs: toDefs(spec.components.schemas) as Record<string, unknown>,
  });
  return (body) => (validate(body) ? { ok: true, body } : { ok: false, issues: (validate.errors ?? []).map(issue) });
}
