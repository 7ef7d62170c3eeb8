import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cacheValidatorRouteMatchers } from '../../src/http/route-matchers.js';

const fromValidator = createRequire(createRequire(import.meta.url).resolve('express-openapi-validator'));
const pathToRegexp = () => (fromValidator('path-to-regexp') as { pathToRegexp: (p: unknown, o?: object) => { regexp: RegExp; keys: Array<{ name: string }> } }).pathToRegexp;

describe("the validator's route matchers", () => {
  it('when the cache is installed, then each pattern is compiled once, matches as before, and other patterns and options stay apart', () => {
    cacheValidatorRouteMatchers();
    cacheValidatorRouteMatchers();
    const options = { sensitive: false, strict: false };
    const first = pathToRegexp()('/v1/agents/:agentId/run', options);
    // What the validator does on every request: compile, then match.
    expect(pathToRegexp()('/v1/agents/:agentId/run', { ...options })).toBe(first);
    expect(first.regexp.exec('/v1/agents/a-1/run')?.slice(1)).toEqual(['a-1']);
    expect(first.regexp.exec('/v1/agents/a-1/run')?.slice(1)).toEqual(['a-1']);
    expect(first.keys.map((k) => k.name)).toEqual(['agentId']);
    expect(pathToRegexp()('/v1/agents/:agentId', options)).not.toBe(first);
    const sensitive = pathToRegexp()('/v1/agents/:agentId/run', { sensitive: true, strict: false });
    expect(sensitive).not.toBe(first);
    expect(sensitive.regexp.exec('/V1/agents/a-1/run')).toBeNull();
    expect(first.regexp.exec('/V1/agents/a-1/run')).not.toBeNull();
  });
});
