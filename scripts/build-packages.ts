/**
 * Builds the npm packages that other services install (`make packages`): @agentkit/client and
 * @agentkit/sdk, from their sources in src/client/ and src/sdk/ (each with its package.json,
 * README.md and tsup.config.ts beside the code it publishes).
 *
 *   node --import tsx scripts/build-packages.ts [--out dir]    tarballs into dist/packages/ (or dir)
 *   node --import tsx scripts/build-packages.ts --build-only  bundles into src/client/dist, src/sdk/dist
 *
 * --build-only bundles each package with tsup into its own dist/: what the repository's compiled
 * code imports (`make build`). Packing bundles afresh into a scratch directory, stages each package
 * with its version set to the spec's `info.version` and the SDK's dependency on the client pinned
 * to that same version, and packs it with `npm pack`; it leaves the packages' dist/ alone, so it
 * can run beside anything that uses them.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../src/dev/local-process.js';

interface Manifest {
  name: string;
  version: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** The packages, in build order: the SDK's declarations read the client's. */
const PACKAGES = ['client', 'sdk'] as const;

const { values } = parseArgs({ options: { 'build-only': { type: 'boolean', default: false }, out: { type: 'string' } } });
const outDir = resolve(values.out ?? join(ROOT, 'dist', 'packages'));

/** The version every package gets: AgentKit's API version, from the bundled spec. */
function specVersion(): string {
  const spec = JSON.parse(readFileSync(join(ROOT, 'generated', 'openapi', 'agentkit.json'), 'utf8')) as { info?: { version?: unknown } };
  const version = spec.info?.version;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`generated/openapi/agentkit.json has no semver info.version (got ${JSON.stringify(version)}); run 'make generate'`);
  }
  return version;
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

const tsup = join(ROOT, 'node_modules', '.bin', 'tsup');
/** Bundles src/<name> with its tsup.config.ts into `dir` (default: the package's own dist/). */
function bundle(name: string, dir?: string): void {
  process.stderr.write(`build-packages: bundling src/${name}${dir ? '' : ' into its dist/'}\n`);
  run(tsup, ['--silent', ...(dir ? ['--out-dir', dir] : [])], join(ROOT, 'src', name));
}

if (values['build-only']) {
  for (const name of PACKAGES) bundle(name);
  process.exit(0);
}

const version = specVersion();
mkdirSync(outDir, { recursive: true });
const stageRoot = mkdtempSync(join(tmpdir(), 'agentkit-packages-'));
const names = new Set<string>();
for (const name of PACKAGES) {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'src', name, 'package.json'), 'utf8')) as Manifest;
  names.add(manifest.name);
}
for (const name of PACKAGES) {
  const source = join(ROOT, 'src', name);
  const stage = join(stageRoot, name);
  mkdirSync(stage, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as Manifest;
  manifest.version = version;
  delete manifest.scripts;
  // Packages of this repository are released together: each depends on exactly its siblings' version.
  for (const dep of Object.keys(manifest.dependencies ?? {})) if (names.has(dep)) manifest.dependencies![dep] = version;
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(join(source, 'README.md'), join(stage, 'README.md'));
  bundle(name, join(stage, 'dist'));
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', outDir], stage)) as Array<{ filename: string }>;
  console.log(join(outDir, packed[0]!.filename));
}
rmSync(stageRoot, { recursive: true, force: true });
