import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (the folder holding package.json and generated/), found by walking up
 * from this module, so it works from src/ (tsx) and from dist/src/ (compiled) alike. (dist/
 * holds a generated/ too, the JSON specs the compiler copied, but no package.json.)
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'generated', 'openapi')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find generated/openapi above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Path of a bundled spec: `generated/openapi/<api>.yaml`. */
export function bundledSpecPath(api: 'agentkit' | 'opscore'): string {
  return resolve(packageRoot(), 'generated', 'openapi', `${api}.yaml`);
}
