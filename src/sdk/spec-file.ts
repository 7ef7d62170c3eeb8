import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * Path of a bundled spec, `generated/openapi/<api>.yaml`, found by walking up from this
 * module (so it works from `src/` under tsx and from `dist/src/` once built).
 */
export function specPath(api: 'agentkit' | 'opscore'): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'generated', 'openapi', `${api}.yaml`);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find generated/openapi/${api}.yaml above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The bundled spec, parsed. */
export function loadSpec(api: 'agentkit' | 'opscore'): Record<string, unknown> {
  return parse(readFileSync(specPath(api), 'utf8')) as Record<string, unknown>;
}
