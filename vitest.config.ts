import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // The packages' sources, as tsconfig.json's `paths` map them (tsc and tsx read those).
    alias: {
      '@agentkit/client': source('./src/client/index.ts'),
      '@agentkit/sdk': source('./src/sdk/index.ts'),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Real servers and child processes: one file at a time per worker, generous timeouts.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
