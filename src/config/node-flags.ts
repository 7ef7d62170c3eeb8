/**
 * Flags the AgentKit service process runs node with (`npm start`, `make run`, the benchmark).
 *
 * `--max-semi-space-size=2`: V8's young generation grows to 2 x 16 MB under load by default, and
 * the old generation that load promotes into stays committed after the burst: 254 MB resident
 * after 100,000 dispatches against 112 MB with this flag, with no CPU cost beyond the noise in
 * alternating dispatch runs (`make bench`, memory and dispatch scenarios; README). It cannot be set at run time:
 * V8 sizes the heap when the process starts.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** The flags of {@link SERVICE_NODE_FLAGS} this process was started without (command line or NODE_OPTIONS). */
export function missingServiceNodeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map((f) => f.replace(/_/g, '-')));
  return SERVICE_NODE_FLAGS.filter((f) => !given.has(f));
}
