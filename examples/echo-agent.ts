/**
 * An example agent built with the AgentKit SDK. Run it with `npx tsx examples/echo-agent.ts`.
 *
 * Environment: AGENTKIT_URL, AGENTKIT_API_KEY, OPSCORE_API_URL, OPSCORE_API_KEY (required);
 * AGENT_PORT (default 0: any free port), AGENT_HOST (default 127.0.0.1), AGENT_ID (optional:
 * AgentKit assigns one), AGENT_PUBLIC_URL (optional: the URL AgentKit reaches it at),
 * AGENT_CONCURRENCY (tasks at once, default 1), AGENT_HEARTBEAT_INTERVAL_S (default 10; `none`
 * for no heartbeats).
 *
 * Handlers:
 * - `echo` returns its parameters.
 * - `sleep` waits `ms` milliseconds (parameter, default 1000), reporting progress, and stops
 *   early when the task times out or the agent stops.
 * - `fail` throws (parameter `message`, optional).
 */
import { createAgent, TaskFailure, type TaskContext } from '@agentkit/sdk';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const heartbeat = process.env.AGENT_HEARTBEAT_INTERVAL_S;

const agent = createAgent({
  agentId: process.env.AGENT_ID || undefined,
  name: 'echo-agent',
  version: '1.0.0',
  metadata: { example: true },
  port: Number(process.env.AGENT_PORT ?? 0),
  host: process.env.AGENT_HOST ?? '127.0.0.1',
  publicUrl: process.env.AGENT_PUBLIC_URL || undefined,
  concurrency: Number(process.env.AGENT_CONCURRENCY || 1),
  heartbeatIntervalSeconds: heartbeat === 'none' ? null : heartbeat ? Number(heartbeat) : undefined,
  handlers: {
    echo: (parameters) => parameters,
    sleep: async (parameters, context: TaskContext) => {
      const ms = typeof parameters.ms === 'number' ? parameters.ms : 1000;
      const steps = 4;
      for (let i = 1; i <= steps; i++) {
        await sleep(ms / steps, context.signal);
        context.progress((i / steps) * 100, `slept ${Math.round((ms * i) / steps)} of ${ms} ms`);
      }
      return { sleptMs: ms };
    },
    fail: (parameters) => {
      const message = typeof parameters.message === 'string' ? parameters.message : 'Failed on purpose';
      throw new TaskFailure('failed_on_purpose', message);
    },
  },
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    agent.stop({ timeoutMs: 10_000 }).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}

try {
  const started = await agent.start();
  // One line on stdout that scripts (make run, end-to-end tests) can wait for.
  console.log(JSON.stringify({ event: 'agent-started', ...started }));
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
