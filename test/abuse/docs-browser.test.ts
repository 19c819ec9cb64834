import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { createTestIntake, type TestIntake } from '../support/intake';

/**
 * The API docs (/docs) under their new CSP, in a real browser (Debian's chromium, driven by playwright-core): the
 * headers that stop framing, sniffing and injected scripts (see http-hardening.test.ts) must not stop Swagger UI
 * itself. The page must render the document, with no CSP violation and no failed request. A machine without chromium
 * fails here, loudly, as test/ops/browser.test.ts does.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let t: TestIntake;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium is not installed at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH. This test is never skipped.`);
  }
  t = await createTestIntake('docsbrowser', { RATE_LIMIT_MAX: '100000' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://localhost:${String((t.app.server.address() as AddressInfo).port)}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
}, 60_000);

afterAll(async () => {
  await browser.close().catch(() => undefined);
  await t.close();
});

it.each(['/docs', '/docs/'])('renders the API document at %s under the CSP, with no violation and no failed request', async (path) => {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('requestfailed', (request) => problems.push(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`));
  try {
    const response = await page.goto(`${base}${path}`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toContain('Intune passcode reset');
    // The operations are listed: Swagger UI read /docs/json and rendered it.
    await page.waitForSelector('.opblock-summary-path[data-path="/v1/resets"]', { timeout: 20_000 });
    expect(problems).toEqual([]);
  } finally {
    await page.close();
  }
});
