// What the dev tooling, the tests (test/support/processes.ts) and the benchmark
// (bench/lib/proc.ts) share to run parts of the system as local processes.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { packageRoot } from '../spec-files.js';

/** The repository root (the folder holding package.json and generated/), from src/ and dist/src/ alike. */
export const ROOT = packageRoot();

/** A free TCP port on 127.0.0.1 (bind port 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/**
 * Keeps the tail of a child's stdout and stderr (at most 200 KB, cut back to the last 100 KB),
 * for error messages about it; returns a reader of what was kept.
 */
export function captureOutput(child: ChildProcess): () => string {
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => out;
}
