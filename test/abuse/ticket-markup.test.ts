import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { newIncident, newIssue, startNotifyHarness, type NotifyHarness } from '../notify/support';

/**
 * Markup injection into tickets (issue 10, finding 5): values that come from end users (the device name they chose,
 * which Intune reports; the requester and reason of a ticket; an approver's name; the candidates of an ambiguous
 * device name) are written by the real notify worker into the sandbox's ServiceNow and Jira. None may reach a ticket
 * as live markup.
 *
 * Sources (also cited in test/unit/ticket-markup.test.ts):
 * - ServiceNow docs, "Render journal field entries as HTML" and "Disable embedded HTML code": journal fields render
 *   the text between `[code]` and `[/code]` as HTML while `glide.ui.security.allow_codetag` is true (the default),
 *   which "may lead to cross-site scripting"; the Universal Request docs write the tag as `[CODE]`.
 * - Jira: the JSM comment endpoint (`POST /rest/servicedeskapi/request/{key}/comment`) takes `body` as a plain string,
 *   which Jira renders as wiki markup; Jira's escape set is - # * _ + ? ^ ~ | % { } [ ] ( ) ! @ (its
 *   BackslashEscapeRendererComponent, as ported in @atlaskit/editor-wikimarkup-transformer's escape.js).
 * - ADF (`POST /rest/api/3/issue/{key}/comment`) is structured: a value is a text node, and only the product's own
 *   addresses carry a link mark.
 */
const LIVE_CODE_TAG = /\[\s*\/?\s*code\s*\]/iu;

const HOSTILE = {
  deviceName: '[code]<img src=x onerror=alert(1)>[/code]',
  reason: 'the device said [CODE]<script>alert(2)</script>[/Code]',
  requester: 'anna[ code ]<svg onload=alert(3)>[ /code ]@contoso.com',
  approver: 'mia[code]<iframe src=javascript:alert(4)>[/code]@contoso.com',
  candidate: '[Code]<a href=https://evil.example>Reset here</a>[/CODE]',
} as const;

const WIKI_DEVICE = '{html}<img src=x onerror=alert(1)>{html} [Reset here|https://evil.example/login] !https://evil.example/x.png! {color:red}URGENT{color}';

describe('markup from end users in ticket notifications', () => {
  let h: NotifyHarness;

  beforeAll(async () => {
    h = await startNotifyHarness('markup', {
      JIRA_PROJECTS: 'HD,OPS',
      NOTIFY_TICKET_EVENTS: 'ineligible,failed',
      NOTIFY_EMAIL_EVENTS: 'failed',
      SERVICENOW_COMMENT_EVENTS: 'ineligible,failed',
      SERVICENOW_INCIDENT_FAILURE_STATE: '6',
      SERVICENOW_INCIDENT_FAILURE_CLOSE_CODE: 'Not Solved (Not Reproducible)',
    });
  });

  afterAll(async () => {
    await h.close();
  });

  it('writes no live [code] tag to a ServiceNow work note, comment or close notes, and shows each value as text', async () => {
    const ticket = newIncident(h);
    const request = await h.seed({
      state: 'failed',
      ticket,
      requestedBy: HOSTILE.requester,
      reason: HOSTILE.reason,
      workflow: { deviceName: HOSTILE.deviceName, approver: HOSTILE.approver, outcomeReason: 'action_failed' },
    });
    const [onTicket] = await h.announce(request, 'failed');
    expect(onTicket?.state).toBe('delivered');

    const control = h.sandbox.servicenow.control;
    const [note] = control.journal(ticket.sysId ?? '', 'work_notes');
    const [comment] = control.journal(ticket.sysId ?? '', 'comments');
    const closeNotes = control.record('incident', ticket.sysId ?? '')?.close_notes;
    for (const written of [note?.value, comment?.value, closeNotes]) {
      expect(written).toBeDefined();
      expect(written).not.toMatch(LIVE_CODE_TAG);
    }
    // The agent still reads what the user wrote: the HTML is text (ServiceNow escapes it outside a [code] block).
    expect(note?.value).toContain('<img src=x onerror=alert(1)>');
    expect(note?.value).toContain('<script>alert(2)</script>');
    expect(note?.value).toContain('<svg onload=alert(3)>');
    expect(note?.value).toContain('<iframe src=javascript:alert(4)>');
    expect(closeNotes).toContain('<script>alert(2)</script>');
    // Every write the product made to this ServiceNow instance.
    expect(JSON.stringify(control.writes)).not.toMatch(LIVE_CODE_TAG);
  });

  it('writes no live [code] tag for the candidates of an ambiguous device name', async () => {
    const ticket = newIncident(h);
    const request = await h.seed({
      state: 'ineligible',
      ticket,
      reason: 'the device name matches 2 devices',
      workflow: {
        outcomeReason: 'device_ambiguous',
        candidates: [
          { id: FIXTURE_DEVICES.androidFullyManaged, deviceName: HOSTILE.candidate, operatingSystem: 'Android' },
          { id: 'b2', deviceName: HOSTILE.candidate, operatingSystem: 'Android' },
        ],
      },
    });
    await h.announce(request, 'ineligible');
    const [note] = h.sandbox.servicenow.control.journal(ticket.sysId ?? '', 'work_notes');
    expect(note?.value).toContain('<a href=https://evil.example>Reset here</a>');
    expect(note?.value).not.toMatch(LIVE_CODE_TAG);
  });

  it('escapes Jira wiki markup from end users in a JSM comment, keeping the product\'s own words and links', async () => {
    const ticket = newIssue(h, 'HD');
    const request = await h.seed({ state: 'failed', ticket, reason: '*Approved* by {color:green}IT{color}', workflow: { deviceName: WIKI_DEVICE, outcomeReason: 'action_failed' } });
    const [onTicket] = await h.announce(request, 'failed');
    expect(onTicket?.state).toBe('delivered');
    const comment = h.sandbox.jira.control.issue(ticket.key)?.comments[0];
    expect(comment?.via).toBe('servicedesk');
    const body = String(comment?.body);
    for (const live of ['{html}', '{color:red}', '{color}', '[Reset here|', '!https://', 'https://evil.example', '*Approved*']) expect(body).not.toContain(live);
    expect(body).toContain('\\{html\\}<img src=x onerror=alert\\(1\\)>\\{html\\}');
    expect(body).toContain('\\[Reset here\\|https\\[:\\]//evil.example/login\\]');
    expect(body).toContain('\\!https\\[:\\]//evil.example/x.png\\!');
    expect(body).toContain('\\*Approved\\* by \\{color:green\\}IT\\{color\\}');
    // The product's own text and link are written as they are.
    expect(body).toContain('The passcode reset failed.');
    expect(body).toContain(`https://resetpc.contoso.com/ops/requests/${request.id}`);
  });

  it('writes a value into a Jira ADF comment as plain text: no link to an address from outside', async () => {
    const ticket = newIssue(h, 'OPS');
    const request = await h.seed({ state: 'failed', ticket, reason: 'see https://evil.example/fix', workflow: { deviceName: 'https://evil.example/login', outcomeReason: 'action_failed' } });
    const [onTicket] = await h.announce(request, 'failed');
    expect(onTicket?.state).toBe('delivered');
    const body = h.sandbox.jira.control.issue(ticket.key)?.comments[0]?.body;
    const marks: string[] = [];
    const texts: string[] = [];
    const walk = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as { text?: string; marks?: { type: string; attrs?: { href?: string } }[]; content?: unknown[] };
      if (typeof n.text === 'string') texts.push(n.text);
      for (const m of n.marks ?? []) if (m.type === 'link') marks.push(m.attrs?.href ?? '');
      for (const c of n.content ?? []) walk(c);
    };
    walk(body);
    expect(texts.some((t) => t.includes('Device: https://evil.example/login'))).toBe(true);
    expect(texts.some((t) => t.includes('see https://evil.example/fix'))).toBe(true);
    expect(marks.length).toBeGreaterThan(0);
    for (const href of marks) expect(href).not.toContain('evil.example');
    expect(marks).toContain(`https://resetpc.contoso.com/ops/requests/${request.id}`);
  });
});
