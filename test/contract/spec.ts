// Reads the bundled specs (generated/openapi/*.yaml) for the contract tests: which operations
// exist, their examples, and JSON Schema validators for their schemas (Ajv, draft 2020-12, as
// OpenAPI 3.1 uses).
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { parse } from 'yaml';
import { specPaths, type SpecName } from '../support/prism.js';

export const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface Operation {
  operationId: string;
  method: string;
  /** The path template, e.g. `/v1/agents/{agentId}`. */
  path: string;
  /** Documented response status codes, e.g. `['200', '201', '400']`. */
  statuses: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const cache = new Map<SpecName, JsonObject>();

/** The bundled spec, parsed. */
export function loadSpec(name: SpecName): JsonObject {
  let doc = cache.get(name);
  if (!doc) {
    doc = asObject(parse(readFileSync(specPaths[name], 'utf8')), name);
    cache.set(name, doc);
  }
  return doc;
}

/** Every operation under `paths` (not `webhooks`: those are requests the API itself sends). */
export function operations(name: SpecName): Operation[] {
  const doc = loadSpec(name);
  const result: Operation[] = [];
  for (const [path, item] of Object.entries(asObject(doc.paths, 'paths'))) {
    const pathItem = asObject(item, path);
    for (const method of httpMethods) {
      if (pathItem[method] === undefined) continue;
      const operation = asObject(pathItem[method], `${method} ${path}`);
      result.push({
        operationId: String(operation.operationId),
        method: method.toUpperCase(),
        path,
        statuses: Object.keys(asObject(operation.responses, `${method} ${path} responses`)),
      });
    }
  }
  return result;
}

/** The operation a request went to, by method and URL path (path templates matched segment by segment). */
export function matchOperation(name: SpecName, method: string, pathname: string): Operation | undefined {
  return operations(name).find((operation) => {
    if (operation.method !== method.toUpperCase()) return false;
    const pattern = operation.path
      .split('/')
      .map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    return new RegExp(`^${pattern}$`).test(pathname);
  });
}

/** Follows local `$ref`s (`#/components/...`) until a non-reference value. */
export function deref(name: SpecName, value: Json | undefined): Json | undefined {
  let current = value;
  for (let hops = 0; hops < 20; hops += 1) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return current;
    const ref = current.$ref;
    if (typeof ref !== 'string') return current;
    current = pointer(loadSpec(name), ref);
  }
  throw new Error(`$ref chain too long in ${name}`);
}

/** The value at a JSON pointer such as `#/components/schemas/Agent`. */
export function pointer(doc: Json, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) throw new Error(`only local refs are supported: ${ref}`);
  let current: Json | undefined = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = current[key];
  }
  return current;
}

/**
 * The named examples of an operation's response (`status`) or, with status `'request'`, of its
 * request body (none when it has no body), for the first media type listed, each `$ref` resolved.
 */
export function examples(name: SpecName, operationId: string, status: string | 'request'): Record<string, Json> {
  const operation = operationObject(name, operationId);
  const holder =
    status === 'request'
      ? deref(name, operation.requestBody)
      : deref(name, asObject(operation.responses, operationId)[status]);
  if (holder === undefined && status === 'request') return {};
  const content = asObject(asObject(holder ?? null, `${operationId} ${status}`).content, `${operationId} ${status} content`);
  const media = asObject(Object.values(content)[0] ?? null, `${operationId} ${status} media`);
  const result: Record<string, Json> = {};
  for (const [exampleName, example] of Object.entries(asObject(media.examples ?? {}, 'examples'))) {
    const resolved = asObject(deref(name, example) ?? null, exampleName);
    if (resolved.value !== undefined) result[exampleName] = resolved.value;
  }
  return result;
}

/** The one (or the named) example of a response, for comparing with what the mock answered. */
export function example(name: SpecName, operationId: string, status: string, exampleName?: string): Json {
  const all = examples(name, operationId, status);
  const key = exampleName ?? Object.keys(all)[0];
  const value = key === undefined ? undefined : all[key];
  if (value === undefined) throw new Error(`${name} ${operationId} ${status} has no example ${exampleName ?? ''}`);
  return value;
}

/** The operation object with this operationId, under `paths` or `webhooks`. */
export function operationObject(name: SpecName, operationId: string): JsonObject {
  const doc = loadSpec(name);
  for (const section of ['paths', 'webhooks']) {
    for (const item of Object.values(asObject(doc[section] ?? {}, section))) {
      const pathItem = asObject(item, section);
      for (const method of httpMethods) {
        const operation = pathItem[method];
        if (isObject(operation) && operation.operationId === operationId) {
          return operation;
        }
      }
    }
  }
  throw new Error(`${name} has no operation ${operationId}`);
}

const validators = new Map<SpecName, Ajv2020>();

/**
 * A validator for a schema of the spec, e.g. `schemaValidator('opscore', '#/components/schemas/AgentNotificationPayload')`.
 * Ajv in strict mode with ajv-formats (`uri`, `date-time`, `uuid`...), as JSON Schema 2020-12.
 */
export function schemaValidator(name: SpecName, ref: string): ValidateFunction {
  let ajv = validators.get(name);
  if (!ajv) {
    ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormatsPlugin.default(ajv);
    // The spec's components are the schema resource; `components` itself is not a JSON Schema keyword.
    ajv.addKeyword({ keyword: 'components' });
    ajv.addSchema({ $id: `urn:spec:${name}`, components: loadSpec(name).components ?? {} });
    validators.set(name, ajv);
  }
  const validate = ajv.getSchema(`urn:spec:${name}${ref}`);
  if (!validate) throw new Error(`${name} has no schema at ${ref}`);
  return validate;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asObject(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`${what} is not an object`);
  return value;
}
