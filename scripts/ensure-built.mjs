#!/usr/bin/env node
// `npm start` runs this first (prestart): it builds dist/ (`make build`) only when something it is
// built from is newer than it, so a current build starts at once and needs no devDependencies.
// Plain JavaScript on purpose: with only production dependencies installed there is no tsx.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outputs = ['dist/src/main.js', 'src/client/dist/index.js', 'src/sdk/dist/index.js', 'dist/console/index.html'].map((p) => join(root, p));
const inputs = ['src', 'generated/ts', 'generated/openapi', 'examples', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((p) => join(root, p));

/** The newest modification time under `path` (skipping built output), ms. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'dist' || entry === 'node_modules') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

const built = outputs.every((p) => existsSync(p)) ? Math.min(...outputs.map((p) => statSync(p).mtimeMs)) : 0;
if (built >= Math.max(...inputs.map(newest))) process.exit(0);

if (!existsSync(join(root, 'node_modules', '.bin', 'tsc'))) {
  console.error(
    built === 0
      ? 'agentkit: dist/ is not built, and the build tools (devDependencies) are not installed: run `npm ci && npm run build` first.'
      : 'agentkit: dist/ is older than its sources, and the build tools (devDependencies) are not installed: run `npm ci && npm run build` first.',
  );
  process.exit(1);
}
const result = spawnSync('make', ['build'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
