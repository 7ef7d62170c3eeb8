/**
 * SDK agents for the end-to-end scenario: AGENTS (default 4) agents in this one process, each
 * made with `createAgent` and the echo handler of examples/echo-agent.ts, each running up to
 * AGENT_CONCURRENCY (default 16) tasks at once. Answers GET /healthz on PORT once every agent
 * is registered; GET /agents lists their ids. Environment as the SDK reads it (AGENTKIT_URL,
 * AGENTKIT_API_KEY, OPSCORE_API_URL, OPSCORE_API_KEY, LOG_LEVEL).
 */
import { createServer } from 'node:http';
import { createAgent, type Agent } from '@agentkit/sdk';

const count = Number(process.env.AGENTS ?? 4);
const concurrency = Number(process.env.AGENT_CONCURRENCY ?? 16);
const agents: Agent[] = [];
const ids: string[] = [];
for (let i = 0; i < count; i++) {
  const agent = createAgent({
    name: `bench-echo-${i}`,
    version: '1.0.0',
    concurrency,
    deregisterOnStop: false,
    handlers: { echo: (parameters) => parameters },
  });
  agents.push(agent);
}
for (const started of await Promise.all(agents.map((a) => a.start()))) ids.push(started.agentId);

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(req.url === '/agents' ? ids : { status: 'ok', agents: ids.length }));
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
