import { badJsonTexts, deepArrayText, repeatTo } from './edge-cases.js';
import type { HeaderValue, WireRequest } from './http.js';
import type { Rng } from './rng.js';
import { depthOf, forOracle, hasLoneSurrogateIn, mutationsOf, serialize } from './schema.js';
import { fillPath, type LoadedSpec, type Operation } from './spec.js';

/** What a case tries to break. Each family has its own expected statuses per target. */
export type Family =
  | 'valid'
  | 'body-schema'
  | 'bad-json'
  | 'content-type'
  | 'content-encoding'
  | 'oversize'
  | 'path-param'
  | 'query'
  | 'header'
  | 'huge-header'
  | 'auth'
  | 'method'
  | 'unknown-path'
  | 'semantic';

export interface FuzzCase extends WireRequest {
  /** Operation and what was done, e.g. `dispatchTask: missing required /task_name`. */
  label: string;
  family: Family;
  operation: string;
  /** accept: must succeed (2xx); reject: must fail with a sensible 4xx and change nothing; either: any non-5xx. */
  expect: 'accept' | 'reject' | 'either';
  /** Statuses right for this particular case (narrower than the family's), when known. */
  statuses?: number[] | undefined;
}

/** A valid request for an operation, before it is put on the wire. */
export interface BaseRequest {
  op: Operation;
  /** Unencoded path parameter values. */
  pathValues: Record<string, string>;
  query: Record<string, string>;
  /** Header parameters of the operation (e.g. Idempotency-Key), and anything else the request needs. */
  headers: Array<[string, HeaderValue]>;
  /** Credentials (e.g. Authorization), kept apart so the auth family can replace them. */
  auth: Array<[string, HeaderValue]>;
  body?: unknown;
  /** Signs the final body bytes (task deliveries, notifications): headers to add. */
  sign?: ((body: Buffer) => Array<[string, string]>) | undefined;
}

export const JSON_TYPE: [string, string] = ['content-type', 'application/json'];

function encodePath(base: BaseRequest, override: Record<string, string> = {}): string {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(base.pathValues)) values[k] = encodeURIComponent(v);
  return fillPath(base.op.path, { ...values, ...override });
}

function queryString(query: Record<string, string>, extra = ''): string {
  const parts = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  if (extra) parts.push(extra);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Puts a request on the wire: the JSON body (or given bytes), content type, credentials, signature. */
export function toWire(
  base: BaseRequest,
  over: { path?: string; method?: string; body?: Buffer | null; headers?: Array<[string, HeaderValue]>; auth?: Array<[string, HeaderValue]>; contentType?: string | null; sign?: boolean } = {},
): WireRequest {
  const body = over.body !== undefined ? (over.body ?? undefined) : base.body === undefined ? undefined : Buffer.from(serialize(base.body), 'utf8');
  const headers: Array<[string, HeaderValue]> = [...(over.auth ?? base.auth), ...(over.headers ?? base.headers)];
  const contentType = over.contentType !== undefined ? over.contentType : body ? JSON_TYPE[1] : null;
  if (contentType !== null) headers.push(['content-type', contentType]);
  if (base.sign && over.sign !== false) headers.push(...base.sign(body ?? Buffer.alloc(0)));
  return { method: over.method ?? base.op.method, path: over.path ?? `${encodePath(base)}${queryString(base.query)}`, headers, body };
}

/** A fuzz case for operation `b`, labelled `<operationId>: <label>`, put on the wire with `over`. */
export function wireCase(
  b: BaseRequest,
  label: string,
  expect: FuzzCase['expect'],
  family: Family = 'valid',
  statuses?: number[],
  over: Parameters<typeof toWire>[1] = {},
): FuzzCase {
  return { ...toWire(b, over), label: `${b.op.id}: ${label}`, family, operation: b.op.id, expect, statuses };
}

/** Path parameter values that are malformed on the wire (already percent-encoded where meant to be). */
export function pathBreakers(valid: string, rng: Rng): Array<[string, string]> {
  const v = encodeURIComponent(valid);
  return [
    ['encoded slash', `${v}%2Fextra`],
    ['encoded slash only', '%2F'],
    ['encoded backslash', `${v}%5C`],
    ['NUL', `${v}%00`],
    ['NUL only', '%00'],
    ['encoded dot-dot', '%2E%2E'],
    ['dot-dot', '..'],
    ['dot', '.'],
    ['129 characters', 'a'.repeat(129)],
    ['8000 characters', 'a'.repeat(rng.int(4000, 8000))],
    ['encoded right-to-left override', `%E2%80%AE${v}`],
    ['encoded zero-width space', `${v}%E2%80%8B`],
    ['encoded emoji', '%F0%9F%9A%80'],
    ['encoded lone surrogate (CESU-8)', '%ED%A0%80'],
    ['overlong UTF-8 slash', '%C0%AF'],
    ['invalid UTF-8', '%FF%FE'],
    ['bad percent escape', '%zz'],
    ['lone percent', `${v}%`],
    ['encoded space', 'a%20b'],
    ['encoded CRLF', 'a%0D%0ASet-Cookie:x'],
    ['semicolon parameter', `${v};jsessionid=1`],
    ['encoded question mark', `${v}%3Fx=1`],
    ['plus', 'a+b'],
    ['raw right-to-left override', `\u202E${valid}`],
    ['raw non-ASCII', 'ünïcödé'],
    ['raw space', 'a b'],
    ['empty segment', ''],
  ];
}

/** Path breakers for a parameter; an empty last segment is left out, as it names the collection instead. */
function pathBreakersFor(base: BaseRequest, name: string, rng: Rng): Array<[string, string]> {
  const all = pathBreakers(base.pathValues[name]!, rng);
  return base.op.path.endsWith(`{${name}}`) ? all.filter(([what]) => what !== 'empty segment') : all;
}

/** Query values that break a parameter's schema, by its type. */
function queryBreakers(schema: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [
    ['empty', ''],
    ['NUL', '\u0000'],
    ['very long', 'q'.repeat(5000)],
    ['right-to-left override', '\u202Eabc'],
    ['lone surrogate as bad percent-encoding', '%ED%A0%80'],
  ];
  if (schema.type === 'integer' || schema.type === 'number') {
    out.push(['not a number', 'abc'], ['fraction', '1.5'], ['negative', '-1'], ['zero', '0'], ['too big', '101'], ['huge', '1e400'], ['hex', '0x10'], ['NaN', 'NaN'], ['Infinity', 'Infinity']);
  }
  if (Array.isArray(schema.enum)) out.push(['not in the enum', 'not-a-status'], ['upper-case enum value', String(schema.enum[0]).toUpperCase()]);
  if (typeof schema.pattern === 'string') out.push(['slash', 'a/b'], ['space', 'a b'], ['emoji', '\u{1F680}']);
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : null;
  const num = (k: string) => (typeof schema[k] === 'number' ? (schema[k] as number) : undefined);
  return out.filter(([, v]) => {
    // Keep only values that really break the schema.
    if (schema.type === 'integer' || schema.type === 'number') {
      const n = Number(v);
      return !/^-?\d+$/.test(v) || n < (num('minimum') ?? -Infinity) || n > (num('maximum') ?? Infinity);
    }
    if (Array.isArray(schema.enum)) return !schema.enum.includes(v);
    if (pattern && !pattern.test(v)) return true;
    const len = [...v].length;
    return len < (num('minLength') ?? 0) || len > (num('maxLength') ?? Infinity);
  });
}

export interface FamilyOptions {
  rng: Rng;
  spec: LoadedSpec;
  /** The target's body limit, bytes. */
  maxBodyBytes: number;
  /** The target's limit on JSON nesting, when it has one. */
  maxJsonDepth?: number | undefined;
  /** The target refuses strings with unpaired surrogates. */
  requireUnicode?: boolean | undefined;
  /** Every operation of the target (for wrong-method cases). */
  operations: Operation[];
  /** Families that do not apply to this target. */
  skip?: Family[] | undefined;
}

const mk = (base: BaseRequest, family: Family, what: string, wire: WireRequest, extra: Partial<FuzzCase> = {}): FuzzCase => ({
  ...wire,
  label: `${base.op.id}: ${what}`,
  family,
  operation: base.op.id,
  expect: 'reject',
  ...extra,
});

/** A body mutation chosen at random and judged by the schema oracle. Null when the operation has no body. */
export function bodySchemaCase(base: BaseRequest, o: FamilyOptions): FuzzCase | null {
  if (!base.op.body || base.body === undefined) return null;
  const validate = o.spec.validator(base.op.body.schema);
  const mutations = mutationsOf(base.op.body.schema, base.body, o.rng);
  for (let attempt = 0; attempt < 5 && mutations.length; attempt++) {
    const m = o.rng.pick(mutations);
    const body = m.apply(base.body);
    const valid = validate(forOracle(body));
    const bytes = Buffer.from(serialize(body), 'utf8');
    const tooDeep = o.maxJsonDepth !== undefined && depthOf(body) > o.maxJsonDepth;
    const notUnicode = o.requireUnicode === true && hasLoneSurrogateIn(body);
    if (valid && bytes.length <= o.maxBodyBytes && !tooDeep && !notUnicode) continue; // still valid: try another mutation
    return mk(base, 'body-schema', m.label, toWire(base, { body: bytes }), bytes.length > o.maxBodyBytes ? { statuses: [413] } : {});
  }
  return null;
}

/** Malformed JSON text, with the JSON content type. */
export function badJsonCase(base: BaseRequest, o: FamilyOptions): FuzzCase | null {
  if (!base.op.body || base.body === undefined) return null;
  const valid = serialize(base.body);
  const texts = badJsonTexts(valid, o.rng.int(1, valid.length - 1));
  const depth = o.rng.int(10_000, 100_000);
  texts.push([`arrays nested ${depth} levels`, Buffer.from(deepArrayText(depth))], ['empty body', Buffer.alloc(0)]);
  const [what, bytes] = o.rng.pick(texts);
  return mk(base, 'bad-json', `bad JSON: ${what}`, toWire(base, { body: bytes }), bytes.length > o.maxBodyBytes ? { statuses: [413] } : {});
}

/** The valid body with a content type the spec does not list. */
export function contentTypeCase(base: BaseRequest, o: FamilyOptions): FuzzCase | null {
  if (!base.op.body || base.body === undefined) return null;
  const [what, type, body] = o.rng.pick<[string, string | null, Buffer | undefined]>([
    ['no content type', null, undefined],
    ['text/plain', 'text/plain', undefined],
    ['form-urlencoded', 'application/x-www-form-urlencoded', Buffer.from('task_name=echo&status=running')],
    ['multipart', 'multipart/form-data; boundary=XyZ', Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--\r\n')],
    ['XML', 'application/xml', Buffer.from('<task name="echo"/>')],
    ['problem+json', 'application/problem+json', undefined],
    ['merge-patch+json', 'application/merge-patch+json', undefined],
    ['json-ish', 'application/jsonx', undefined],
    ['empty content type', '', undefined],
    ['Latin-1 charset', 'application/json; charset=latin1', undefined],
    ['UTF-16 charset', 'application/json; charset=utf-16', undefined],
    ['made-up charset', 'application/json; charset=klingon', undefined],
    ['garbage', '\u00ff\u00fe/;;==', undefined],
    ['octet-stream', 'application/octet-stream', undefined],
  ]);
  return mk(base, 'content-type', `content type: ${what}`, toWire(base, { contentType: type, ...(body ? { body } : {}) }));
}

/** The valid body with a Content-Encoding that is unsupported or does not match it. */
export function contentEncodingCase(base: BaseRequest, o: FamilyOptions): FuzzCase | null {
  if (!base.op.body || base.body === undefined) return null;
  const encoding = o.rng.pick(['gzip', 'deflate', 'br', 'compress', 'x-unknown', 'gzip, gzip']);
  return mk(base, 'content-encoding', `Content-Encoding ${encoding} on a plain body`, toWire(base, { headers: [...base.headers, ['content-encoding', encoding]] }));
}

/** A valid JSON body padded past the target's limit, with Content-Length or chunked. */
export function oversizeCase(base: BaseRequest, o: FamilyOptions): FuzzCase | null {
  if (!base.op.body || base.body === undefined) return null;
  const size = o.rng.int(o.maxBodyBytes + 1, o.maxBodyBytes * 3);
  const text = serialize(base.body);
  const padded = Buffer.from(text + ' '.repeat(Math.max(0, size - Buffer.byteLength(text))), 'utf8');
  const chunked = o.rng.chance(0.3);
  return mk(base, 'oversize', `${padded.length}-byte body (${chunked ? 'chunked' : 'Content-Length'})`, { ...toWire(base, { body: padded }), chunked });
}

/** One path parameter malformed. */
export function pathParamCase(base: BaseRequest, o: FamilyOptions): FuzzCase | null {
  const names = Object.keys(base.pathValues);
  if (!names.length) return null;
  const name = o.rng.pick(names);
  const [what, value] = o.rng.pick(pathBreakersFor(base, name, o.rng));
  const path = `${encodePath(base, { [name]: value })}${queryString(base.query)}`;
  return mk(base, 'path-param', `path parameter ${name}: ${what}`, toWire(base, { path }));
}

/** One query parameter malformed, repeated, or unknown. */
export function queryCase(base: BaseRequest, o: FamilyOptions): FuzzCase | null {
  const params = base.op.params.filter((p) => p.in === 'query');
  if (!params.length) return null;
  const p = o.rng.pick(params);
  const choice = o.rng.int(0, 9);
  const pathPart = encodePath(base);
  if (choice === 0) return mk(base, 'query', 'unknown query parameter', toWire(base, { path: `${pathPart}${queryString(base.query, 'unknownParam=1')}` }));
  if (choice === 1) return mk(base, 'query', 'query parameter __proto__', toWire(base, { path: `${pathPart}${queryString(base.query, '__proto__[x]=1')}` }));
  if (choice === 2) return mk(base, 'query', `${p.name} given twice`, toWire(base, { path: `${pathPart}${queryString({ ...base.query, [p.name]: String(o.rng.int(1, 5)) }, `${p.name}=2`)}` }));
  if (choice === 3) return mk(base, 'query', `${p.name} with bracket syntax`, toWire(base, { path: `${pathPart}${queryString(base.query, `${p.name}[]=1`)}` }));
  if (choice === 4) {
    // Undecodable escapes are kept literally (as WHATWG URL parsing does): "%zz" is then just a value, valid if the schema takes it.
    const literal = p.schema.type === 'string' && (typeof p.schema.pattern !== 'string' || new RegExp(p.schema.pattern, 'u').test('%zz'));
    return mk(base, 'query', 'bad percent-encoding in the query', toWire(base, { path: `${pathPart}?${p.name}=%zz` }), { statuses: literal ? [200, 400] : [400] });
  }
  const breakers = queryBreakers(p.schema);
  if (!breakers.length) return null;
  const [what, value] = o.rng.pick(breakers);
  const raw = value.startsWith('%') ? `${encodeURIComponent(p.name)}=${value}` : `${encodeURIComponent(p.name)}=${encodeURIComponent(value)}`;
  const rest = Object.fromEntries(Object.entries(base.query).filter(([k]) => k !== p.name));
  return mk(base, 'query', `query ${p.name}: ${what}`, toWire(base, { path: `${pathPart}${queryString(rest, raw)}` }));
}

/** Header values that break a header parameter's schema, as bytes where node:http would refuse them. */
export function headerBreakers(rng: Rng): Array<[string, HeaderValue]> {
  return [
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space inside', 'key with spaces'],
    ['a tab inside', 'key\twith-tab'],
    ['a control character', Buffer.from('key\u0001ctl', 'latin1')],
    ['a DEL character', Buffer.from('key\u007f', 'latin1')],
    ['an escape sequence', Buffer.from('key\u001b[31m', 'latin1')],
    ['a NUL byte', Buffer.from('key\u0000nul', 'latin1')],
    ['a bare CR', Buffer.from('key\rx', 'latin1')],
    ['Latin-1 bytes', Buffer.from([0x6b, 0xe9, 0xff])],
    ['UTF-8 right-to-left override', Buffer.from('\u202Ekey', 'utf8')],
    ['UTF-8 zero-width space', Buffer.from('key\u200B', 'utf8')],
    ['a lone surrogate as CESU-8 bytes', Buffer.from([0x6b, 0xed, 0xa0, 0x80])],
    ['8 KB', repeatTo('k', rng.int(4000, 8000))],
  ];
}

/** A header parameter of the operation malformed. */
export function headerParamCase(base: BaseRequest, o: FamilyOptions): FuzzCase | null {
  const params = base.op.params.filter((p) => p.in === 'header');
  if (!params.length) return null;
  const p = o.rng.pick(params);
  const [what, value] = o.rng.pick(headerBreakers(o.rng));
  const headers = base.headers.filter(([k]) => k.toLowerCase() !== p.name.toLowerCase());
  return mk(base, 'header', `header ${p.name}: ${what}`, toWire(base, { headers: [...headers, [p.name, value]] }));
}

/** Headers too big for any server: one huge header, or very many. */
export function hugeHeaderCase(base: BaseRequest, o: FamilyOptions): FuzzCase {
  if (o.rng.chance(0.5)) {
    const size = o.rng.int(17_000, 64_000);
    return mk(base, 'huge-header', `a ${size}-byte header`, toWire(base, { headers: [...base.headers, ['x-fuzz-huge', 'h'.repeat(size)]] }));
  }
  const n = o.rng.int(1000, 2500);
  const many = Array.from({ length: n }, (_, i): [string, string] => [`x-fuzz-${i}`, 'vvvvvvvvvvvvvvvv']);
  return mk(base, 'huge-header', `${n} headers`, toWire(base, { headers: [...base.headers, ...many] }));
}

/**
 * Bearer-token defects: missing, wrong scheme, empty, wrong or huge token. Control characters
 * make the whole message malformed, so those may be refused as 400 before any key is looked at.
 */
export function bearerAuthCases(rng: Rng, goodKey: string): Array<[string, Array<[string, HeaderValue]>, number[]?]> {
  return [
    ['no Authorization header', []],
    ['Basic credentials', [['authorization', `Basic ${Buffer.from(`user:${goodKey}`).toString('base64')}`]]],
    ['Basic with the key as user', [['authorization', `Basic ${Buffer.from(goodKey).toString('base64')}`]]],
    ['empty Bearer', [['authorization', 'Bearer']]],
    ['Bearer with only spaces', [['authorization', 'Bearer    ']]],
    ['empty header', [['authorization', '']]],
    ['wrong key', [['authorization', 'Bearer wrong-key']]],
    ['key with a suffix', [['authorization', `Bearer ${goodKey}x`]]],
    ['key prefix only', [['authorization', `Bearer ${goodKey.slice(0, -1)}`]]],
    ['key in another case', [['authorization', `Bearer ${goodKey.toUpperCase()}`]]],
    ['two keys in one header', [['authorization', `Bearer ${goodKey}, Bearer other`]]],
    ['no scheme', [['authorization', goodKey]]],
    ['Token scheme', [['authorization', `Token ${goodKey}`]]],
    ['very long token', [['authorization', `Bearer ${'t'.repeat(rng.int(5000, 12_000))}`]]],
    ['token with a NUL byte', [['authorization', Buffer.from(`Bearer ${goodKey}\u0000`, 'latin1')]], [400, 401]],
    ['token with a control character', [['authorization', Buffer.from(`Bearer ${goodKey}\u0007`, 'latin1')]], [400, 401]],
    ['token with non-ASCII bytes', [['authorization', Buffer.from(`Bearer ${goodKey}é`, 'utf8')]]],
    ['token with a zero-width space', [['authorization', Buffer.from(`Bearer ${goodKey}\u200B`, 'utf8')]]],
    ['key in X-API-Key instead', [['x-api-key', goodKey]]],
  ];
}

/** A method the path does not define. */
export function methodCase(base: BaseRequest, o: FamilyOptions): FuzzCase | null {
  const defined = new Set(o.operations.filter((op) => op.path === base.op.path).map((op) => op.method));
  // HEAD is left out: its answer has no body to check.
  const others = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'].filter((m) => !defined.has(m));
  if (!others.length) return null;
  const method = o.rng.pick(others);
  // OPTIONS asks which methods exist: answering it (200/204 with Allow) is as right as 405.
  return mk(base, 'method', `method ${method}`, toWire(base, { method }), method === 'OPTIONS' ? { statuses: [200, 204, 404, 405] } : {});
}

/** A path next to the operation's that no operation serves. */
export function unknownPathCase(base: BaseRequest, o: FamilyOptions): FuzzCase {
  const path = encodePath(base);
  const [what, p] = o.rng.pick<[string, string]>([
    ['extra segment', `${path}/extra`],
    ['double slash', path.replace('/', '//')],
    ['trailing encoded slash', `${path}%2F`],
    ['unknown version', /^\/v1\//.test(path) ? path.replace(/^\/v1\//, '/v2/') : `/v2${path}`],
    ['misspelt', `${path}s`],
    ['backslash', path.replace(/\//g, '\\')],
    ['encoded path separators', path.indexOf('/', 1) > 0 ? `/${path.slice(1).replace(/\//g, '%2F')}` : `${path}%2Fx`],
    ['not starting with a slash', path.slice(1)],
    ['dot segments', `${path}/../../..`],
    ['asterisk', '*'],
  ]);
  return mk(base, 'unknown-path', `unknown path: ${what}`, toWire(base, { path: p }));
}

type Builder = (base: BaseRequest, o: FamilyOptions) => FuzzCase | null;

/** How often each generic family is drawn. */
export const FAMILY_WEIGHTS: ReadonlyArray<readonly [number, Exclude<Family, 'valid' | 'semantic'>]> = [
  [30, 'body-schema'],
  [10, 'bad-json'],
  [6, 'content-type'],
  [3, 'content-encoding'],
  [4, 'oversize'],
  [12, 'path-param'],
  [8, 'query'],
  [6, 'header'],
  [2, 'huge-header'],
  [8, 'auth'],
  [4, 'method'],
  [3, 'unknown-path'],
];

/**
 * One invalid request derived from a valid one: a family drawn by weight among those that apply
 * to the operation (an operation without a body gets no body defects, and so on).
 */
export function invalidCase(base: BaseRequest, o: FamilyOptions, auth: Builder): FuzzCase {
  const builders: Record<Exclude<Family, 'valid' | 'semantic'>, Builder> = {
    'body-schema': bodySchemaCase,
    'bad-json': badJsonCase,
    'content-type': contentTypeCase,
    'content-encoding': contentEncodingCase,
    oversize: oversizeCase,
    'path-param': pathParamCase,
    query: queryCase,
    header: headerParamCase,
    'huge-header': hugeHeaderCase,
    auth,
    method: methodCase,
    'unknown-path': unknownPathCase,
  };
  const weights = FAMILY_WEIGHTS.filter(([, f]) => !o.skip?.includes(f));
  for (let attempt = 0; attempt < 20; attempt++) {
    const c = builders[o.rng.weighted(weights)](base, o);
    if (c) return c;
  }
  return unknownPathCase(base, o);
}
