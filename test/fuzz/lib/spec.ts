import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { bundledSpecPath } from '../../../src/spec-files.js';

// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`, typed as the module.
const addFormats = formatsModule as unknown as typeof formatsModule.default;

/** A JSON Schema (OpenAPI 3.1 dialect) with every local `$ref` replaced by its target. */
export type Schema = Record<string, unknown>;

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

/** One operation of a spec, as the fuzzer needs it. */
export interface Operation {
  id: string;
  method: string;
  /** Path template, e.g. `/v1/agents/{agentId}/run`. */
  path: string;
  params: Param[];
  body: { required: boolean; contentTypes: string[]; schema: Schema } | null;
  /** False when the operation says `security: []`. */
  secured: boolean;
  /** The roles its `security` lets call it (the bearer scheme's scopes); empty when unsecured. */
  roles: string[];
  /** Status codes the spec documents for it. */
  statuses: number[];
}

export interface LoadedSpec {
  api: 'agentkit' | 'opscore';
  operations: Operation[];
  /** Outgoing requests described under `webhooks` (requests this API sends). */
  webhooks: Operation[];
  /** Checks a value against a schema of this spec (JSON Schema 2020-12, formats on): the fuzzer's oracle. */
  validator(schema: Schema): ValidateFunction;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Replaces local `$ref`s by (shared, cached) copies of their targets. The specs have no cycles. */
function dereference(root: unknown): unknown {
  const cache = new Map<string, unknown>();
  const resolvePointer = (ref: string): unknown => {
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
    let node: unknown = root;
    for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return node;
  };
  const walk = (node: unknown, seen: string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, seen));
    if (!node || typeof node !== 'object') return node;
    const obj = node as Record<string, unknown>;
    if (typeof obj.$ref === 'string') {
      const ref = obj.$ref;
      if (seen.includes(ref)) throw new Error(`cyclic $ref ${ref}`);
      if (!cache.has(ref)) cache.set(ref, walk(resolvePointer(ref), [...seen, ref]));
      return cache.get(ref);
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, walk(v, seen)]));
  };
  return walk(root, []);
}

function operationsOf(pathItems: Record<string, Record<string, unknown>> | undefined): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(pathItems ?? {})) {
    const shared = (item.parameters as Param[] | undefined) ?? [];
    for (const method of METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const params = [...shared, ...((op.parameters as Param[] | undefined) ?? [])].map((p) => ({ ...p, required: p.required === true }));
      const rb = op.requestBody as { required?: boolean; content: Record<string, { schema: Schema }> } | undefined;
      const contentTypes = rb ? Object.keys(rb.content) : [];
      out.push({
        id: String(op.operationId ?? `${method} ${path}`),
        method: method.toUpperCase(),
        path,
        params,
        body: rb ? { required: rb.required === true, contentTypes, schema: rb.content[contentTypes[0]!]!.schema } : null,
        secured: !(Array.isArray(op.security) && op.security.length === 0),
        roles: ((op.security as Array<Record<string, string[]>> | undefined) ?? []).flatMap((req) => Object.values(req).flat()),
        statuses: Object.keys((op.responses as Record<string, unknown>) ?? {})
          .map(Number)
          .filter(Number.isFinite),
      });
    }
  }
  return out;
}

/** Loads `generated/openapi/<api>.yaml`: its operations and an Ajv oracle for its schemas. */
export function loadSpec(api: 'agentkit' | 'opscore'): LoadedSpec {
  const raw = parse(readFileSync(bundledSpecPath(api), 'utf8')) as Record<string, unknown>;
  const spec = dereference(raw) as Record<string, unknown>;
  const ajv = new Ajv2020({ allErrors: false, strict: false, validateFormats: true });
  addFormats(ajv);
  const compiled = new Map<Schema, ValidateFunction>();
  return {
    api,
    operations: operationsOf(spec.paths as Record<string, Record<string, unknown>>),
    webhooks: operationsOf(spec.webhooks as Record<string, Record<string, unknown>>),
    validator(schema) {
      let v = compiled.get(schema);
      if (!v) {
        v = ajv.compile(schema);
        compiled.set(schema, v);
      }
      return v;
    },
  };
}

/** The path template filled in with (already encoded) parameter values. */
export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for path parameter ${name}`);
    return v;
  });
}
