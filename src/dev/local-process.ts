// What the dev tooling, the tests (test/support/processes.ts) and the benchmark
// (bench/lib/proc.ts) share to run parts of the system as local processes.
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
