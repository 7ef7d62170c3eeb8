import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_FLAGS, missingServiceNodeFlags } from '../../src/config/node-flags.js';

describe('service node flags', () => {
  it('when started with npm start, then node gets every flag of SERVICE_NODE_FLAGS', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
    const words = pkg.scripts.start.split(/\s+/);
    expect(words[0]).toBe('node');
    for (const flag of SERVICE_NODE_FLAGS) expect(words).toContain(flag);
  });

  it('when a flag is missing from the command line and NODE_OPTIONS, then it is named; given either way, it is not', () => {
    expect(missingServiceNodeFlags([], '')).toEqual([...SERVICE_NODE_FLAGS]);
    expect(missingServiceNodeFlags([...SERVICE_NODE_FLAGS], '')).toEqual([]);
    const underscored = SERVICE_NODE_FLAGS.map((f) => `--${f.slice(2).replaceAll('-', '_')}`).join(' '); // V8 takes either spelling
    expect(missingServiceNodeFlags([], `--enable-source-maps ${underscored}`)).toEqual([]);
  });
});
