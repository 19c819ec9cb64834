import { spawnRedisServer } from '../../src/redis/spawn';
import { WorkflowStore } from '../../src/store/workflow-store';
import { waitFor } from '../support/env';
import { TOKEN_NAMES, createTestIntake, type TestIntake } from '../support/intake';
import { postForm, signIn, type OpsLogin } from './session';
import { submit, walk } from './support';

/** The dashboard's sign-in, pages, security headers, bull-board mount and /metrics access, through the real app. */
let t: TestIntake;
let operator: OpsLogin;

beforeAll(async () => {
  t = await createTestIntake('opspages', { RATE_LIMIT_MAX: '10000' });
  operator = await signIn(t, 'operator');
});

afterAll(async () => {
  await t.close();
});

const get = (url: string, login?: OpsLogin, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers: { ...(login === undefined ? {} : { cookie: login.cookie }), ...headers } });

describe('the overview before any request finished', () => {
  it('says "no resets yet in this window" for both charts instead of drawing empty ones', async () => {
    const body = (await get('/ops', operator)).body;
    expect(body.match(/No resets yet in this window/g)).toHaveLength(2);
    expect(body).toContain('none finished in the last hour');
    expect(body).toContain('none finished in the last day');
    expect(body).not.toContain('<svg viewBox');
  });
});

describe('sign-in', () => {
  it('sends a visitor without a session to the sign-in form, remembering the page', async () => {
    const overview = await get('/ops');
    expect(overview.statusCode).toBe(303);
    expect(overview.headers.location).toBe('/ops/login');
    const deep = await get('/ops/requests?state=failed');
    expect(deep.statusCode).toBe(303);
    expect(deep.headers.location).toBe(`/ops/login?next=${encodeURIComponent('/ops/requests?state=failed')}`);
    const form = await get('/ops/login?next=%2Fops%2Frequests');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<form method="post" action="/ops/login">');
    expect(form.body).toContain('name="next" value="/ops/requests"');
  });

  it('creates a secure, httpOnly, SameSite session cookie and stores neither the token nor the cookie value in Redis', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/ops/login', payload: new URLSearchParams({ token: t.tokens.admin, next: '/ops/requests' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/ops/requests');
    const raw = String(res.headers['set-cookie']);
    expect(raw).toMatch(/^resetpc_ops=[A-Za-z0-9_-]{43};/);
    expect(raw).toMatch(/HttpOnly/);
    expect(raw).toMatch(/SameSite=Lax/);
    expect(raw).toMatch(/Secure/);
    expect(raw).toMatch(/Path=\//);
    const sid = /^resetpc_ops=([^;]+)/.exec(raw)?.[1] ?? '';
    const keys = await t.redis.keys(`${t.prefix}:ops:session:*`);
    expect(keys.length).toBeGreaterThan(0);
    const values = await Promise.all(keys.map((k) => t.redis.get(k)));
    const everything = keys.join(' ') + values.join(' ');
    expect(everything).not.toContain(sid);
    expect(everything).not.toContain(t.tokens.admin);
    expect(t.rawLogs.join('\n')).not.toContain(t.tokens.admin);
    expect(t.rawLogs.join('\n')).not.toContain(sid);
  });

  it('refuses an unknown token, a token without a dashboard role, and a form posted from another site', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/ops/login', payload: { token: 'rpt_not-a-real-token-at-all-000000000' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.body).toContain('That token is not valid');
    expect(bad.headers['set-cookie']).toBeUndefined();
    const submitter = await t.app.inject({ method: 'POST', url: '/ops/login', payload: { token: t.tokens.submitter } });
    expect(submitter.statusCode).toBe(403);
    expect(submitter.body).toContain('has no dashboard role');
    const crossSite = await t.app.inject({ method: 'POST', url: '/ops/login', payload: { token: t.tokens.admin }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.headers['set-cookie']).toBeUndefined();
  });

  it('never redirects off the dashboard after sign-in', async () => {
    for (const next of ['https://evil.example/', '//evil.example/ops', '/v1/resets', '/ops\\@evil']) {
      const res = await t.app.inject({ method: 'POST', url: '/ops/login', payload: { token: t.tokens.operator, next } });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/ops');
    }
  });

  it('signs out only with the CSRF token, and the old cookie then stops working', async () => {
    const login = await signIn(t, 'operator');
    expect((await postForm(t, '/ops/logout', login, {}, null)).statusCode).toBe(403);
    expect((await postForm(t, '/ops/logout', login, {}, 'x'.repeat(43))).statusCode).toBe(403);
    const out = await postForm(t, '/ops/logout', login);
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/ops/login');
    expect(String(out.headers['set-cookie'])).toMatch(/resetpc_ops=;/);
    expect((await get('/ops', login)).statusCode).toBe(303);
  });
});

describe('pages', () => {
  let succeeded: string;
  let failed: string;

  beforeAll(async () => {
    succeeded = await submit(t, 'PAGES-SN-1', { reason: '<script>alert(1)</script> locked out', requestedBy: 'bob@contoso.com' });
    await walk(t, succeeded, 'checking_eligibility', 'approved', 'submitting', 'succeeded');
    failed = await submit(t, 'PAGES-SN-2', { ticket: { system: 'jira', key: 'HD-77' } });
    await walk(t, failed, 'checking_eligibility', 'failed');
    await submit(t, 'PAGES-SN-3');
  });

  it('serves the overview with strict security headers and a CSP the page satisfies (no inline script or style)', async () => {
    const res = await get('/ops', operator);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.body).not.toMatch(/\sstyle="/);
    expect(res.body).not.toMatch(/\son[a-z]+="/);
  });

  it('shows requests per state, the charts, queue depth, tenants and notifications on the overview', async () => {
    const body = (await get('/ops', operator)).body;
    expect(body).toMatch(/<span class="state received">received<\/span><\/dt><dd>1<\/dd>/);
    expect(body).toMatch(/<span class="state succeeded">succeeded<\/span><\/dt><dd>1<\/dd>/);
    expect(body).toMatch(/<span class="state failed">failed<\/span><\/dt><dd>1<\/dd>/);
    expect(body).toContain('Last hour');
    expect(body).toContain('Last day');
    expect(body).toMatch(/<th scope="row">reset<\/th><td class="num" data-label="waiting">3<\/td>/);
    expect(body).toContain('No tenant seen yet');
    expect(body).toContain('Every notification so far was delivered');
    expect(body).toContain('data-live');
  });

  it('draws the charts with labelled axes once a request has finished', async () => {
    // The audit stream is folded into the charts every 2 s (src/ops/index.ts).
    let body = '';
    await waitFor(async () => (body = (await get('/ops', operator)).body).includes('<svg viewBox'), 10_000, 'the charts to show the finished requests');
    const hourChart = body.slice(body.indexOf('<strong>Last hour</strong>'), body.indexOf('<strong>Last day</strong>'));
    expect(hourChart).toContain('finished per minute</text>');
    expect(hourChart).toContain('time (UTC)</text>');
    expect(hourChart).toMatch(/text-anchor="end">0<\/text>/);
    expect(hourChart).toMatch(/text-anchor="end">1<\/text>/);
    expect(hourChart).toMatch(/>\d\d:\d[05]<\/text>/);
    expect(hourChart).toContain('Showing the last 15 minutes');
    expect(hourChart).not.toContain('No resets yet');
  });

  it('lists requests newest first with each filter, and says so when nothing matches', async () => {
    const all = (await get('/ops/requests', operator)).body;
    expect(all.indexOf('PAGES-SN-3')).toBeLessThan(all.indexOf('PAGES-SN-1'));
    const byState = (await get('/ops/requests?state=failed', operator)).body;
    expect(byState).toContain('PAGES-SN-2');
    expect(byState).not.toContain('PAGES-SN-1');
    expect((await get('/ops/requests?ticket=hd-77', operator)).body).toContain('PAGES-SN-2');
    expect((await get('/ops/requests?device=pages-sn-1', operator)).body).toContain('PAGES-SN-1');
    const byRequester = (await get('/ops/requests?requester=BOB%40contoso.com', operator)).body;
    expect(byRequester).toContain('PAGES-SN-1');
    expect(byRequester).not.toContain('PAGES-SN-3');
    const future = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16);
    const none = await get(`/ops/requests?from=${future}`, operator);
    expect(none.statusCode).toBe(200);
    expect(none.body).toContain('No request matches these filters');
    const past = new Date(Date.now() - 3_600_000).toISOString().slice(0, 16);
    expect((await get(`/ops/requests?from=${past}&to=${future}&state=received`, operator)).body).toContain('PAGES-SN-3');
    expect((await get(`/ops/requests?to=${past}`, operator)).body).toContain('No request matches');
  });

  it('shows why each finished request did not succeed in a Reason column: the code in words and the timeline\'s reason', async () => {
    const ineligible = await submit(t, 'PAGES-SN-INELIGIBLE');
    await walk(t, ineligible, 'checking_eligibility');
    const workflow = new WorkflowStore(t.redis, t.store);
    const current = await workflow.load(ineligible);
    const why = 'The device last synced with Intune 41 days ago (2024-11-21T08:00:00Z), more than the 168-hour limit. Ask the user to connect the device and sync it.';
    expect(await workflow.transition(current!.request, 'ineligible', { actor: 'test-worker', reason: why }, { ...current!.workflow, outcomeReason: 'stale_sync' })).toBe(true);

    const body = (await get('/ops/requests', operator)).body;
    expect(body).toContain('<th scope="col">Reason</th>');
    const row = (serial: string) => body.slice(body.lastIndexOf('<tr>', body.indexOf(serial)), body.indexOf('</tr>', body.indexOf(serial)));
    expect(row('PAGES-SN-2')).toContain('<span title="action_failed">Intune reported the reset failed</span>');
    expect(row('PAGES-SN-2')).toContain('test moved it to failed');
    expect(row('PAGES-SN-INELIGIBLE')).toContain('<span title="stale_sync">Device has not synced recently</span>');
    expect(row('PAGES-SN-INELIGIBLE')).toContain('The device last synced with Intune 41 days ago');
    expect(row('PAGES-SN-INELIGIBLE')).toContain(`title="${why}"`);
    expect(row('PAGES-SN-INELIGIBLE')).not.toContain('Ask the user to connect the device and sync it.</span>');
    // A request that succeeded or is still going has an empty cell.
    expect(row('PAGES-SN-1')).toContain('<td class="reason"></td>');
    expect(row('PAGES-SN-3')).toContain('<td class="reason"></td>');
    // The request's own page says the same words next to the code.
    expect((await get(`/ops/requests/${ineligible}`, operator)).body).toContain('<strong>Device has not synced recently</strong> <code>stale_sync</code>');
  });

  it('explains invalid filters instead of failing', async () => {
    const res = await get('/ops/requests?state=bogus&from=yesterday&cursor=nope', operator);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('&quot;bogus&quot; is not a state');
    expect(res.body).toContain('&quot;Created from&quot; is not a date and time');
    expect(res.body).toContain('the page link is not valid');
  });

  it('pages through the list with a cursor', async () => {
    const ids = [];
    for (let i = 0; i < 51; i++) ids.push(await submit(t, `PAGE-BULK-${String(i).padStart(2, '0')}`, { requestedBy: 'paging@contoso.com' }));
    const first = await get('/ops/requests?requester=paging%40contoso.com', operator);
    const next = /href="(\/ops\/requests\?[^"]*cursor=[^"]+)"/.exec(first.body)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toBeDefined();
    expect(first.body).toContain('PAGE-BULK-50');
    expect(first.body).not.toContain('PAGE-BULK-00<');
    const second = await get(next ?? '', operator);
    expect(second.body).toContain('PAGE-BULK-00');
    expect(second.body).not.toContain('PAGE-BULK-50');
    expect(second.body).toContain('First page');
    expect(second.body).not.toContain('rel="next"');
  });

  it('shows a request\'s timeline, device, Graph action, outcome with its link, and escapes what users typed', async () => {
    const res = await get(`/ops/requests/${failed}`, operator);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('test moved it to failed');
    expect(res.body).toContain('serialNumber: PAGES-SN-2');
    expect(res.body).toContain('jira HD-77');
    expect(res.body).toContain('<code>action_failed</code>');
    expect(res.body).toContain('https://learn.microsoft.com/');
    expect(res.body).toContain('No resetPasscode sent yet');
    expect(res.body).toContain(`action="/ops/requests/${failed}/retry"`);
    const other = await get(`/ops/requests/${succeeded}`, operator);
    expect(other.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; locked out');
    expect(other.body).not.toContain('<script>alert(1)');
    expect(other.body).not.toContain(`/ops/requests/${succeeded}/retry`);
  });

  it('warns that a retry makes a new passcode for a timed-out request, also once a retry that could not start put it back to failed', async () => {
    const id = await submit(t, 'PAGES-SN-TIMEOUT');
    await walk(t, id, 'checking_eligibility');
    const workflow = new WorkflowStore(t.redis, t.store);
    const current = await workflow.load(id);
    if (current === undefined) throw new Error('no request');
    // What a retry that could not start leaves: failed, with the timed-out attempt's outcome reason.
    expect(await workflow.transition(current.request, 'failed', { actor: 'operator', reason: 'the retry was not started' }, { ...current.workflow, outcomeReason: 'timed_out' })).toBe(true);
    const page = await get(`/ops/requests/${id}`, operator);
    expect(page.body).toContain('data-confirm="The first reset may still have taken effect: a retry makes a new passcode. Retry?"');
    const plain = await get(`/ops/requests/${failed}`, operator);
    expect(plain.body).toContain('data-confirm="Retry this request from the device check?"');
  });

  it('warns too for a request the jobless sweep ended after a timed-out attempt was retried, or while its reset may have been sent', async () => {
    const workflow = new WorkflowStore(t.redis, t.store);
    const warning = 'data-confirm="The first reset may still have taken effect: a retry makes a new passcode. Retry?"';
    const plainly = 'data-confirm="Retry this request from the device check?"';
    // Attempt 1 timed out; the retry moved it (its workflow starts again) and stopped before its job; the sweep ended it.
    const retried = await submit(t, 'PAGES-SN-SWEPT-RETRY');
    await walk(t, retried, 'checking_eligibility', 'approved', 'submitting', 'awaiting_device', 'timed_out', 'checking_eligibility');
    const afterRetry = await workflow.load(retried);
    if (afterRetry === undefined) throw new Error('no request');
    expect(await workflow.transition(afterRetry.request, 'failed', { actor: 'worker', reason: 'its job was lost' }, { attempt: 2, outcomeReason: 'internal_error' })).toBe(true);
    expect((await get(`/ops/requests/${retried}`, operator)).body).toContain(warning);
    // Ended by the sweep in awaiting_device: the POST went out.
    const sent = await submit(t, 'PAGES-SN-SWEPT-SENT');
    await walk(t, sent, 'checking_eligibility', 'approved', 'submitting', 'awaiting_device');
    const inFlight = await workflow.load(sent);
    if (inFlight === undefined) throw new Error('no request');
    expect(await workflow.transition(inFlight.request, 'failed', { actor: 'worker', reason: 'its job was lost' }, { ...inFlight.workflow, outcomeReason: 'internal_error' })).toBe(true);
    expect((await get(`/ops/requests/${sent}`, operator)).body).toContain(warning);
    // Ended by the sweep before anything was sent, with no timed-out attempt: the plain question.
    const early = await submit(t, 'PAGES-SN-SWEPT-EARLY');
    await walk(t, early, 'checking_eligibility');
    const checking = await workflow.load(early);
    if (checking === undefined) throw new Error('no request');
    expect(await workflow.transition(checking.request, 'failed', { actor: 'worker', reason: 'its job was lost' }, { ...checking.workflow, outcomeReason: 'internal_error' })).toBe(true);
    expect((await get(`/ops/requests/${early}`, operator)).body).toContain(plainly);
  });

  it('answers an unknown dashboard address with a page, not JSON', async () => {
    const res = await get('/ops/nothing/here?x=<b>', operator);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('There is no dashboard page at /ops/nothing/here.');
  });

  it('answers an unknown or malformed request id with a clear 404 page', async () => {
    const unknown = await get('/ops/requests/00000000-0000-4000-8000-000000000009', operator);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('No such request');
    expect(unknown.body).toContain('There is no request with id 00000000-0000-4000-8000-000000000009.');
    const malformed = await get('/ops/requests/%3Cimg%3E', operator);
    expect(malformed.statusCode).toBe(404);
    expect(malformed.body).toContain('&lt;img&gt;');
  });

  it('serves its stylesheet and script from the product, cached by content hash', async () => {
    const body = (await get('/ops', operator)).body;
    const css = /href="(\/ops\/static\/app\.[0-9a-f]{12}\.css)"/.exec(body)?.[1] ?? '';
    const js = /src="(\/ops\/static\/app\.[0-9a-f]{12}\.js)"/.exec(body)?.[1] ?? '';
    const cssRes = await get(css);
    expect(cssRes.statusCode).toBe(200);
    expect(cssRes.headers['content-type']).toMatch(/text\/css/);
    expect(cssRes.headers['cache-control']).toContain('immutable');
    const jsRes = await get(js);
    expect(jsRes.statusCode).toBe(200);
    expect(jsRes.headers['content-type']).toMatch(/javascript/);
    expect(jsRes.body).toContain('DOMParser');
    expect((await get('/ops/static/other.js')).statusCode).toBe(404);
  });

  it('serves an icon at /favicon.svg and /favicon.ico, linked from every page, within the CSP', async () => {
    const body = (await get('/ops', operator)).body;
    expect(body).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
    for (const url of ['/favicon.svg', '/favicon.ico']) {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
      expect(res.body).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(res.body).not.toMatch(/<script|\sstyle=|\son[a-z]+=/);
    }
    expect(String((await get('/ops', operator)).headers['content-security-policy'])).toContain("img-src 'self'");
  });

  it('lets wide tables reflow or scroll inside their card on a narrow screen', async () => {
    const admin = await signIn(t, 'admin');
    expect((await postForm(t, '/ops/tenants', admin, { tenantId: '3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a' })).statusCode).toBe(303);
    const body = (await get('/ops', admin)).body;
    // The tenant and queue tables become one labelled box per row under 600 px.
    expect(body).toContain('<table class="stack"><caption class="sr-only">Tenants</caption>');
    expect(body).toContain('<table class="stack"><caption class="sr-only">Queue depth</caption>');
    expect(body).toContain('data-label="Graph writes (window)"');
    expect(body).toContain('<td class="block" data-label="Actions">');
    const css = (await get(/href="(\/ops\/static\/app\.[0-9a-f]{12}\.css)"/.exec(body)?.[1] ?? '')).body;
    expect(css).toMatch(/@media \(max-width: 600px\) \{\n {2}table\.stack, table\.stack tbody, table\.stack tr \{ display: block;/);
    expect(css).toContain('td::before { content: attr(data-label)');
    // The others scroll inside their own box; grid cells may shrink below their content.
    expect(css).toContain('.table-wrap { overflow-x: auto; max-width: 100%;');
    expect(css).toContain('.grid > * { min-width: 0; }');
  });

  it('lets an approver in to read but shows no operator actions', async () => {
    const approver = await signIn(t, 'approver');
    const res = await get(`/ops/requests/${failed}`, approver);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`Signed in as <strong>${TOKEN_NAMES.approver}</strong>`);
    expect(res.body).not.toContain('/retry"');
  });
});

describe('the Approve button', () => {
  let approver: OpsLogin;
  let admin: OpsLogin;
  const approveForm = (id: string) => `action="/ops/requests/${id}/approve"`;
  const page = async (id: string, login: OpsLogin) => (await get(`/ops/requests/${id}`, login)).body;

  beforeAll(async () => {
    [approver, admin] = await Promise.all([signIn(t, 'approver'), signIn(t, 'admin')]);
  });

  it('shows on an API request awaiting approval to an approver who neither asked for it nor submitted it', async () => {
    const id = await submit(t, 'APPROVE-SHOW-1');
    await walk(t, id, 'checking_eligibility', 'awaiting_approval');
    expect(await page(id, approver)).toContain(approveForm(id));
    expect(await page(id, admin)).toContain(approveForm(id));
  });

  it('is absent on the viewer\'s own submission, saying why', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('admin'), payload: { device: { serialNumber: 'APPROVE-OWN-1' }, requestedBy: 'anna@contoso.com' } });
    expect(res.statusCode).toBe(202);
    const id = res.json<{ id: string }>().id;
    await walk(t, id, 'checking_eligibility', 'awaiting_approval');
    const body = await page(id, admin);
    expect(body).not.toContain(approveForm(id));
    expect(body).toContain('You submitted this request, so you cannot also approve it');
    // Someone else still sees it.
    expect(await page(id, approver)).toContain(approveForm(id));
  });

  it('is absent for the requester', async () => {
    const id = await submit(t, 'APPROVE-OWN-2', { requestedBy: TOKEN_NAMES.approver });
    await walk(t, id, 'checking_eligibility', 'awaiting_approval');
    const body = await page(id, approver);
    expect(body).not.toContain(approveForm(id));
    expect(body).toContain('You asked for this reset, so you cannot also approve it');
  });

  it('is gone once the request is approved, and says by whom', async () => {
    const id = await submit(t, 'APPROVE-DONE-1');
    await walk(t, id, 'checking_eligibility', 'awaiting_approval');
    expect((await postForm(t, `/ops/requests/${id}/approve`, approver)).statusCode).toBe(303);
    const after = await page(id, admin);
    expect(after).not.toContain(approveForm(id));
    expect(after).toContain(`Approved by ${TOKEN_NAMES.approver}.`);
    await walk(t, id, 'approved');
    expect(await page(id, admin)).not.toContain(approveForm(id));
  });

  it('is absent on a ticket\'s request, a finished one, and for an operator', async () => {
    const ticketed = await submit(t, 'APPROVE-TICKET-1', { ticket: { system: 'jira', key: 'HD-78' } });
    const ticketPage = await page(ticketed, approver);
    expect(ticketPage).not.toContain(approveForm(ticketed));
    expect(ticketPage).toContain('This request came from jira ticket HD-78: its approval is given in the ticket.');
    const finished = await submit(t, 'APPROVE-FINAL-1');
    await walk(t, finished, 'checking_eligibility', 'failed');
    expect(await page(finished, approver)).not.toContain(approveForm(finished));
    const waiting = await submit(t, 'APPROVE-OPERATOR-1');
    await walk(t, waiting, 'checking_eligibility', 'awaiting_approval');
    const operatorPage = await page(waiting, operator);
    expect(operatorPage).not.toContain(approveForm(waiting));
    expect(operatorPage).toContain(`action="/ops/requests/${waiting}/cancel"`);
  });
});

describe('bull-board at /admin/queues', () => {
  it('needs a session: the page redirects to sign-in, the API answers 401', async () => {
    const page = await get('/admin/queues/');
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe(`/ops/login?next=${encodeURIComponent('/admin/queues/')}`);
    expect((await get('/admin/queues/api/queues')).statusCode).toBe(401);
  });

  it('is read-only for operate and refuses an approver', async () => {
    const page = await get('/admin/queues/', operator);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<base href="/admin/queues/"');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    const queues = await get('/admin/queues/api/queues', operator);
    expect(queues.statusCode).toBe(200);
    expect(queues.body).toContain('notify');
    const pause = await t.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/notify/pause', headers: { cookie: operator.cookie } });
    expect(pause.statusCode).toBe(403);
    expect(await t.queues.notify.isPaused()).toBe(false);
    const approver = await signIn(t, 'approver');
    expect((await get('/admin/queues/api/queues', approver)).statusCode).toBe(403);
  });

  it('lets admin act, from the same origin only', async () => {
    const admin = await signIn(t, 'admin');
    const crossSite = await t.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/notify/pause', headers: { cookie: admin.cookie, origin: 'https://evil.example' } });
    expect(crossSite.statusCode).toBe(403);
    const pause = await t.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/notify/pause', headers: { cookie: admin.cookie, origin: 'http://localhost:80' } });
    expect(pause.statusCode).toBeLessThan(300);
    expect(await t.queues.notify.isPaused()).toBe(true);
    await t.queues.notify.resume();
  });
});

describe('GET /metrics', () => {
  it('needs a bearer token with the operate role', async () => {
    expect((await get('/metrics')).statusCode).toBe(401);
    expect((await get('/metrics', undefined, t.auth('submitter'))).statusCode).toBe(403);
    const res = await get('/metrics', undefined, t.auth('operator'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^resetpc_requests\{state="succeeded"\} 1$/m);
    expect(res.body).toMatch(/^resetpc_queue_jobs\{queue="reset",status="waiting"\} \d+$/m);
    expect(res.body).toContain('# TYPE resetpc_stage_duration_seconds histogram');
  });
});

describe('when Redis is down', () => {
  it('says so on a page, with the runbook, instead of failing blank', async () => {
    const redis = await spawnRedisServer();
    const down = await createTestIntake('opsdown', {}, redis.url);
    try {
      const login = await signIn(down, 'operator');
      await redis.stop();
      const res = await down.app.inject({ method: 'GET', url: '/ops', headers: { cookie: login.cookie } });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toContain('Redis is unavailable');
      expect(res.body).toContain('docs/operations.md, &quot;Redis down&quot;');
    } finally {
      await down.close();
      await redis.stop().catch(() => undefined);
    }
  });
});
