import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { bundledSpecPath } from '../spec-files.js';

/** The bundled spec (`generated/openapi/<api>.yaml`), parsed. */
export function loadSpec(api: 'agentkit' | 'opscore'): Record<string, unknown> {
  return parse(readFileSync(bundledSpecPath(api), 'utf8')) as Record<string, unknown>;
}
