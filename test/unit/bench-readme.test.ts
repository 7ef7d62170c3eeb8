import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README_FILE, readmeBlock, readResults, renderResults } from '../../bench/markdown.js';

describe('bench/README.md', () => {
  it('when bench/results.json is committed, then the README shows exactly its table (bench/markdown.ts --write)', () => {
    expect(readmeBlock(readFileSync(README_FILE, 'utf8'))).toBe(renderResults(readResults()));
  });
});
