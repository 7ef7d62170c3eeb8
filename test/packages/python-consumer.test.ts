// A Python service outside this repository, standing in for Ops-Core: a FastAPI app in a fresh venv
// with the agentkit-client wheel installed from `make packages`' output. It verifies AgentKit's
// REGISTER webhook with agentkit_client.webhooks, then, inside that async handler, dispatches a task
// to the new agent with agentkit_client_async; the agent (built with the SDK) finishes it and
// reports its state to the app.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookSigner } from '../../src/client/webhooks.js';
import { captureOutput } from '../../src/dev/local-process.js';
import { freePort, ROOT, startAgentKitProcess, startTsProcess, waitForHttp, type RunningProcess } from '../support/processes.js';
import { eventually } from '../support/receiver.js';

const run = promisify(execFile);
const AGENTKIT_KEY = 'python-consumer-agentkit-key';
const OPSCORE_KEY = 'python-consumer-opscore-key';
const WEBHOOK_SECRET = 'whsec_cHl0aG9uLWNvbnN1bWVyLXdlYmhvb2stc2VjcmV0';

/** The stand-in for Ops-Core, as an Ops-Core developer would write it from the wheel's README. */
const APP = `
import os
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import agentkit_client_async
from agentkit_client_async import DispatchRequest, TasksApi
from agentkit_client.webhooks import WebhookVerificationError, WebhookVerifier

verifier = WebhookVerifier(os.environ["OPSCORE_WEBHOOK_SECRET"])
config = agentkit_client_async.Configuration(host=os.environ["AGENTKIT_URL"], access_token=os.environ["AGENTKIT_API_KEY"])
seen = {"notifications": [], "rejected": [], "dispatched": [], "states": []}
app = FastAPI()


@app.post("/v1/opscore/internal/agent/notify")
async def notify(request: Request):
    try:
        notification = verifier.verify(await request.body(), request.headers)
    except WebhookVerificationError as refused:
        seen["rejected"].append(refused.reason)
        return JSONResponse({"detail": f"Invalid webhook signature ({refused.reason})"}, status_code=401)
    agent = notification.agent_details
    seen["notifications"].append({"event_type": notification.event_type, "agentId": agent.agent_id})
    if notification.event_type == "REGISTER" and "echo" in agent.capabilities:
        async with agentkit_client_async.ApiClient(config) as client:
            task = await TasksApi(client).dispatch_task(
                agent.agent_id, DispatchRequest(task_name="echo", parameters={"message": "from FastAPI"}, opscore_task_id="py-1"))
        seen["dispatched"].append({"taskId": task.task_id, "status": task.status.value})
    return {"status": "success", "message": None}


@app.post("/v1/opscore/agent/{agent_id}/state", status_code=202)
async def state(agent_id: str, request: Request):
    if request.headers.get("authorization") != f"Bearer {os.environ['OPSCORE_API_KEY']}":
        return JSONResponse({"detail": "Invalid or missing API key"}, status_code=401)
    seen["states"].append(await request.json())
    return {"status": "success", "message": "State update accepted."}


@app.get("/seen")
async def report():
    return seen


@app.get("/tasks/{task_id}")
async def task(task_id: str):
    async with agentkit_client_async.ApiClient(config) as client:
        found = await TasksApi(client).get_task(task_id)
    return {"status": found.status.value, "result": found.result}


@app.get("/health")
async def health():
    return {"status": "ok"}
`;

interface Seen {
  notifications: Array<{ event_type: string; agentId: string }>;
  rejected: string[];
  dispatched: Array<{ taskId: string; status: string }>;
  states: Array<{ agentId: string; state: string; details: Record<string, unknown> | null }>;
}

describe('a Python consumer outside the repository (FastAPI, standing in for Ops-Core)', () => {
  let scratch: string;
  let appUrl: string;
  let app: ReturnType<typeof spawn>;
  let appOutput: () => string;
  let agentkit: RunningProcess;
  let agent: RunningProcess;

  const seen = async (): Promise<Seen> => (await (await fetch(`${appUrl}/seen`)).json()) as Seen;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'agentkit-py-consumer-'));
    // The venv imports the installed wheel, never generated/python.
    const { PYTHONPATH: _ignored, ...inherited } = process.env;
    const env = { ...inherited, PIP_RETRIES: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
    const built = await run('bash', [join(ROOT, 'scripts', 'package-python.sh'), join(scratch, 'dist')], { cwd: ROOT, env, timeout: 180_000 });
    const wheel = built.stdout.trim().split('\n').at(-1)!;
    await run('python3', ['-m', 'venv', join(scratch, 'venv')], { env, timeout: 120_000 });
    const python = join(scratch, 'venv', 'bin', 'python');
    await run(python, ['-m', 'pip', 'install', '--quiet', wheel, 'fastapi', 'uvicorn'], { env, timeout: 300_000 });
    writeFileSync(join(scratch, 'opscore_app.py'), APP);

    const port = await freePort();
    agentkit = await startAgentKitProcess({
      AGENTKIT_DB: join(scratch, 'agentkit.db'),
      AGENTKIT_API_KEYS: AGENTKIT_KEY,
      AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1',
      OPSCORE_WEBHOOK_URL: `http://127.0.0.1:${port}/v1/opscore/internal/agent/notify`,
      OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      OPSCORE_API_URL: `http://127.0.0.1:${port}`,
      OPSCORE_API_KEY: OPSCORE_KEY,
    });
    app = spawn(python, ['-m', 'uvicorn', 'opscore_app:app', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning'], {
      cwd: scratch,
      env: { ...env, OPSCORE_WEBHOOK_SECRET: WEBHOOK_SECRET, OPSCORE_API_KEY: OPSCORE_KEY, AGENTKIT_URL: agentkit.url, AGENTKIT_API_KEY: AGENTKIT_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    appOutput = captureOutput(app);
    appUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${appUrl}/health`, app, appOutput, 60_000);
  }, 600_000);

  afterAll(async () => {
    await agent?.kill();
    await agentkit?.kill();
    app?.kill('SIGTERM');
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('when an agent registers, then the app verifies the REGISTER, dispatches to it from its async handler, and the task finishes', async () => {
    const agentPort = await freePort();
    agent = await startTsProcess(
      'examples/echo-agent.ts',
      { AGENTKIT_URL: agentkit.url, AGENTKIT_API_KEY: AGENTKIT_KEY, OPSCORE_API_URL: appUrl, OPSCORE_API_KEY: OPSCORE_KEY, AGENT_PORT: String(agentPort), AGENT_ID: 'py-echo', LOG_LEVEL: 'warn' },
      agentPort,
    );
    const finished = await eventually(async () => {
      const s = await seen();
      return s.states.find((st) => st.state === 'finished') ? s : undefined;
    }, 30_000, `the agent's "finished" state at the app (app output: ${appOutput()})`);

    expect(finished.notifications).toContainEqual({ event_type: 'REGISTER', agentId: 'py-echo' });
    expect(finished.dispatched).toEqual([{ taskId: expect.any(String), status: 'queued' }]);
    const taskId = finished.dispatched[0]!.taskId;
    expect(finished.states.find((st) => st.state === 'finished')?.details).toMatchObject({ taskId, opscore_task_id: 'py-1', result: { message: 'from FastAPI' } });
    // The agent reports to Ops-Core and to AgentKit separately: AgentKit's copy may land a moment later.
    const read = await eventually(async () => {
      const task = (await (await fetch(`${appUrl}/tasks/${taskId}`)).json()) as { status: string; result: unknown };
      return task.status === 'finished' ? task : undefined;
    }, 10_000, 'the task to be finished in AgentKit, read with the async client');
    expect(read).toEqual({ status: 'finished', result: { message: 'from FastAPI' } });
    await eventually(async () => ((await seen()).states.at(-1)?.state === 'idle' ? true : undefined), 10_000, 'the agent to report idle');
  }, 60_000);

  it('when a notification is tampered with or signed too long ago, then the app refuses it (401) and dispatches nothing', async () => {
    const before = await seen();
    const body = JSON.stringify({ event_type: 'REGISTER', agent_details: { agentId: 'intruder', agentName: 'x', version: '1', capabilities: ['echo'], contactEndpoint: 'http://127.0.0.1:9/tasks', metadata: {} } });
    const signer = new WebhookSigner(WEBHOOK_SECRET);
    const post = (payload: string, headers: Record<string, string>) =>
      fetch(`${appUrl}/v1/opscore/internal/agent/notify`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });

    const tampered = await post(body.replace('"x"', '"y"'), { ...signer.sign('msg_tampered', body) });
    expect(tampered.status).toBe(401);
    const stale = await post(body, { ...signer.sign('msg_stale', body, new Date(Date.now() - 10 * 60_000)) });
    expect(stale.status).toBe(401);
    const unsigned = await post(body, {});
    expect(unsigned.status).toBe(401);

    const after = await seen();
    expect(after.rejected.slice(before.rejected.length)).toEqual(['bad-signature', 'stale-timestamp', 'missing-headers']);
    expect(after.dispatched).toEqual(before.dispatched);
    expect(after.notifications).toEqual(before.notifications);
  });
});
