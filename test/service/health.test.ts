// GET /health: the check Ops-Core's integration tests poll before they start (no key).
import { afterEach, describe, expect, it } from 'vitest';
import { freshSchema, PG_BASE_URL, type TestSchema } from '../support/postgres.js';
import { eventually } from '../support/receiver.js';
import { startService, type TestService } from '../support/service.js';
import { TcpProxy } from '../support/tcp-proxy.js';

let ak: TestService | undefined;
let schema: TestSchema | undefined;
let proxy: TcpProxy | undefined;

afterEach(async () => {
  await ak?.stop().catch(() => undefined);
  await proxy?.stop();
  await schema?.drop();
  ak = schema = proxy = undefined;
});

const health = async (url: string) => {
  const response = await fetch(`${url}/health`);
  return { status: response.status, body: (await response.json()) as unknown };
};

describe('GET /health', () => {
  it('when the SQLite store answers, then it is 200 {"status":"ok"} without a key; once the store is closed, it is 503', async () => {
    ak = await startService();
    expect(await health(ak.url)).toEqual({ status: 200, body: { status: 'ok' } });
    await ak.service.store.close();
    expect(await health(ak.url)).toEqual({ status: 503, body: { status: 'unavailable', detail: 'The store does not answer' } });
  });

  it('when PostgreSQL cannot be reached, then it is 503; when it can again, then 200', async () => {
    schema = await freshSchema('agentkit_health');
    const target = new URL(PG_BASE_URL);
    proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    const url = new URL(schema.url);
    url.host = `127.0.0.1:${proxy.port}`;
    ak = await startService({ AGENTKIT_DB: url.toString() });
    expect(await health(ak.url)).toEqual({ status: 200, body: { status: 'ok' } });

    await proxy.cut();
    expect(await health(ak.url)).toEqual({ status: 503, body: { status: 'unavailable', detail: 'The store does not answer' } });

    await proxy.restore();
    await eventually(async () => ((await health(ak!.url)).status === 200 ? true : undefined), 10_000, '/health to answer 200 again');
  });
});
