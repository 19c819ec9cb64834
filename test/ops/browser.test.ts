import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FIXTURE_DEVICES } from '../../src/sandbox';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) against the whole product and the
 * sandbox: sign in, follow a request to `succeeded` on the live overview, read its timeline, retry a failed request.
 * Screenshots go to test-artifacts/ops/. CI installs chromium (.ci/run); a machine without it fails here, loudly.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'ops');
const WAIT_MS = 45_000;

let h: WorkflowHarness;
let browser: Browser;
let page: Page;
let base: string;
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium is not installed at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH. This test is never skipped.`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  h = await startWorkflowHarness('opsbrowser', { APPROVAL_REQUIRED: 'false' });
  base = h.intakeUrl.replace('127.0.0.1', 'localhost');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('dialog', (dialog) => void dialog.accept());
}, 60_000);

afterAll(async () => {
  await browser.close().catch(() => undefined);
  await h.close();
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function submit(deviceId: string, outcome: 'done' | 'failed'): Promise<string> {
  h.sandbox.control.scriptAction(deviceId, { outcome, activeAfterMs: 10, finalAfterMs: 40 });
  const res = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device: { id: deviceId }, requestedBy: 'anna@contoso.com', reason: 'locked out' } });
  expect(res.statusCode).toBe(202);
  return res.json<{ id: string }>().id;
}

it('signs in with a token, follows a request to succeeded live, reads its timeline and retries a failed request', async () => {
  await page.goto(`${base}/ops`);
  expect(new URL(page.url()).pathname).toBe('/ops/login');
  expect(await page.evaluate('document.activeElement?.id')).toBe('token');
  await shot('01-sign-in');
  await page.fill('#token', h.intake.tokens.admin);
  await Promise.all([page.waitForURL(`${base}/ops`), page.click('button[type=submit]')]);
  expect(await page.textContent('h1')).toBe('Overview');
  await page.keyboard.press('Tab');
  expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
  const cookie = (await page.context().cookies()).find((c) => c.name === 'resetpc_ops');
  expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });

  // A request through the whole product and the sandbox; the overview (not reloaded) shows it succeed.
  const ok = await submit(FIXTURE_DEVICES.androidDedicated, 'done');
  const succeeded = page.locator('#live-states a[href="/ops/requests?state=succeeded"] dd');
  // Selectors, not page functions: the page's CSP (no 'unsafe-eval') blocks evaluating strings inside it.
  await page.waitForSelector('#live-states a[href="/ops/requests?state=succeeded"] dd:text-is("1")', { timeout: WAIT_MS });
  expect(await succeeded.textContent()).toBe('1');
  expect(await page.textContent('#live-status')).toMatch(/^Live: updated/);
  await shot('02-overview-succeeded');

  // Its timeline, reached from the requests list.
  await page.click('nav[aria-label=Main] >> text=Requests');
  await page.click(`a[href="/ops/requests/${ok}"]`);
  await page.waitForURL(`${base}/ops/requests/${ok}`);
  const timeline = await page.textContent('#live-timeline');
  expect(timeline).toContain('succeeded');
  expect(timeline).toContain('awaiting device');
  expect(await page.textContent('#live-graph')).toContain('done');
  await shot('03-request-timeline');

  // A failed request, retried from its page: the confirm dialog is accepted, and the page follows it to succeeded.
  const device = FIXTURE_DEVICES.androidCorporateWorkProfile;
  const failed = await submit(device, 'failed');
  await h.until(failed, 'failed', WAIT_MS);
  await page.goto(`${base}/ops/requests/${failed}`);
  expect(await page.textContent('#live-head')).toContain('failed');
  await shot('04-request-failed');
  h.sandbox.control.scriptAction(device, { outcome: 'done', activeAfterMs: 10, finalAfterMs: 40 });
  await Promise.all([page.waitForURL(`${base}/ops/requests/${failed}?done=retry`), page.click('#live-actions button:has-text("Retry")')]);
  expect(await page.textContent('.banner.ok')).toContain('Retried');
  await page.waitForSelector('#live-head .state.succeeded', { timeout: WAIT_MS });
  expect(await page.textContent('#live-timeline')).toContain('retried by admin (attempt 2)');
  await shot('05-request-retried');

  // Phone width: nothing wider than the screen (tables scroll inside their cards).
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/ops`);
  // Wide tables scroll inside their own box (with the tenant table on the page too); the page itself never does.
  expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
  await shot('06-overview-phone');

  // The pages satisfied their CSP: a blocked script or style would show here.
  expect(problems.filter((p) => /Content Security Policy|Refused/i.test(p))).toEqual([]);
  expect(h.sandbox.control.resetPasscodeCount(device)).toBe(2);
}, 180_000);
