/** Baseline: bare Express 5 parsing the JSON body (express.json) and answering 202. PORT from the environment. */
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: 1_048_576 }));
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
app.post('/v1/agents/:agentId/run', (req, res) => {
  res.status(202).json({ accepted: true, task_name: (req.body as { task_name?: string }).task_name });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
server.keepAliveTimeout = 65_000;
process.once('SIGTERM', () => process.exit(0));
