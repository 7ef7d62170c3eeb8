/**
 * Flags the AgentKit service process runs node with (`npm start`, `make run`, the benchmark).
 *
 * `--max-semi-space-size=2`: by default V8 grows its young generation under load, and the old
 * generation that the load promotes into stays committed after the burst, so resident memory
 * stays high long after the load. A small young generation keeps it down (bench/README.md has the
 * figures). It cannot be set at run time: V8 sizes the heap when the process starts.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** The flags of {@link SERVICE_NODE_FLAGS} this process was started without (command line or NODE_OPTIONS). */
export function missingServiceNodeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map((f) => f.replace(/_/g, '-')));
  return SERVICE_NODE_FLAGS.filter((f) => !given.has(f));
}
