// Builds the operator console (src/console/) into dist/console/: one minified ES module and one
// stylesheet, each named by a hash of its content (so they are cached for a year), and index.html,
// which names them. The roles that may call each operation come from the bundled spec, so the
// console hides what a credential cannot do by the same scopes the server enforces.
// `make build` runs it; so do the console tests when dist/console/ is missing or stale.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** Builds the console into `outDir` (default dist/console/), replacing what was there. */
export async function buildConsole(outDir: string = CONSOLE_DIR): Promise<ConsoleBuild> {
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
  return { dir: outDir, script, stylesheet };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildConsole();
  console.log(`console built: ${built.dir} (${built.script}, ${built.stylesheet})`);
}
