import { defineConfig } from 'tsup';

/**
 * How each package under src/ is bundled (its tsup.config.ts uses this; run in the package's
 * folder): one ES module and one declaration file from `index.ts`. Relative imports are inlined,
 * so a package may use the repository's shared modules (src/net/); its dependencies, a sibling
 * package among them, stay imports.
 */
export function packageConfig() {
  return defineConfig({
    entry: { index: 'index.ts' },
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    // Declarations are built from the repository root, where tsconfig.json's `paths` point the
    // package names at their sources (so the SDK's need no built client).
    dts: { compilerOptions: { rootDir: '../..', baseUrl: '../..' } },
    removeNodeProtocol: false,
    sourcemap: true,
    clean: true,
    tsconfig: '../../tsconfig.json',
  });
}
