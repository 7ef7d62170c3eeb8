import { createRequire } from 'node:module';

type PathToRegexp = (path: unknown, options?: Record<string, unknown>) => { regexp: RegExp; keys: unknown[] };

let installed = false;

/**
 * express-openapi-validator finds a request's operation by compiling, on every request, the path
 * pattern of each route it tries until one matches (`lookupRoute` in its openapi.metadata.js;
 * upstream, cdimascio/express-openapi-validator#1217 would cache them). That cost grows with
 * every path the spec gains, on every request. `pathToRegexp` is a pure function of the pattern
 * and its options, and its regexps carry no state (no `g` flag), so the copy the validator calls
 * is memoized: each pattern is compiled once. Patterns given as arrays or tokens pass through.
 */
export function cacheValidatorRouteMatchers(): void {
  if (installed) return;
  installed = true;
  const fromValidator = createRequire(createRequire(import.meta.url).resolve('express-openapi-validator'));
  const module = fromValidator('path-to-regexp') as { pathToRegexp: PathToRegexp };
  const compile = module.pathToRegexp;
  const compiled = new Map<string, ReturnType<PathToRegexp>>();
  module.pathToRegexp = (path, options) => {
    if (typeof path !== 'string') return compile(path, options);
    const key = `${path}\u0000${options === undefined ? '' : JSON.stringify(options)}`;
    let hit = compiled.get(key);
    if (hit === undefined) {
      hit = compile(path, options);
      compiled.set(key, hit);
    }
    return hit;
  };
}
