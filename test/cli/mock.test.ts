// The CLI against the Prism mock of AgentKit (spec examples as answers), through a proxy that
// records what the CLI sent and can ask Prism for an error answer. Each test has its own
// proxy, so the tests (each a few child processes) run concurrently.
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { freePort, startPrism, type PrismMock } from '../support/prism.js';
import { agentkit, startRecordingProxy, type RecordingProxy } from './cli-process.js';

const AGENT_ID = '7b0c2f4e-4d7a-4c59-9a43-1b0f3c2d9e11';
const TASK_ID = '5d1f0e9a-7a53-4a38-8f47-6a9b3b0c1d22';
const API_KEY = 'cli-test-key';

let prism: PrismMock;
const proxies: RecordingProxy[] = [];

/** A fresh recording proxy in front of Prism, and the CLI environment that points at it. */
async function mock(prefer?: string): Promise<{ proxy: RecordingProxy; env: Record<string, string> }> {
  const proxy = await startRecordingProxy(prism.baseUrl);
  proxy.prefer = prefer;
  proxies.push(proxy);
  return { proxy, env: { AGENTKIT_URL: proxy.baseUrl, AGENTKIT_API_KEY: API_KEY } };
}

beforeAll(async () => {
  prism = await startPrism({ spec: 'agentkit' });
});

afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await prism?.stop();
});

describe.concurrent('agentkit agents', { timeout: 120_000 }, () => {
  it('when listing, then it prints a table of the agents with a header row', async ({ expect }) => {
    const { proxy, env } = await mock();
    const { code, stdout, stderr } = await agentkit(['agents', 'list'], env);

    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/AGENT ID .*NAME .*VERSION .*CAPABILITIES .*CONTACT ENDPOINT .*REGISTERED/);
    expect(stdout).toMatch(new RegExp(`${AGENT_ID} .*echo-agent .*1\\.0\\.0 .*echo, sleep, fail .*http://127\\.0\\.0\\.1:9000/tasks .*2026-11-24T08:15:00Z`));
    expect(proxy.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('when listing with --json and filters, then it prints the API page as JSON and sends the filters', async ({ expect }) => {
    const { proxy, env } = await mock();
    const { code, stdout } = await agentkit(['agents', 'list', '--json', '--capability', 'echo', '--limit', '10', '--all'], env);

    expect(code).toBe(0);
    const page = JSON.parse(stdout) as { items: { agentId: string }[]; nextCursor: unknown };
    expect(page.items.map((agent) => agent.agentId)).toEqual([AGENT_ID]);
    expect(page.nextCursor).toBeNull();
    expect(proxy.requests.map((request) => request.url)).toEqual(['/v1/agents?capability=echo&limit=10']);
  });

  it('when getting one agent, then it prints its fields as a table, or its JSON with --json', async ({ expect }) => {
    const { env } = await mock();
    const table = await agentkit(['agents', 'get', AGENT_ID], env);
    const json = await agentkit(['--json', 'agents', 'get', AGENT_ID], env);

    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`Agent ID +│ ${AGENT_ID}`));
    expect(table.stdout).toMatch(/Capabilities +│ echo, sleep, fail/);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ agentId: AGENT_ID, agentName: 'echo-agent', capabilities: ['echo', 'sleep', 'fail'] });
  });

  it('when deregistering, then it sends DELETE and confirms', async ({ expect }) => {
    const { proxy, env } = await mock();
    const { code, stdout } = await agentkit(['agents', 'deregister', AGENT_ID], env);

    expect(code).toBe(0);
    expect(stdout).toBe(`Agent ${AGENT_ID} deregistered.\n`);
    expect(proxy.requests.map((request) => `${request.method} ${request.url}`)).toEqual([`DELETE /v1/agents/${AGENT_ID}`]);
  });
});

describe.concurrent('agentkit run', { timeout: 120_000 }, () => {
  it('when dispatching with --param, --params-json and the Ops-Core ids, then it sends them typed and prints the queued task', async ({ expect }) => {
    const { proxy, env } = await mock();
    const { code, stdout } = await agentkit(
      [
        'run', AGENT_ID, 'echo',
        '--params-json', '{"base":{"x":1}}',
        '--param', 'message=hello', '--param', 'n=3', '--param', 'flag=true', '--param', 'o={"a":1}',
        '--param', 'a.b=007', '--param', 'quoted="42"',
        '--session', 'session-7', '--opscore-task', 'task-42', '--timeout', '60', '--idempotency-key', 'order-42',
        '--json',
      ],
      env,
    );

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ taskId: TASK_ID, status: 'queued' });
    const [request] = proxy.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`/v1/agents/${AGENT_ID}/run`);
    expect(request?.headers['idempotency-key']).toBe('order-42');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      task_name: 'echo',
      parameters: { base: { x: 1 }, message: 'hello', n: 3, flag: true, o: { a: 1 }, 'a.b': '007', quoted: '42' },
      opscore_session_id: 'session-7',
      opscore_task_id: 'task-42',
      timeout_seconds: 60,
    });
  });

  it('when dispatching with --wait, then it reads the task until it ends and prints the finished task with its result', async ({ expect }) => {
    const { proxy, env } = await mock();
    const { code, stdout, stderr } = await agentkit(['run', AGENT_ID, 'echo', '-p', 'message=hello', '--wait'], env);

    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/Status +│ finished/);
    expect(stdout).toMatch(/Result +│ \{/);
    expect(stdout).toContain('"message": "hello"');
    expect(proxy.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      `POST /v1/agents/${AGENT_ID}/run`,
      `GET /v1/tasks/${TASK_ID}`,
    ]);
  });
});

describe.concurrent('agentkit tasks and deliveries', { timeout: 120_000 }, () => {
  it('when getting a task with --json, then it prints the API JSON unchanged', async ({ expect }) => {
    const { env } = await mock();
    const { code, stdout } = await agentkit(['tasks', 'get', TASK_ID, '--json'], env);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ taskId: TASK_ID, status: 'finished', result: { message: 'hello' }, progress: 100 });
  });

  it('when listing tasks with filters, then it sends them and says when there are none', async ({ expect }) => {
    const { proxy, env } = await mock();
    const { code, stdout } = await agentkit(['tasks', 'list', '--agent', AGENT_ID, '--status', 'failed', '--limit', '5'], env);

    expect(code).toBe(0);
    expect(stdout).toBe('No tasks.\n');
    expect(proxy.requests[0]?.url).toBe(`/v1/tasks?agentId=${AGENT_ID}&status=failed&limit=5`);
  });

  it('when listing deliveries, then the table shows kind, status, attempts and the last error', async ({ expect }) => {
    const { proxy, env } = await mock();
    const { code, stdout } = await agentkit(['deliveries', 'list', '--status', 'failed', '--kind', 'agent.lifecycle'], env);

    expect(code).toBe(0);
    expect(stdout).toMatch(/01JDX8Q3W5K2M7N9P4R6T8V0XY .*agent\.lifecycle .*REGISTER .*failed .*1 .*HTTP 400/);
    expect(proxy.requests[0]?.url).toBe('/v1/webhook-deliveries?status=failed&kind=agent.lifecycle');
  });

  it('when redelivering with --json, then it POSTs and prints the delivery', async ({ expect }) => {
    const { proxy, env } = await mock();
    const { code, stdout } = await agentkit(['deliveries', 'redeliver', '01JDX8Q3W5K2M7N9P4R6T8V0XY', '--json'], env);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ deliveryId: '01JDX8Q3W5K2M7N9P4R6T8V0XY' });
    expect(proxy.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /v1/webhook-deliveries/01JDX8Q3W5K2M7N9P4R6T8V0XY/redeliver',
    ]);
  });
});

describe.concurrent('agentkit errors', { timeout: 120_000 }, () => {
  it('when AGENTKIT_API_KEY is not set, then it exits 2 naming the variable, without a request', async ({ expect }) => {
    const { proxy } = await mock();
    const { code, stdout, stderr } = await agentkit(['agents', 'list'], { AGENTKIT_URL: proxy.baseUrl });

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('AGENTKIT_API_KEY');
    expect(proxy.requests).toHaveLength(0);
  });

  it('when AgentKit answers 401, then it exits 4 and shows the problem title and detail, no stack trace', async ({ expect }) => {
    const { env } = await mock('code=401');

    const { code, stdout, stderr } = await agentkit(['agents', 'list'], env);

    expect(code).toBe(4);
    expect(stdout).toBe('');
    expect(stderr).toBe('agentkit: Unauthorized (HTTP 401): Missing or invalid API key.\n');
  });

  it('when AgentKit answers 404, then it exits 3 with the problem on stderr', async ({ expect }) => {
    const { env } = await mock('code=404');

    const { code, stderr } = await agentkit(['tasks', 'get', TASK_ID, '--json'], env);

    expect(code).toBe(3);
    expect(stderr).toContain('Not found (HTTP 404): No agent with id');
  });

  it('when AgentKit refuses the request (400), then it exits 5 and lists the validation errors', async ({ expect }) => {
    const { env } = await mock('code=400');

    const { code, stderr } = await agentkit(['run', AGENT_ID, 'echo'], env);

    expect(code).toBe(5);
    expect(stderr).toContain("Request validation failed (HTTP 400): request/body must have required property 'agentName'");
    expect(stderr).toContain("  - /body/agentName: must have required property 'agentName'");
  });

  it('when nothing listens at --url, then it exits 6 and says it cannot reach AgentKit', async ({ expect }) => {
    const url = `http://127.0.0.1:${await freePort()}`;

    const { code, stderr } = await agentkit(['--url', url, 'agents', 'list'], { AGENTKIT_API_KEY: API_KEY });

    expect(code).toBe(6);
    expect(stderr).toContain(`Cannot reach AgentKit at ${url} (ECONNREFUSED)`);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('when AgentKit accepts the connection but never answers, then it gives up after --request-timeout with exit 6', async ({ expect }) => {
    const silent = createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;

    try {
      const { code, stderr } = await agentkit(['agents', 'list', '--request-timeout', '0.5'], { AGENTKIT_URL: url, AGENTKIT_API_KEY: API_KEY });

      expect(code).toBe(6);
      expect(stderr).toContain(`AgentKit at ${url} did not answer within 0.5s`);
    } finally {
      silent.close();
    }
  });
});
