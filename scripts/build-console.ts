// Builds the operator console (src/console/) into dist/console/: one minified ES module and one
// stylesheet, each named by a hash of its content (so they are cached for a year), and index.html,
// which names them. The roles that may call each operation come from the bundled spec, so the
// console hides what a credential cannot do by the same scopes the server enforces.
// `make build` runs it; so do the console tests when dist/console/ is missing or stale.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the console is built to, as the server serves it (src/http/routes/console.ts). */
export const CONSOLE_DIR = join(root, 'dist', 'console');

/** operationId -> the roles that may call it (its bearerAuth scopes). */
export function operationRoles(): Record<string, string[]> {
  const spec = JSON.parse(readFileSync(join(root, 'generated', 'openapi', 'agentkit.json'), 'utf8')) as {
    security?: Array<Record<string, string[]>>;
    paths: Record<string, Record<string, { operationId?: string; security?: Array<Record<string, string[]>> }>>;
  };
  const roles: Record<string, string[]> = {};
  for (const item of Object.values(spec.paths)) {
    for (const op of Object.values(item)) {
      if (typeof op !== 'object' || !op.operationId) continue;
      roles[op.operationId] = (op.security ?? spec.security ?? []).flatMap((s) => s.bearerAuth ?? []);
    }
  }
  return roles;
}

export interface ConsoleBuild {
  dir: string;
  script: string;
  stylesheet: string;
}

/** What the console is built from: its sources, the client, the spec and this script. */
function inputsHash(): string {
  const hash = createHash('sha256');
  const walk = (path: string): void => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) for (const entry of readdirSync(path).sort()) walk(join(path, entry));
    else hash.update(path).update(readFileSync(path));
  };
  for (const p of ['src/console', 'src/client', 'generated/ts/agentkit.ts', 'generated/openapi/agentkit.json', 'scripts/build-console.ts']) walk(join(root, p));
  return hash.digest('hex');
}

/**
 * Builds the console into `outDir` (default dist/console/) unless what is there was built from the
 * same inputs (tests call this; a build is written beside and renamed into place, so a server
 * serving the old one never sees a half-written directory).
 */
export async function ensureConsoleBuilt(outDir: string = CONSOLE_DIR): Promise<void> {
  const stamp = join(outDir, '.inputs');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === inputsHash()) return;
  await buildConsole(outDir);
}

/** Builds the console into `outDir` (default dist/console/), replacing what was there. */
export async function buildConsole(outDir: string = CONSOLE_DIR): Promise<ConsoleBuild> {
  const inputs = inputsHash();
  const final = outDir;
  outDir = `${final}.building-${process.pid}`;
  const assets = join(outDir, 'assets');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(assets, { recursive: true });
  const result = await build({
    entryPoints: [join(root, 'src', 'console', 'main.ts'), join(root, 'src', 'console', 'console.css')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    outdir: assets,
    entryNames: 'console-[hash]',
    metafile: true,
    legalComments: 'none',
    define: { __OPERATION_ROLES__: JSON.stringify(operationRoles()) },
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const script = outputs.find((p) => p.endsWith('.js'));
  const stylesheet = outputs.find((p) => p.endsWith('.css'));
  if (!script || !stylesheet) throw new Error(`console build produced ${outputs.join(', ')}`);
  const html = readFileSync(join(root, 'src', 'console', 'index.html'), 'utf8')
    .replace('%SCRIPT%', `/console/assets/${script}`)
    .replace('%STYLESHEET%', `/console/assets/${stylesheet}`);
  writeFileSync(join(outDir, 'index.html'), html);
  writeFileSync(join(outDir, '.inputs'), inputs);
  rmSync(final, { recursive: true, force: true });
  renameSync(outDir, final);
  return { dir: final, script, stylesheet };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildConsole();
  console.log(`console built: ${built.dir} (${built.script}, ${built.stylesheet})`);
}
