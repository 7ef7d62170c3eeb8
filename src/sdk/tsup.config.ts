import { defineConfig } from 'tsup';

// @agentkit/sdk: one ES module and one declaration file. The shared HTTP helpers it uses
// (src/net/) are inlined; @agentkit/client and the other dependencies stay imports.
export default defineConfig({
  entry: { index: 'index.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  // The declarations are built from the repository root, where tsconfig.json's `paths` point the
  // package names at their sources (so the SDK's need no built client).
  dts: { compilerOptions: { rootDir: '../..', baseUrl: '../..' } },
  removeNodeProtocol: false,
  sourcemap: true,
  clean: true,
  tsconfig: '../../tsconfig.json',
});
