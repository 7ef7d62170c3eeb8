/**
 * CPU per state report by HTTP client: the generated openapi-fetch client (over fetch) against
 * the SDK's report transport (undici Pool). A local node:http server answers 202; four reports
 * are in flight at a time; the figure is this process's CPU (client and server) per report.
 * `node --import tsx bench/micro/http-clients.ts [reports]`
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpsCoreClient } from '../../src/client/opscore.js';
import { createReportTransport } from '../../src/sdk/report-transport.js';

const n = Number(process.argv[2] ?? 5000);
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end('{"status":"accepted","message":null}');
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const body = {
  agentId: 'agent-1',
  state: 'active' as const,
  timestamp: new Date().toISOString(),
  details: { taskId: 't1', task_name: 'echo', opscore_task_id: 'x', opscore_session_id: 'y' },
};
const client = createOpsCoreClient({ baseUrl, apiKey: 'k' });
const transport = createReportTransport({ baseUrl, apiKey: 'k' });
const never = new AbortController().signal;

const variants: Record<string, () => Promise<unknown>> = {
  'openapi-fetch (fetch)': () =>
    client.POST('/v1/opscore/agent/{agent_id}/state', { params: { path: { agent_id: 'agent-1' } }, body, signal: AbortSignal.any([never, AbortSignal.timeout(10_000)]) }),
  'report transport (undici Pool)': () => transport.post('/v1/opscore/agent/agent-1/state', body, never, 10_000),
};

for (const round of ['warm-up', 'measured']) {
  for (const [name, call] of Object.entries(variants)) {
    let left = n;
    const before = process.cpuUsage();
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (left-- > 0) await call();
      }),
    );
    const cpu = process.cpuUsage(before);
    if (round === 'measured') console.log(`${name.padEnd(32)} ${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms CPU per report`);
  }
}
await transport.close();
server.close();
