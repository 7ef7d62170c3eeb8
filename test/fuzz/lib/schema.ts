import fc from 'fast-check';
import { deepArrayText, deepObjectText, hasLoneSurrogate, repeatTo, UNICODE_EDGES } from './edge-cases.js';
import type { Rng } from './rng.js';
import type { Schema } from './spec.js';

export type JsonPath = Array<string | number>;

/**
 * JSON text placed verbatim in a serialized body (deep nesting, 1e400), with a small
 * stand-in of the same JSON type for the schema oracle.
 */
export class RawJson {
  #text: string | (() => string);

  /** `text` may be a function, so that big texts are built only when a request is serialized. */
  constructor(
    text: string | (() => string),
    readonly standIn: unknown,
    readonly label: string,
    /** Levels of array/object nesting the text adds (0 for scalars). */
    readonly depth = 0,
  ) {
    this.#text = text;
  }

  get text(): string {
    if (typeof this.#text === 'function') this.#text = this.#text();
    return this.#text;
  }
}

/** JSON.stringify that writes RawJson values verbatim. */
export function serialize(value: unknown): string {
  const raws: RawJson[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v);
      return `\u0000RAW${raws.length - 1}\u0000`;
    }
    return v;
  });
  if (text === undefined) return 'null';
  return raws.length ? text.replace(/"\\u0000RAW(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]!.text) : text;
}

/** The deepest nesting a value has, counting the levels RawJson texts add. */
export function depthOf(value: unknown): number {
  if (value instanceof RawJson) return value.depth;
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value)) deepest = Math.max(deepest, depthOf(v));
  return deepest + 1;
}

/** True when any string or key in the value holds an unpaired surrogate. */
export function hasLoneSurrogateIn(value: unknown): boolean {
  if (typeof value === 'string') return hasLoneSurrogate(value);
  if (value === null || typeof value !== 'object' || value instanceof RawJson) return false;
  for (const [k, v] of Object.entries(value)) if (hasLoneSurrogate(k) || hasLoneSurrogateIn(v)) return true;
  return false;
}

/** The value the schema oracle sees: RawJson replaced by its stand-in. */
export function forOracle(value: unknown): unknown {
  if (value instanceof RawJson) return value.standIn;
  if (Array.isArray(value)) return value.map(forOracle);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: forOracle(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** The JSON types a schema admits (empty: anything). */
export function typesOf(schema: Schema): string[] {
  const t = schema.type;
  if (Array.isArray(t)) return t.map(String);
  if (typeof t === 'string') return [t];
  if (schema.properties || schema.additionalProperties !== undefined) return ['object'];
  if (Array.isArray(schema.enum)) return [...new Set(schema.enum.map((v) => (v === null ? 'null' : typeof v)))];
  return [];
}

/** Merges `allOf` parts and picks the first non-null `oneOf`/`anyOf` branch: the shape to generate from. */
export function shapeOf(schema: Schema): Schema {
  if (Array.isArray(schema.allOf)) {
    const parts = (schema.allOf as Schema[]).map(shapeOf);
    const merged: Schema = { ...schema, allOf: undefined };
    const properties: Record<string, Schema> = {};
    const required = new Set<string>();
    for (const p of parts) {
      Object.assign(merged, p, { properties: undefined, required: undefined });
      Object.assign(properties, p.properties ?? {});
      for (const r of (p.required as string[] | undefined) ?? []) required.add(r);
    }
    return { ...merged, type: 'object', properties, required: [...required] };
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(schema[key])) {
      const branches = (schema[key] as Schema[]).filter((b) => !typesOf(b).every((t) => t === 'null'));
      return shapeOf(branches[0] ?? {});
    }
  }
  return schema;
}

const properties = (s: Schema) => (s.properties as Record<string, Schema> | undefined) ?? {};
const required = (s: Schema) => (s.required as string[] | undefined) ?? [];
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);

/** A hint's answer meaning "leave this optional property out". */
export const OMIT = Symbol('omit');

/** Supplies values the schema alone cannot (ids that must exist, URLs that must be reachable). */
export type Hint = (path: JsonPath, schema: Schema) => unknown;

export interface GenerateOptions {
  rng: Rng;
  hint?: Hint | undefined;
  /** Chance of a Unicode edge case in an unconstrained free-text string. */
  unicodeChance?: number;
  /** Leave out edge cases with unpaired surrogates (for targets that refuse them). */
  wellFormed?: boolean;
  /** Chance of a deeply nested value (`deepLevels`) inside a free-form object. */
  deepChance?: number;
  /** Range of nesting levels for those values. Default 10 to 90 (within services' depth limits). */
  deepLevels?: [number, number];
  /** Chance of a big (up to `bigString` characters) unconstrained string. */
  bigChance?: number;
  bigString?: number;
}

/** Characters of simple regex classes used in the specs, for generating matching strings. */
function classChars(body: string): string {
  let out = '';
  const re = /\\x([0-9A-Fa-f]{2})|\\(.)|(.)/g;
  const atoms: string[] = [];
  for (let m = re.exec(body); m; m = re.exec(body)) atoms.push(m[1] ? String.fromCharCode(parseInt(m[1], 16)) : (m[2] ?? m[3]!));
  for (let i = 0; i < atoms.length; i++) {
    if (atoms[i + 1] === '-' && atoms[i + 2] !== undefined) {
      for (let c = atoms[i]!.charCodeAt(0); c <= atoms[i + 2]!.charCodeAt(0); c++) out += String.fromCharCode(c);
      i += 2;
    } else out += atoms[i];
  }
  return out;
}

/**
 * A string matching a simple pattern: `^` then literals, `\d` and `[...]` classes with `+`,
 * `{n}` or `{m,n}`, then `$`. Returns undefined for anything fancier (a hint must supply it).
 */
export function fromPattern(pattern: string, rng: Rng, maxLength = 40): string | undefined {
  const m = /^\^(.*)\$$/.exec(pattern);
  if (!m) return undefined;
  const body = m[1]!;
  const token = /(\[(?:\\.|[^\]])+\]|\\d|\\.|[^[\\(|)*?+{])(\+|\*|\{(\d+)(?:,(\d+))?\})?/gy;
  let out = '';
  let at = 0;
  while (at < body.length) {
    token.lastIndex = at;
    const t = token.exec(body);
    if (!t) return undefined;
    at = token.lastIndex;
    const atom = t[1]!;
    const chars = atom === '\\d' ? '0123456789' : atom.startsWith('[') ? classChars(atom.slice(1, -1)) : atom.startsWith('\\') ? atom[1]! : atom;
    const q = t[2];
    let min = 1;
    let max = 1;
    if (q === '+') [min, max] = [1, 12];
    else if (q === '*') [min, max] = [0, 12];
    else if (t[3] !== undefined) [min, max] = [Number(t[3]), t[4] !== undefined ? Number(t[4]) : Number(t[3])];
    const n = rng.int(min, Math.max(min, Math.min(max, 12)));
    for (let i = 0; i < n; i++) out += chars[rng.int(0, chars.length - 1)];
  }
  return out.length <= maxLength ? out : out.slice(0, maxLength);
}

function freeText(opts: GenerateOptions, min: number, max: number): string {
  const { rng } = opts;
  if (max >= 8 && rng.chance(opts.unicodeChance ?? 0)) {
    const [, s] = rng.pick(opts.wellFormed ? UNICODE_EDGES.filter(([, x]) => !hasLoneSurrogate(x)) : UNICODE_EDGES);
    if ([...s].length >= min && [...s].length <= max) return s;
  }
  if (max === Infinity && rng.chance(opts.bigChance ?? 0)) return repeatTo('big-string ', rng.int(1000, opts.bigString ?? 20_000));
  const words = ['alpha', 'beta', 'echo', 'task', 'agent', 'fuzz', 'ünïcödé', 'x'];
  let s = '';
  const target = rng.int(Math.max(min, 1), Math.max(min, Math.min(max, 24)));
  while ([...s].length < target) s += rng.pick(words);
  return [...s].slice(0, Math.min(max, target)).join('');
}

/** A value the schema accepts, shaped by `hint` where it answers. */
export function generate(schema: Schema, opts: GenerateOptions, path: JsonPath = []): unknown {
  const hinted = opts.hint?.(path, schema);
  if (hinted !== undefined) return hinted;
  const s = shapeOf(schema);
  const { rng } = opts;
  if (Array.isArray(s.enum)) return rng.pick(s.enum as unknown[]);
  if (s.const !== undefined) return s.const;
  const types = typesOf(s).filter((t) => t !== 'null');
  const type = types.length ? rng.pick(types) : 'any';
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(properties(s))) {
        if (required(s).includes(name) || rng.chance(0.6)) {
          const v = generate(prop, opts, [...path, name]);
          if (v !== undefined && v !== OMIT) out[name] = v;
        }
      }
      if (s.additionalProperties === true || (s.additionalProperties === undefined && !s.properties)) {
        if (Object.keys(properties(s)).length === 0 && rng.chance(opts.deepChance ?? 0)) {
          const depth = rng.int(...(opts.deepLevels ?? [10, 90]));
          out.deep = new RawJson(rng.chance(0.5) ? () => deepArrayText(depth) : () => deepObjectText(depth), [[]], `${depth} levels`, depth);
        }
        const extra = rng.int(0, 3);
        const limit = num(s.maxProperties) ?? Infinity;
        for (let i = 0; i < extra && Object.keys(out).length < limit; i++) out[`k${i}_${freeText(opts, 1, 12)}`] = rng.sample(fc.jsonValue({ maxDepth: 2 }));
      }
      return out;
    }
    case 'array': {
      const min = num(s.minItems) ?? 0;
      const max = num(s.maxItems) ?? 5;
      const n = rng.int(min, Math.max(min, Math.min(max, 4)));
      return Array.from({ length: n }, (_, i) => generate((s.items as Schema) ?? {}, opts, [...path, i]));
    }
    case 'string': {
      if (s.format === 'uuid') return rng.uuid();
      if (s.format === 'date-time') return new Date(Date.UTC(2026, 0, 1) + rng.int(0, 1e10)).toISOString();
      if (typeof s.pattern === 'string') {
        const v = fromPattern(s.pattern, rng, num(s.maxLength) ?? 40);
        if (v === undefined) throw new Error(`no hint for ${path.join('/') || '(root)'} with pattern ${s.pattern}`);
        return v;
      }
      if (s.format) throw new Error(`no hint for ${path.join('/') || '(root)'} with format ${String(s.format)}`);
      return freeText(opts, num(s.minLength) ?? 0, num(s.maxLength) ?? Infinity);
    }
    case 'integer':
      return rng.int(num(s.minimum) ?? 0, Math.min(num(s.maximum) ?? 1000, (num(s.minimum) ?? 0) + 1000));
    case 'number': {
      const lo = num(s.minimum) ?? -1000;
      const hi = num(s.maximum) ?? 1000;
      return Math.round((lo + rng.next() * (hi - lo)) * 100) / 100;
    }
    case 'boolean':
      return rng.chance(0.5);
    default:
      return rng.sample(fc.jsonValue({ maxDepth: 2 }));
  }
}

/** One way to break a valid body. */
export interface Mutation {
  /** What was done and where, e.g. `missing /task_name`. */
  label: string;
  apply(root: unknown): unknown;
}

function clone(v: unknown): unknown {
  if (v instanceof RawJson) return v;
  if (Array.isArray(v)) return v.map(clone);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: clone(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/** Sets (or, with `remove`, deletes) the value at `path`; the root is replaced when the path is empty. */
function setAt(root: unknown, path: JsonPath, value: unknown, remove = false): unknown {
  if (path.length === 0) return value;
  const copy = clone(root);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) delete node[last];
  else Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const where = (path: JsonPath) => `/${path.join('/')}`;

/** Values of a JSON type other than those allowed. */
function wrongTypes(allowed: string[], rng: Rng): Array<[string, unknown]> {
  const depth = rng.int(1000, 10_000);
  const candidates: Array<[string, string, unknown]> = [
    ['string', 'a string', 'not-the-right-type'],
    ['string', 'a numeric string', '12'],
    ['string', 'an empty string', ''],
    ['number', 'a float', 1.5],
    ['integer', 'an integer', 7],
    ['number', 'a huge number', new RawJson('1e400', Infinity, '1e400')],
    ['boolean', 'a boolean', true],
    ['null', 'null', null],
    ['array', 'an array', ['x']],
    ['array', 'an empty array', []],
    ['object', 'an object', { unexpected: true }],
    ['array', `arrays nested ${depth} levels`, new RawJson(() => deepArrayText(depth), [[]], `${depth} levels`, depth)],
    ['object', `objects nested ${depth} levels`, new RawJson(() => deepObjectText(depth), { a: {} }, `${depth} levels`, depth)],
  ];
  const ok = (t: string) => allowed.length === 0 || allowed.includes(t) || (t === 'integer' && allowed.includes('number'));
  return candidates.filter(([t, , v]) => !ok(t) && !(t === 'number' && typeof v === 'number' && Number.isInteger(v) && ok('integer'))).map(([, label, v]) => [label, v]);
}

/** Strings that should fail a pattern or format: checked against the pattern before use. */
function patternBreakers(s: Schema, valid: string): Array<[string, string]> {
  const out: Array<[string, string]> = [
    ['a slash', `${valid}/x`],
    ['a space', `a ${valid}`],
    ['a leading dash', `-${valid}`],
    ['a leading dot', `.${valid}`],
    ['percent-encoding', `%2F${valid}`],
    ['a NUL', `${valid}\u0000`],
    ['a newline', `${valid}\n`],
    ['a tab', `\t${valid}`],
    ['a right-to-left override', `\u202E${valid}`],
    ['a zero-width space', `${valid}\u200B`],
    ['a lone surrogate', `${valid}\uD800`],
    ['an emoji', `${valid}\u{1F680}`],
    ['full-width letters', 'ａｇｅｎｔ'],
    ['dot-dot', '..'],
    ['an empty string', ''],
  ];
  if (s.format === 'uuid') out.push(['not a UUID', 'not-a-uuid'], ['a UUID in braces', `{${valid}}`], ['a UUID with an extra digit', `${valid}0`], ['a UUID without dashes', valid.replace(/-/g, '')]);
  if (s.format === 'uri' || /http/i.test(String(s.pattern ?? ''))) {
    out.push(
      ['an ftp URL', 'ftp://127.0.0.1/tasks'],
      ['a javascript: URL', 'javascript:alert(1)'],
      ['a relative URL', '/tasks'],
      ['a URL without host', 'http:///tasks'],
      ['a URL with spaces', 'http://exa mple.com/'],
      ['a file URL', 'file:///etc/passwd'],
      ['a data URL', 'data:text/plain,hi'],
      ['a scheme-relative URL', '//127.0.0.1/tasks'],
      ['an unbracketed IPv6 URL', 'http://::1/tasks'],
      ['an overlong URL', `http://127.0.0.1/${'a'.repeat(2100)}`],
    );
  }
  if (/\\d\{4\}/.test(String(s.pattern ?? ''))) out.push(['month 13', '2026-13-01T00:00:00Z'], ['hour 24', '2026-01-01T24:00:00Z'], ['a word', 'yesterday'], ['a date with slashes', '2026/01/01']);
  return out;
}

/**
 * Every mutation the schema suggests for `value` (valid for it): missing required properties,
 * wrong types (deep nesting among them), enum values not in the enum, out-of-range numbers,
 * strings too short, too long or huge, strings breaking patterns and formats (Unicode edge cases
 * among them), unknown properties where they are forbidden, too many items or properties.
 * Callers check each result with the schema oracle; a few may still be valid.
 */
export function mutationsOf(schema: Schema, value: unknown, rng: Rng, path: JsonPath = []): Mutation[] {
  const s = shapeOf(schema);
  const out: Mutation[] = [];
  const put = (label: string, v: unknown) => out.push({ label: `${label} at ${where(path)}`, apply: (root) => setAt(root, path, v) });
  // Big values are built only when the mutation is used.
  const putLazy = (label: string, make: () => unknown) => out.push({ label: `${label} at ${where(path)}`, apply: (root) => setAt(root, path, make()) });
  const types = typesOf(s);

  for (const [label, v] of wrongTypes(types, rng)) put(`wrong type: ${label}`, v);

  if (Array.isArray(s.enum)) {
    const first = String(s.enum[0]);
    for (const [label, v] of [
      ['upper-case enum value', first.toUpperCase()],
      ['enum value with a trailing space', `${first} `],
      ['enum value with a zero-width space', `${first}\u200B`],
      ['unknown enum value', 'definitely-not-in-the-enum'],
    ] as const) {
      if (!(s.enum as unknown[]).includes(v)) put(label, v);
    }
  }

  if (typeof value === 'string') {
    const min = num(s.minLength);
    const max = num(s.maxLength);
    if (min !== undefined && min > 0) put(`string shorter than minLength ${min}`, 'x'.repeat(min - 1));
    if (max !== undefined) {
      put(`string one longer than maxLength ${max}`, 'x'.repeat(max + 1));
      const size = rng.int(max + 1000, 60_000);
      putLazy('huge string', () => repeatTo('huge-', size));
      put(`Unicode string longer than maxLength ${max}`, '\u{1F680}'.repeat(max + 1));
    }
    if (typeof s.pattern !== 'string' && !s.format && !Array.isArray(s.enum)) {
      // Valid for the schema; refused by targets that require Unicode text.
      put('unpaired surrogate in free text', `${value}\uD800`);
    }
    if (typeof s.pattern === 'string' || s.format) {
      const re = typeof s.pattern === 'string' ? new RegExp(s.pattern, 'u') : undefined;
      for (const [label, v] of patternBreakers(s, value)) {
        if (!re || !re.test(v)) put(`pattern/format broken by ${label}`, v);
      }
    }
  }

  if (typeof value === 'number') {
    const min = num(s.minimum);
    const max = num(s.maximum);
    const step = types.includes('integer') ? 1 : 0.001;
    if (min !== undefined) put(`below minimum ${min}`, min - step);
    if (max !== undefined) {
      put(`above maximum ${max}`, max + step);
      put('1e308', 1e308);
    }
    if (min !== undefined) put('-1e308', -1e308);
    if (types.includes('integer') && !types.includes('number')) {
      put('a fraction for an integer', Math.trunc(value) + 0.5);
      put('2^53 + 1', new RawJson('9007199254740993', 9007199254740992.5, '2^53+1'));
    }
  }

  if (Array.isArray(value)) {
    const items = (s.items as Schema | undefined) ?? {};
    const min = num(s.minItems);
    const max = num(s.maxItems);
    if (min !== undefined && min > 0) put(`fewer than minItems ${min}`, value.slice(0, min - 1));
    if (max !== undefined) {
      put(`one more than maxItems ${max}`, Array.from({ length: max + 1 }, (_, i) => value[i % Math.max(1, value.length)] ?? `item${i}`));
      const length = rng.int(max + 1000, 20_000);
      putLazy('huge array', () => Array.from({ length }, (_, i) => `i${i}`));
    }
    if (value.length) out.push(...mutationsOf(items, value[0], rng, [...path, 0]));
    else out.push(...mutationsOf(items, generate(items, { rng }), rng, [...path, 0]).map((m) => ({ ...m, apply: (root: unknown) => m.apply(setAt(root, path, [generate(items, { rng })])) })));
  }

  if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof RawJson)) {
    const obj = value as Record<string, unknown>;
    for (const name of required(s)) {
      if (name in obj) out.push({ label: `missing required ${where([...path, name])}`, apply: (root) => setAt(root, [...path, name], undefined, true) });
    }
    if (s.additionalProperties === false) {
      for (const key of ['unexpected', '__proto__', 'constructor', '', 'ünïcödé\u200B', `${Object.keys(properties(s))[0] ?? 'x'}\u0000`]) {
        out.push({ label: `unknown property ${JSON.stringify(key)} at ${where(path)}`, apply: (root) => setAt(root, [...path, key], 'surprise') });
      }
      const first = Object.keys(properties(s))[0];
      if (first) out.push({ label: `property name in another case at ${where(path)}`, apply: (root) => setAt(root, [...path, first.toUpperCase() === first ? first.toLowerCase() : first.toUpperCase()], 'x') });
    }
    if (s.additionalProperties === true || (s.additionalProperties === undefined && !s.properties)) {
      // Valid for the schema (any JSON), but past any sane nesting limit.
      const depth = rng.int(1000, 10_000);
      put(`value nested ${depth} levels inside a free-form object`, { ...obj, deep: new RawJson(() => deepObjectText(depth), { a: {} }, `${depth} levels`, depth) });
    }
    const maxProps = num(s.maxProperties);
    if (maxProps !== undefined) put(`more than maxProperties ${maxProps}`, Object.fromEntries(Array.from({ length: maxProps + 1 }, (_, i) => [`p${i}`, i])));
    for (const [name, prop] of Object.entries(properties(s))) {
      if (name in obj) out.push(...mutationsOf(prop, obj[name], rng, [...path, name]));
    }
  }
  return out;
}
