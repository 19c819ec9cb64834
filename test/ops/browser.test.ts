import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) against the whole product and the
 * sandbox, with approval required: sign in, approve a request from its page and follow it to `succeeded`, see no
 * Approve button on one's own request or after an approval, see a refused action inline, read why a request failed in
 * the requests list, retry it, and use the pages at phone width. The tests run in order on one signed-in page.
 * Screenshots go to test-artifacts/ops/. CI installs chromium (.ci/run); a machine without it fails here, loudly.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'ops');
const WAIT_MS = 45_000;

// Set by beforeAll only when chromium is there and the product starts: afterAll closes only what exists, so a machine
// without chromium reports that, and nothing else.
let h: WorkflowHarness | undefined;
let browser: Browser | undefined;
let page: Page;
let base: string;
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium is not installed at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH. This test is never skipped.`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  h = await startWorkflowHarness('opsbrowser', { APPROVAL_REQUIRED: 'true' });
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
  if (browser !== undefined) await browser.close().catch(() => undefined);
  if (h !== undefined) await h.close();
});

/** The harness, once beforeAll has started it (a test never runs when beforeAll failed). */
function harness(): WorkflowHarness {
  if (h === undefined) throw new Error('the product did not start');
  return h;
}

async function shot(name: string, on: Page = page): Promise<void> {
  await on.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Submits an API request for a sandbox device (as the submitter token unless `by` says otherwise); its id. */
async function submit(deviceId: string, outcome: 'done' | 'failed', by: 'submitter' | 'admin' = 'submitter'): Promise<string> {
  harness().sandbox.control.scriptAction(deviceId, { outcome, activeAfterMs: 10, finalAfterMs: 40 });
  const res = await harness().intake.app.inject({ method: 'POST', url: '/v1/resets', headers: harness().intake.auth(by), payload: { device: { id: deviceId }, requestedBy: 'anna@contoso.com', reason: 'locked out' } });
  expect(res.statusCode).toBe(202);
  return res.json<{ id: string }>().id;
}

/** The page does not scroll sideways: nothing on it is wider than the screen. */
async function fitsTheScreen(on: Page = page): Promise<boolean> {
  // A string, not a function: the page's CSP (no 'unsafe-eval') blocks evaluating functions inside it.
  return (await on.evaluate('document.documentElement.scrollWidth <= window.innerWidth')) === true;
}

const approveButton = (on: Page = page) => on.locator('#live-actions button:has-text("Approve")');

it('signs in with a token, and the overview\'s charts say there are no resets yet', async () => {
  await page.goto(`${base}/ops`);
  expect(new URL(page.url()).pathname).toBe('/ops/login');
  expect(await page.evaluate('document.activeElement?.id')).toBe('token');
  await shot('01-sign-in');
  await page.fill('#token', harness().intake.tokens.admin);
  await Promise.all([page.waitForURL(`${base}/ops`), page.click('button[type=submit]')]);
  expect(await page.textContent('h1')).toBe('Overview');
  await page.keyboard.press('Tab');
  expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
  const cookie = (await page.context().cookies()).find((c) => c.name === 'resetpc_ops');
  expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });

  expect(await page.locator('#live-charts .chart-empty').count()).toBe(2);
  expect(await page.textContent('#live-charts')).toContain('No resets yet in this window: none finished in the last hour.');
  expect(await page.locator('#live-charts svg').count()).toBe(0);
  // The icon the page links to, and /favicon.ico for whoever asks for it.
  expect(await page.getAttribute('link[rel=icon]', 'href')).toBe('/favicon.svg');
  for (const url of ['/favicon.svg', '/favicon.ico']) {
    const icon = await page.request.get(`${base}${url}`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toMatch(/^image\/svg\+xml/);
  }
  await shot('02-overview-empty');
}, 60_000);

it('approves a request from its page: the Approve button is then gone, and the request succeeds live', async () => {
  const ok = await submit(FIXTURE_DEVICES.androidDedicated, 'done');
  await harness().until(ok, 'awaiting_approval', WAIT_MS);
  await page.click('nav[aria-label=Main] >> text=Requests');
  await page.click(`a[href="/ops/requests/${ok}"]`);
  await page.waitForURL(`${base}/ops/requests/${ok}`);
  expect(await approveButton().count()).toBe(1);
  await shot('03-request-awaiting-approval');

  await Promise.all([page.waitForURL(`${base}/ops/requests/${ok}?done=approve`), approveButton().click()]);
  expect(await page.textContent('.banner.ok')).toContain('Approved');
  expect(await approveButton().count()).toBe(0);
  await page.waitForSelector('#live-head .state.succeeded', { timeout: WAIT_MS });
  expect(await approveButton().count()).toBe(0);
  const timeline = await page.textContent('#live-timeline');
  expect(timeline).toContain('approved by admin');
  expect(timeline).toContain('awaiting device');
  expect(await page.textContent('#live-graph')).toContain('done');
  await shot('04-request-approved-succeeded');

  // The overview counts it, and its chart appears live (the audit stream is folded in every 2 s), with its axes.
  await page.goto(`${base}/ops`);
  expect(await page.textContent('#live-states a[href="/ops/requests?state=succeeded"] dd')).toBe('1');
  // Selectors, not page functions: the page's CSP (no 'unsafe-eval') blocks evaluating strings inside it.
  await page.waitForSelector('#live-charts svg', { timeout: WAIT_MS });
  await page.waitForSelector('#live-status:text-matches("^Live: updated")', { timeout: WAIT_MS });
  const chart = await page.textContent('#live-charts figure:first-child svg');
  expect(chart).toContain('finished per minute');
  expect(chart).toContain('time (UTC)');
  await shot('05-overview-chart');
}, 90_000);

it('shows no Approve button on the viewer\'s own request, and says why', async () => {
  const own = await submit(FIXTURE_DEVICES.androidFullyManaged, 'done', 'admin');
  await harness().until(own, 'awaiting_approval', WAIT_MS);
  await page.goto(`${base}/ops/requests/${own}`);
  expect(await approveButton().count()).toBe(0);
  expect(await page.textContent('#approve-note')).toContain('You submitted this request, so you cannot also approve it');
  expect(await page.locator('#live-actions button:has-text("Cancel")').count()).toBe(1);
  await shot('06-own-request');
}, 60_000);

it('shows a refused action inline, on the request\'s page where it was tried', async () => {
  const id = await submit(FIXTURE_DEVICES.androidAosp, 'done');
  await harness().until(id, 'awaiting_approval', WAIT_MS);
  // A second window (the same session) whose live updates are held back, so it keeps offering Approve after the
  // request changes elsewhere.
  if (browser === undefined) throw new Error('chromium did not start');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addCookies(await page.context().cookies());
  const stale = await context.newPage();
  try {
    await stale.route(
      (url) => url.pathname.startsWith('/ops/requests/'),
      (route) => (route.request().headers()['x-ops-live'] === '1' ? route.abort() : route.continue()),
    );
    await stale.goto(`${base}/ops/requests/${id}`);
    expect(await approveButton(stale).count()).toBe(1);
    const cancelled = await harness().intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/cancel`, headers: harness().intake.auth('operator'), payload: { reason: 'the user found the passcode' } });
    expect(cancelled.statusCode).toBe(200);

    await Promise.all([stale.waitForURL(/\?refused=/), approveButton(stale).click()]);
    expect(new URL(stale.url()).pathname).toBe(`/ops/requests/${id}`);
    expect(await stale.textContent('h1')).toContain(id);
    const refusal = await stale.textContent('#refusal [role=alert]');
    expect(refusal).toContain('That action was not done');
    expect(refusal).toMatch(/already cancelled/);
    expect(await approveButton(stale).count()).toBe(0);
    await shot('07-refusal-inline', stale);
  } finally {
    await context.close();
  }
}, 60_000);

it('says why requests did not succeed in the requests list, and retries a failed one from its page', async () => {
  const device = FIXTURE_DEVICES.androidCorporateWorkProfile;
  const failed = await submit(device, 'failed');
  await harness().until(failed, 'awaiting_approval', WAIT_MS);
  const approved = await harness().intake.app.inject({ method: 'POST', url: `/v1/resets/${failed}/approve`, headers: harness().intake.auth('approver') });
  expect(approved.statusCode).toBe(200);
  await harness().until(failed, 'failed', WAIT_MS);
  const ineligible = await submit(FIXTURE_DEVICES.macos, 'done');
  await harness().until(ineligible, 'ineligible', WAIT_MS);

  await page.goto(`${base}/ops/requests`);
  expect(await page.textContent('#live-list thead')).toContain('Reason');
  const row = (id: string) => page.locator(`#live-list tr:has(a[href="/ops/requests/${id}"]) td.reason`);
  expect(await row(failed).textContent()).toContain('Intune reported the reset failed');
  expect(await row(ineligible).textContent()).toContain('macOS: no passcode reset');
  expect(await row(failed).locator('span.muted').count()).toBe(1);
  await shot('08-requests-reasons');

  // Retried from its page (the confirm dialog is accepted): a new attempt, which needs a new approval.
  await page.goto(`${base}/ops/requests/${failed}`);
  expect(await page.textContent('#live-head')).toContain('failed');
  harness().sandbox.control.scriptAction(device, { outcome: 'done', activeAfterMs: 10, finalAfterMs: 40 });
  await Promise.all([page.waitForURL(`${base}/ops/requests/${failed}?done=retry`), page.click('#live-actions button:has-text("Retry")')]);
  expect(await page.textContent('.banner.ok')).toContain('Retried');
  // The page follows it live: when the new attempt waits for an approval, Approve appears, and is given here.
  await page.waitForSelector('#live-head .state.succeeded, #live-actions button:has-text("Approve")', { timeout: WAIT_MS });
  if ((await approveButton().count()) === 1) await Promise.all([page.waitForURL(`${base}/ops/requests/${failed}?done=approve`), approveButton().click()]);
  await page.waitForSelector('#live-head .state.succeeded', { timeout: WAIT_MS });
  expect(await page.textContent('#live-timeline')).toContain('retried by admin (attempt 2)');
  expect(harness().sandbox.control.resetPasscodeCount(device)).toBe(2);
  await shot('09-request-retried');
}, 120_000);

it('keeps every page within a phone-width screen: wide tables reflow or scroll inside their card', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/ops`);
  // The tenant and queue tables are on the overview, one box per row at this width.
  expect(await page.locator('table.stack').count()).toBeGreaterThanOrEqual(1);
  expect(await page.locator('#live-queues table.stack').count()).toBe(1);
  expect(await fitsTheScreen()).toBe(true);
  await shot('10-overview-phone');
  await page.goto(`${base}/ops/requests`);
  expect(await fitsTheScreen()).toBe(true);
  await shot('11-requests-phone');
  const first = await page.getAttribute('#live-list tbody a', 'href');
  await page.goto(`${base}${first ?? '/ops'}`);
  expect(await fitsTheScreen()).toBe(true);
  await shot('12-request-phone');

  // The pages satisfied their CSP: a blocked script or style would show here.
  expect(problems.filter((p) => /Content Security Policy|Refused/i.test(p))).toEqual([]);
}, 60_000);
