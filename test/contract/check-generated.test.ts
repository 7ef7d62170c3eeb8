// `make check-generated` (scripts/check-generated.sh) must fail when a spec changes without
// `make generate`, and pass when generated/ is what the specs produce. Each case runs the real
// script in a scratch copy of the repository (node_modules symlinked), so the working tree is
// never touched. Regeneration includes the Python clients (Java), hence the long timeouts.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { repoRoot } from '../support/prism.js';

const timeoutMs = 300_000;
const copied = ['openapi', 'generated', 'scripts', 'redocly.yaml', '.redocly.lint-ignore.yaml', 'openapitools.json', 'Makefile'];
const scratches: string[] = [];

afterAll(async () => {
  await Promise.all(scratches.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A scratch copy of what generation reads and writes, with node_modules linked to the real one. */
async function scratchCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'agentkit-check-generated-'));
  scratches.push(dir);
  for (const entry of copied) {
    const source = path.join(repoRoot, entry);
    if (!existsSync(source)) continue;
    await cp(source, path.join(dir, entry), {
      recursive: true,
      // A clean checkout has no Python bytecode caches.
      filter: (file) => !/(^|\/)(__pycache__|\.pytest_cache)(\/|$)/.test(file),
    });
  }
  await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Runs scripts/check-generated.sh of the copy; resolves with its exit code and output. */
function checkGenerated(dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(dir, 'scripts/check-generated.sh')], {
      cwd: dir,
      env: { ...process.env, AGENTKIT_ROOT: repoRoot, REDOCLY_TELEMETRY: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs - 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('make check-generated', () => {
  it.concurrent(
    'when generated/ is what the specs produce, then it passes',
    async () => {
      const dir = await scratchCopy();

      const result = await checkGenerated(dir);

      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('generated/ matches openapi/.');
    },
    timeoutMs,
  );

  it.concurrent(
    'when a spec description changes without regeneration, then it fails and names `make generate`',
    async () => {
      const dir = await scratchCopy();
      const file = path.join(dir, 'openapi/shared/schemas/AgentRegistrationDetails.yaml');
      const doc = parseDocument(await readFile(file, 'utf8'));
      const before = doc.getIn(['properties', 'agentName', 'description']);
      expect(before).toBeTypeOf('string');
      doc.setIn(['properties', 'agentName', 'description'], `${String(before)} Edited without regenerating.`);
      await writeFile(file, doc.toString());

      const result = await checkGenerated(dir);

      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("Run 'make generate'");
      // The shared schema is in both bundles.
      expect(result.stderr).toContain('generated/openapi/agentkit.yaml');
      expect(result.stderr).toContain('generated/openapi/opscore.yaml');
    },
    timeoutMs,
  );
});
