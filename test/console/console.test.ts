// The operator console (/console) in Debian's Chromium against real servers: AgentKit in this
// process, the reference Ops-Core (with fault injection) and an SDK agent. Every step goes through
// the page as an operator would; the test only dispatches, injects faults and reads what the
// receivers got. Screenshots go to test-results/console/ (ignored).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../../scripts/build-console.js';
import { createOpsCoreReference, type OpsCoreReference, type RunningReference } from '../../src/opscore-reference/index.js';
import { createAgent, TaskCanceledError, type Agent, type TaskContext } from '../../src/sdk/index.js';
import { keepingLogger, opsCoreEnv, OPSCORE_KEY, until, WEBHOOK_SECRET } from '../faults/support.js';
import { registration, startService, type TestService } from '../support/service.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-results', 'console');
const KEYS = { admin: 'console-admin-key', dispatcher: 'console-dispatcher-key', registration: 'console-registration-key' };
const WIDTHS = { wide: { width: 1280, height: 900 }, narrow: { width: 390, height: 844 } } as const;

let ak: TestService;
let opsCore: OpsCoreReference;
let opsCoreServer: RunningReference;
let agent: Agent;
let browser: Browser;
/** The `gated` handler's task finishes once this is opened (made before the task is dispatched, so no order is assumed). */
let openGate: () => void = () => {};
const gate = new Promise<void>((resolve) => (openGate = resolve));
/** What each `block` handler's signal aborted with, by task id. */
const aborts = new Map<string, unknown>();

/** Everything a page did that the console must never do: outside requests, CSP violations, console errors. */
interface Watch {
  outside: string[];
  errors: string[];
}

async function openPage(width: keyof typeof WIDTHS = 'wide'): Promise<{ page: Page; watch: Watch }> {
  const context = await browser.newContext({ viewport: WIDTHS[width] });
  const page = await context.newPage();
  const watch: Watch = { outside: [], errors: [] };
  page.on('request', (r) => {
    if (!r.url().startsWith(`${ak.url}/`) && !r.url().startsWith('data:')) watch.outside.push(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') watch.errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => watch.errors.push(`pageerror: ${String(e)}`));
  // Runs in the page (a string: this file is type-checked without DOM types).
  await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));" });
  return { page, watch };
}

/** Requests the console answers 4xx to on purpose (a wrong key) are logged by Chromium as failed loads; nothing else may be. */
function unexpected(watch: Watch, allowed: RegExp[] = []): string[] {
  return watch.errors.filter((e) => !allowed.some((a) => a.test(e)));
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${ak.url}/console`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function shot(page: Page, name: string): Promise<void> {
  for (const [width, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(WIDTHS.wide);
}

const admin = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${ak.url}${path}`, { method, headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
};

const dispatch = async (taskName: string, parameters: Record<string, unknown> = {}): Promise<string> => {
  const res = await admin('POST', '/v1/agents/console-agent/run', { task_name: taskName, parameters });
  expect(res.status).toBe(202);
  return res.json.taskId as string;
};

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await ensureConsoleBuilt();
  opsCore = createOpsCoreReference({ apiKey: OPSCORE_KEY, webhookSecret: WEBHOOK_SECRET, logger: keepingLogger() });
  opsCoreServer = await opsCore.start();
  ak = await startService({
    AGENTKIT_API_KEYS: `admin:${KEYS.admin},dispatcher:${KEYS.dispatcher},agent:${KEYS.registration}`,
    ...opsCoreEnv(opsCoreServer.url),
    // Two quick attempts: a webhook to a failing Ops-Core fails within a second.
    AGENTKIT_WEBHOOK_RETRY_SCHEDULE: '0,0.2',
    AGENTKIT_CANCEL_GRACE_MS: '20000',
  });
  agent = createAgent({
    agentId: 'console-agent',
    name: 'console-agent',
    version: '1.0.0',
    concurrency: 2,
    agentKitUrl: ak.url,
    agentKitApiKey: KEYS.registration,
    opsCoreUrl: opsCoreServer.url,
    opsCoreApiKey: OPSCORE_KEY,
    logger: keepingLogger(),
    handlers: {
      // Two progress reports, the second once AgentKit has the first (the SDK replaces a progress
      // report not yet sent), then the outcome once the test opens the gate.
      gated: async (parameters, context: TaskContext) => {
        context.progress(25, 'a quarter');
        await until(async () => (await admin('GET', `/v1/tasks/${context.taskId}`)).json.progress === 25, 20_000, () => 'the first progress report');
        context.progress(50, 'half way');
        await gate;
        return { echoed: parameters };
      },
      block: (_parameters, context: TaskContext) =>
        new Promise((_resolve, reject) => {
          const aborted = () => {
            aborts.set(context.taskId, context.signal.reason);
            reject(context.signal.reason);
          };
          if (context.signal.aborted) aborted();
          else context.signal.addEventListener('abort', aborted);
        }),
      fail: () => {
        throw new Error('failed on purpose');
      },
    },
  });
  await agent.start();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await agent?.stop({ timeoutMs: 3000 });
  await ak?.stop();
  await opsCoreServer?.close();
});

describe('GET /console', () => {
  it('when the page and its assets are fetched, then a strict CSP, cache headers, and under 300 KB of gzipped JavaScript', async () => {
    const page = await fetch(`${ak.url}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son\w+=/); // nothing inline
    const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
    const styles = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    let gzipped = 0;
    for (const src of [...scripts, ...styles]) {
      const asset = await fetch(`${ak.url}${src}`);
      expect(asset.status, src).toBe(200);
      expect(asset.headers.get('cache-control'), src).toBe('public, max-age=31536000, immutable');
      const body = Buffer.from(await asset.arrayBuffer());
      if (src.endsWith('.js')) gzipped += gzipSync(body).length;
    }
    console.log(`console JavaScript, gzip: ${gzipped} bytes`);
    expect(gzipped).toBeGreaterThan(1000);
    expect(gzipped).toBeLessThan(300 * 1024);
    expect((await fetch(`${ak.url}/console/assets/console-nope.js`)).status).toBe(404);
  });
});

describe('signing in', () => {
  it('when a wrong key, then a registration key is pasted, then each is refused plainly and the key is not kept', async () => {
    const { page, watch } = await openPage();
    await signIn(page, 'not-a-key');
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('That key was not accepted');
    expect(await page.getByRole('alert').innerText()).toContain('Invalid API key');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.getByLabel('API key').fill(KEYS.registration);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('registration key');
    expect(watch.outside).toEqual([]);
    // Chromium logs the refused whoami (401) as a failed load; nothing else is logged.
    expect(unexpected(watch, [/status of 401/])).toEqual([]);
    await page.context().close();
  });
});

describe('as admin', () => {
  let page: Page;
  let watch: Watch;
  beforeAll(async () => {
    ({ page, watch } = await openPage());
    await signIn(page, KEYS.admin);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });
  afterAll(async () => {
    await page?.context().close();
  });

  it('when a task is dispatched and its page is open, then it reaches finished without a reload, with its timeline', async () => {
    const taskId = await dispatch('gated', { message: 'hello' });
    await page.goto(`${ak.url}/console#/tasks/${taskId}`);
    const status = page.getByTestId('task-status');
    await expect.poll(() => status.innerText(), { timeout: 20_000 }).toBe('running');
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    const timeline = page.getByRole('list', { name: 'Timeline' });
    // Each report shows as it arrives; the outcome only once the second progress is there.
    await expect.poll(() => timeline.innerText(), { timeout: 20_000 }).toContain('Progress 50% “half way”');
    openGate();
    await expect.poll(() => status.innerText(), { timeout: 20_000 }).toBe('finished');
    expect(navigations).toEqual([]); // no reload
    await expect.poll(() => timeline.innerText()).toContain('Ended finished (reported by the agent)');
    const text = await timeline.innerText();
    expect(text).toContain('Dispatched');
    expect(text).toMatch(/Delivery to the agent, attempt 1\s+HTTP 202 in \d+\.\d ms/);
    expect(text).toContain('Delivered: the agent accepted it');
    // The event log, in time order: running, each progress report, the end; heartbeats summed up.
    const order = ['Dispatched', 'Running: the agent started it', 'Progress 25% “a quarter”', 'Progress 50% “half way”', 'Ended finished (reported by the agent)'].map((t) => text.indexOf(t));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text).toMatch(/Last heartbeat\s+\d+ reports heard in all/);
    expect(await page.locator('pre.json').last().innerText()).toContain('"hello"');
    // Times in the viewer's zone, ISO on hover.
    const first = page.locator('ol.timeline time').first();
    expect(await first.getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await first.innerText()).not.toMatch(/T\d\d:\d\d/);
    await shot(page, 'task');
  });

  it("when an action is refused, then the page shows the problem's title and detail", async () => {
    // Redelivering the finished task's delivery would run it twice: AgentKit answers 409 problem+json.
    await page.goto(`${ak.url}/console#/deliveries?kind=task.delivery`);
    const item = page.locator('li.delivery[data-kind="task.delivery"][data-status="succeeded"]').first();
    await item.getByRole('button', { name: 'Redeliver' }).click();
    const alert = page.locator('.wrap > .problem[role="alert"]');
    await expect.poll(() => alert.innerText()).toContain('The task already ended (finished); dispatch it again instead');
    expect(await alert.locator('strong').innerText()).toBe('Conflict');
  });

  it('when Ops-Core fails, then its lifecycle webhooks fail and the Deliveries page lists them; after the fault clears, "Recover failed since…" sends each once', async () => {
    opsCore.faults.inject({ status: 503, match: 'notify' });
    const ids = ['outage-1', 'outage-2', 'outage-3'];
    for (const agentId of ids) expect((await admin('POST', '/v1/agents', registration({ agentId, contactEndpoint: 'http://127.0.0.1:9/tasks' }))).status).toBe(201);
    await page.goto(`${ak.url}/console#/deliveries`);
    const failedList = page.getByRole('list', { name: 'Failed deliveries' });
    const failedOf = (agentId: string) => failedList.locator(`li.delivery[data-kind="agent.lifecycle"]`, { hasText: agentId });
    for (const agentId of ids) await expect.poll(() => failedOf(agentId).count(), { timeout: 20_000 }).toBe(1);
    // Each attempt shows its code, error and latency.
    await failedOf('outage-1').locator('summary').click();
    const attempts = await failedOf('outage-1').locator('table').innerText();
    expect(attempts).toContain('503');
    expect(attempts).toMatch(/\d+\.\d ms/);
    expect(await failedOf('outage-1').innerText()).toContain('HTTP 503');
    await shot(page, 'deliveries');

    opsCore.faults.clear();
    await page.getByRole('button', { name: 'Recover failed since…' }).click();
    const recovered = page.getByRole('status');
    await expect.poll(() => recovered.getAttribute('data-requeued')).toBe('3');
    expect(await recovered.innerText()).toContain('Requeued 3 failed deliveries');
    // Every one arrives, once each, with the webhook-id it failed with.
    const failedIds = new Map<string, string>();
    for (const agentId of ids) {
      const list = (await admin('GET', `/v1/webhook-deliveries?kind=agent.lifecycle&agentId=${agentId}`)).json.items as Array<{ webhookId: string }>;
      failedIds.set(agentId, list[0]!.webhookId);
    }
    const received = () => opsCore.received().notifications.filter((n) => ids.includes(n.agentId));
    await until(() => received().length >= 3, 20_000, () => `3 REGISTERs at Ops-Core, got ${JSON.stringify(received())}`);
    await expect.poll(() => failedList.locator('li.delivery[data-kind="agent.lifecycle"]', { hasText: 'outage-' }).count(), { timeout: 20_000 }).toBe(0);
    // Asking again requeues nothing, and nothing arrives twice.
    await page.getByRole('button', { name: 'Recover failed since…' }).click();
    await expect.poll(() => recovered.getAttribute('data-requeued')).toBe('0');
    expect(await recovered.innerText()).toContain('Nothing to recover');
    const got = received();
    expect(got).toHaveLength(3);
    expect(new Set(got.map((n) => n.webhookId)).size).toBe(3);
    expect(new Map(got.map((n) => [n.agentId, n.webhookId]))).toEqual(failedIds);
  });

  it('when a running task is canceled from its page (with the keyboard), then the handler sees the abort and the page shows canceled', async () => {
    const taskId = await dispatch('block');
    await page.goto(`${ak.url}/console#/tasks/${taskId}`);
    const status = page.getByTestId('task-status');
    await expect.poll(() => status.innerText(), { timeout: 20_000 }).toBe('running');
    const cancel = page.getByRole('button', { name: 'Cancel task' });
    await cancel.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => status.innerText(), { timeout: 20_000 }).toBe('canceled');
    expect(aborts.get(taskId)).toBeInstanceOf(TaskCanceledError);
    expect(await page.getByRole('list', { name: 'Timeline' }).innerText()).toContain('Cancel requested');
    await expect.poll(() => cancel.isVisible()).toBe(false);
  });

  it('when the tasks list is filtered by status and agent, then only those show, and the agent page lists its recent tasks and an admin action', async () => {
    const failedTask = await dispatch('fail');
    await until(async () => (await admin('GET', `/v1/tasks/${failedTask}`)).json.status === 'failed', 20_000, () => 'the fail task to fail');
    await page.goto(`${ak.url}/console#/tasks`);
    await page.getByLabel('Status').selectOption('failed');
    await page.getByLabel('Agent').fill('console-agent');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.url()).toContain('status=failed');
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('failed');
    // Cursor paging, one task a page: older, older, then back to the newest.
    await page.goto(`${ak.url}/console#/tasks?agent=console-agent&limit=1`);
    const firstId = await rows.first().locator('a').first().getAttribute('href');
    await page.getByRole('button', { name: 'Older →' }).click();
    await expect.poll(() => page.getByTestId('page-number').innerText()).toBe('Page 2');
    await expect.poll(() => rows.first().locator('a').first().getAttribute('href')).not.toBe(firstId);
    await page.getByRole('button', { name: 'Older →' }).click();
    await expect.poll(() => page.getByTestId('page-number').innerText()).toBe('Page 3');
    await page.getByRole('button', { name: '← Newer' }).click();
    await page.getByRole('button', { name: '← Newer' }).click();
    await expect.poll(() => page.getByTestId('page-number').innerText()).toBe('Page 1');
    expect(await rows.first().locator('a').first().getAttribute('href')).toBe(firstId);
    expect(await page.getByRole('button', { name: '← Newer' }).isDisabled()).toBe(true);
    // Created after a time still to come: none, and the empty state says so.
    await page.getByLabel('Created after').fill('2099-01-01T00:00:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('p.empty').innerText()).toContain('No task matches these filters');
    await page.goto(`${ak.url}/console#/agents/console-agent`);
    await expect.poll(() => page.locator('tbody tr').count()).toBeGreaterThanOrEqual(3);
    expect(await page.getByRole('button', { name: 'Deregister agent' }).count()).toBe(1);
    await page.goto(`${ak.url}/console#/agents`);
    await expect.poll(() => page.locator('tbody tr', { hasText: 'console-agent' }).innerText()).toContain('http://127.0.0.1');
  });

  it('when the overview is open, then counts by status, outbox depth and the last hour chart show; nothing came from outside and nothing was logged', async () => {
    await page.goto(`${ak.url}/console#/`);
    await expect.poll(() => page.locator('[data-count="finished"] dd').first().innerText()).toBe('1');
    expect(await page.locator('[data-count="failed"] dd').first().innerText()).toBe('1');
    expect(await page.locator('[data-count="canceled"] dd').first().innerText()).toBe('1');
    expect(await page.getByRole('region', { name: 'Outbox depth (pending, by kind)' }).innerText()).toContain('agent.lifecycle');
    expect(await page.getByTestId('chart-summary').innerText()).toContain('Last hour: 1 finished, 1 failed');
    expect(await page.locator('svg.chart rect.bar-finished').count()).toBe(60);
    await shot(page, 'overview');
    expect(watch.outside).toEqual([]);
    // Chromium logs the refused redelivery above (409) as a failed load; nothing else is logged.
    expect(unexpected(watch, [/status of 409/])).toEqual([]);
  });
});

describe('as dispatcher', () => {
  it('when signed in with the dispatcher key, then no admin-only action shows, and its own actions do', async () => {
    const { page, watch } = await openPage('narrow');
    await signIn(page, KEYS.dispatcher);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const caps = await page.locator('.caps').innerText();
    expect(caps).toContain('dispatcher key may');
    expect(caps).toContain('cancel tasks');
    expect(caps).not.toContain('deregister');
    await page.goto(`${ak.url}/console#/agents/console-agent`);
    await page.getByRole('heading', { name: /Agent/ }).waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByRole('button', { name: 'Deregister agent' }).count()).toBe(0);
    await page.goto(`${ak.url}/console#/deliveries`);
    await page.getByRole('button', { name: 'Recover failed since…' }).waitFor();
    expect(watch.outside).toEqual([]);
    expect(unexpected(watch)).toEqual([]);
    await page.context().close();
  });
});

describe("as an agent's credential", () => {
  it('when signed in with an agentToken, then only its own agent shows, whatever the address asks for', async () => {
    const reg = await admin('POST', '/v1/agents', registration({ agentId: 'token-agent', contactEndpoint: 'http://127.0.0.1:9/tasks' }));
    const token = reg.json.agentToken as string;
    const { page, watch } = await openPage();
    await signIn(page, token);
    await page.getByRole('heading', { name: 'Agent token-agent' }).waitFor();
    expect(await page.locator('nav').innerText()).not.toMatch(/Tasks|Deliveries|Overview/);
    await page.goto(`${ak.url}/console#/deliveries`);
    await page.getByRole('heading', { name: 'Agent token-agent' }).waitFor();
    expect(await page.getByRole('button', { name: /Deregister|Recover|Redeliver|Cancel/ }).count()).toBe(0);
    expect(await page.locator('.caps').innerText()).toContain('may only read');
    expect(watch.outside).toEqual([]);
    expect(unexpected(watch)).toEqual([]);
    await page.context().close();
  });
});
