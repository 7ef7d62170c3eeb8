import type { RequestHandler } from 'express';
import { sendProblem } from './problem.js';

/**
 * Deepest nesting of arrays and objects accepted in a JSON body. The schemas let `parameters`,
 * `metadata` and `result` hold any JSON, but a body nested thousands of levels deep overflows the
 * stack of JSON.stringify when AgentKit stores and forwards it (and Python's json module at Ops-Core
 * gives up near 1000 levels), so such bodies are refused up front.
 */
export const MAX_JSON_DEPTH = 100;

// With the `u` flag, a well-formed surrogate pair is one code point; only unpaired halves match.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What is wrong with a parsed JSON body beyond its schema, or null: nesting deeper than
 * `maxDepth`, or a string (or key) holding an unpaired UTF-16 surrogate. JSON's `\ud800` escape
 * can carry one, but it is not Unicode text: stored as UTF-8 it silently became U+FFFD.
 * Walks without recursion, so the check itself cannot overflow the stack.
 */
export function jsonBodyProblem(body: unknown, maxDepth: number): { path: string; message: string } | null {
  const stack: Array<[unknown, number, string]> = [[body, 1, '/body']];
  while (stack.length) {
    const [value, depth, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return { path, message: 'must be valid Unicode (it holds an unpaired surrogate)' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxDepth) return { path, message: `must not nest arrays and objects more than ${maxDepth} levels deep` };
    const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    for (const [key, child] of entries) {
      if (LONE_SURROGATE.test(key)) return { path, message: 'must have property names in valid Unicode (one holds an unpaired surrogate)' };
      stack.push([child, depth + 1, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`]);
    }
  }
  return null;
}

/** Refuses JSON bodies nested deeper than `maxDepth` or holding unpaired surrogates, with 400 problem+json. */
export function checkJsonBody(maxDepth = MAX_JSON_DEPTH): RequestHandler {
  return (req, res, next) => {
    if (req.body === null || typeof req.body !== 'object') return next();
    const problem = jsonBodyProblem(req.body, maxDepth);
    if (!problem) return next();
    sendProblem(res, 400, `${problem.path} ${problem.message}`, { errors: [problem] });
  };
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * express-openapi-validator coerces query strings to numbers as JavaScript does, so "1e400",
 * "Infinity", "0x10" or " 5" pass as integers (Infinity even passes `maximum`, and then breaks the
 * store's LIMIT). Runs after the validator: every query parameter it turned into a number must have
 * been written as a plain decimal.
 */
export function strictQueryNumbers(): RequestHandler {
  return (req, res, next) => {
    const at = req.originalUrl.indexOf('?');
    if (at < 0) return next();
    const raw = new URLSearchParams(req.originalUrl.slice(at + 1));
    const errors: Array<{ path: string; message: string }> = [];
    for (const [name, value] of Object.entries(req.query as Record<string, unknown>)) {
      if (typeof value !== 'number') continue;
      const given = raw.getAll(name);
      if (given.length === 0) continue; // a default the validator filled in
      if (given.length !== 1 || !DECIMAL.test(given[0]!) || !Number.isFinite(value)) errors.push({ path: `/query/${name}`, message: 'must be a decimal number' });
    }
    if (!errors.length) return next();
    sendProblem(res, 400, errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
  };
}
