import { defineConfig } from 'tsup';

// @agentkit/client: one ES module and one declaration file, the generated types and the
// bundled specs inlined; its dependencies (openapi-fetch, standardwebhooks) stay imports.
export default defineConfig({
  entry: { index: 'index.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: { compilerOptions: { rootDir: '../..' } },
  removeNodeProtocol: false,
  sourcemap: true,
  clean: true,
  tsconfig: '../../tsconfig.json',
});
