/**
 * A fast receiver for AgentKit's outgoing requests (task deliveries, lifecycle webhooks,
 * state reports): raw node:http, answers 202 (200 for webhooks) as soon as the body is in.
 * With SINK_RECORD=1 it records when each lifecycle webhook arrived (epoch ms, sub-ms precision),
 * read and cleared with GET /_sink/received. GET /_sink/stats counts requests. PORT from the environment;
 * SINK_PORTS=n listens on n-1 more free ports too (GET /_sink/ports lists all), so that several
 * agents can have endpoints of their own (AgentKit limits deliveries in flight per host and port).
 */
import { type RequestListener, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const record = process.env.SINK_RECORD === '1';
let count = 0;
let ready = false;
let received: Array<{ agentId: string; eventType: string; at: number }> = [];
const accepted = JSON.stringify({ status: 'success' });

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    if (!ready) {
      res.writeHead(503).end();
      return;
    }
    let body: unknown = { status: 'ok' };
    if (req.url === '/_sink/received') {
      body = received;
      received = [];
    } else if (req.url === '/_sink/stats') body = { count };
    else if (req.url === '/_sink/ports') body = ports;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = performance.timeOrigin + performance.now();
    count++;
    const webhook = req.url?.endsWith('/notify') ?? false;
    if (record && webhook) {
      try {
        const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event_type: string; agent_details: { agentId: string } };
        received.push({ agentId: payload.agent_details.agentId, eventType: payload.event_type, at });
      } catch {
        // not a lifecycle webhook
      }
    }
    res.writeHead(webhook ? 200 : 202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(accepted) });
    res.end(accepted);
  });
});
const ports: number[] = [];
const listen = (s: Server, port: number) =>
  new Promise<void>((resolve) => {
    s.keepAliveTimeout = 65_000;
    s.listen(port, '127.0.0.1', () => {
      ports.push((s.address() as AddressInfo).port);
      resolve();
    });
  });
// PORT first (an extra port on 0 could take it); GETs answer 503 until every port listens.
await listen(server, Number(process.env.PORT ?? 0));
for (let i = 1; i < Number(process.env.SINK_PORTS ?? 1); i++) await listen(createServer(server.listeners('request')[0] as RequestListener), 0);
ready = true;
process.once('SIGTERM', () => process.exit(0));
