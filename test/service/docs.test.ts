import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let ak: TestService;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (scripts/ensure-chromium.sh does) or set CHROMIUM_PATH`);
  }
  ak = await startService();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await ak?.stop();
});

describe('GET /docs', () => {
  it('when opened in headless Chromium, then Redoc renders every operation, loading nothing from outside', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    // Redoc's sidebar footer always asks for a logo on its CDN; the page's CSP blocks it
    // (the image then hides itself). What must not happen is anything loaded from outside.
    page.on('requestfinished', (r) => {
      if (!r.url().startsWith(ak.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) outside.push(r.url());
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${ak.url}/docs`);
    // A locator, not a predicate over document.body: it re-resolves across re-renders and
    // never throws while the body is not there yet (a CI run under load once hit that).
    await page
      .getByText('Dispatch a task to an agent')
      .first()
      .waitFor({ state: 'attached', timeout: 45_000 })
      .catch((e: unknown) => {
        throw new Error(`Redoc did not render (page errors: ${JSON.stringify(pageErrors)}): ${String(e)}`);
      });
    const text = await page.locator('body').innerText();
    for (const summary of [
      'Register an agent, or update its registration',
      'List registered agents',
      'Read one agent',
      'Deregister an agent',
      'Dispatch a task to an agent',
      'List tasks',
      'Read one task',
      "Report a task's progress or outcome",
      'List outgoing deliveries and their attempts',
      'Send a finished delivery again',
      'Report that the process is alive',
      'Report whether the service can take work',
    ]) {
      expect(text, summary).toContain(summary);
    }
    expect(outside).toEqual([]);
    await page.close();
  });
});
