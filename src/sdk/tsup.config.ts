import { defineConfig } from 'tsup';

// @agentkit/sdk: one ES module and one declaration file. The shared HTTP helpers it uses
// (src/net/) are inlined; @agentkit/client and the other dependencies stay imports.
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
