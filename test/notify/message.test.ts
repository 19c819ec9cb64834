import type { ResetRequest, TimelineEntry } from '../../src/domain/request';
import type { WorkflowData } from '../../src/domain/workflow';
import { REASON_LINKS } from '../../src/domain/reasons';
import { buildFacts, type FactsInput } from '../../src/notify/facts';
import { composeMessage, textToAdf } from '../../src/notify/message';
import { escapeHtml, parseTemplate, render, TemplateError } from '../../src/notify/render';
import { NOTIFY_EVENTS } from '../../src/queue/catalog';

/** The words of every notification, from the facts and the template files: pure, no Redis, no HTTP. */
const LINKS = { adminCenterDeviceUrl: 'https://intune.microsoft.com/#view/Microsoft_Intune_Devices/DeviceSettingsMenuBlade/~/overview/mdmDeviceId/{id}', dashboardBaseUrl: 'https://resetpc.contoso.com/' };
const DEVICE = '0f5c1d2e-1111-4a5b-8c9d-000000000010';
const ID = '6f1c7a2e-8d3b-4e5f-9a0b-1c2d3e4f5a6b';

function input(event: (typeof NOTIFY_EVENTS)[number], workflow: WorkflowData = {}, reason = 'the device reported failed (error 1)', at = '2026-03-02T09:00:00.000Z'): FactsInput {
  const request: ResetRequest = {
    id: ID,
    state: 'received',
    device: { kind: 'serialNumber', value: 'R58M123ABC' },
    requestedBy: 'anna@contoso.com',
    ticket: { system: 'jira', key: 'HD-42' },
    linkedTickets: [],
    source: 'jira',
    submittedBy: 'webhook:jira',
    createdAt: '2026-03-02T08:55:00.000Z',
    updatedAt: at,
  };
  const timeline: TimelineEntry[] = [
    { at: request.createdAt, from: null, to: 'received', actor: 'webhook:jira', reason: 'request accepted' },
    { at, from: 'checking_eligibility', to: event === 'linked_to_active_request' || event === 'accepted' ? 'received' : event, actor: 'worker', reason },
  ];
  return {
    request,
    timeline,
    workflow: { managedDeviceId: DEVICE, deviceName: 'AE-FULLY-01', operatingSystem: 'Android', osVersion: '14', effect: 'work_profile_passcode_reset', approver: 'ben.manager@contoso.com', ...workflow },
    event,
    ...(event === 'linked_to_active_request' ? { linkedTicket: { system: 'jira' as const, key: 'HD-43' } } : {}),
  };
}

describe('notification content', () => {
  it.each(NOTIFY_EVENTS)('tells the same facts on every channel for %s: outcome, device, ticket, requester, approver, times', (event) => {
    const facts = buildFacts(input(event, event === 'succeeded' ? {} : { outcomeReason: 'action_failed' }), LINKS);
    const message = composeMessage(facts);
    const adfText = JSON.stringify(message.adf);
    for (const fact of [facts.outcome, 'AE-FULLY-01', 'Android 14', DEVICE, 'HD-42', 'anna@contoso.com', 'ben.manager@contoso.com', '2026-03-02 08:55 UTC']) {
      expect(message.text).toContain(fact);
      expect(message.html).toContain(fact);
      expect(adfText).toContain(fact);
    }
    expect(message.subject).toContain('HD-42');
    expect(message.subject).toContain('AE-FULLY-01');
    expect(message.text).toContain(`https://resetpc.contoso.com/ops/requests/${ID}`);
  });

  it('on success says where the new passcode can be read, until the exact date, and to verify the caller first', () => {
    const message = composeMessage(buildFacts(input('succeeded', { outcomeReason: 'done' }, 'the passcode was reset; the device reported done', '2026-03-02T09:00:00.000Z'), LINKS));
    const adminCenter = `https://intune.microsoft.com/#view/Microsoft_Intune_Devices/DeviceSettingsMenuBlade/~/overview/mdmDeviceId/${DEVICE}`;
    for (const body of [message.text, message.html]) {
      expect(body).toContain(adminCenter);
      expect(body).toContain('7 days');
      expect(body).toContain('2026-03-09 09:00 UTC');
      expect(body).toMatch(/Verify the caller's identity before you read the passcode out/);
    }
    expect(message.text).toContain('Passcode reset at: 2026-03-02 09:00 UTC');
    expect(message.closeNotes).toContain('2026-03-09 09:00 UTC');
    // The admin center link is a real link in Jira's comment.
    expect(JSON.stringify(message.adf)).toContain(JSON.stringify({ type: 'link', attrs: { href: adminCenter } }));
  });

  it('on iOS says the passcode was removed, and points at no new passcode', () => {
    const message = composeMessage(buildFacts(input('succeeded', { effect: 'passcode_removed', operatingSystem: 'iOS', osVersion: '17.4' }), LINKS));
    expect(message.subject).toContain('Passcode removed');
    expect(message.text).toMatch(/passcode of the device was removed/);
    expect(message.text).toMatch(/no new passcode was made/);
    expect(message.text).not.toContain('7 days');
    expect(message.html).toContain('<strong>removed</strong>');
  });

  it.each([
    ['failed', 'action_failed', 'the device reported failed (error 1)'],
    ['ineligible', 'windows_desktop', 'Windows desktop: users reset their Windows Hello PIN themselves'],
    ['rejected', 'self_approval', 'the requester approved their own request'],
    ['expired', 'expired', 'no approval before the deadline'],
    ['timed_out', 'timed_out', 'the device did not report an outcome before the deadline'],
    ['cancelled', 'cancelled', 'cancelled by operator'],
  ] as const)('on %s gives the exact reason and the failure-detail links', (event, code, reason) => {
    const facts = buildFacts(input(event, { outcomeReason: code }, reason), LINKS);
    const message = composeMessage(facts);
    for (const body of [message.text, message.html]) {
      expect(body).toContain(reason);
      expect(body).toContain(code);
      expect(body).toContain(`mdmDeviceId/${DEVICE}`);
      expect(body).toContain(`https://resetpc.contoso.com/ops/requests/${ID}`);
      expect(body).toContain(REASON_LINKS[code]);
    }
    expect(message.text).not.toContain('Verify the caller');
    expect(message.closeNotes).toContain(reason);
  });

  it('lists the candidates when the device name was ambiguous, and has no admin-center link without a device', () => {
    const facts = buildFacts(input('ineligible', { outcomeReason: 'device_ambiguous', candidates: [{ id: 'a1', deviceName: 'FRONTDESK-TAB', operatingSystem: 'Android' }, { id: 'b2', deviceName: 'FRONTDESK-TAB', operatingSystem: 'Android' }] }, '2 devices match'), LINKS);
    const message = composeMessage({ ...facts, adminCenterUrl: '' });
    expect(message.text).toContain('- matching device: FRONTDESK-TAB (Android, a1)');
    expect(message.text).toContain('- matching device: FRONTDESK-TAB (Android, b2)');
    expect(message.text).not.toContain('Intune admin center:');
  });

  it('names each candidate once when the reason already lists them', () => {
    const candidates = [{ id: 'a1', deviceName: 'FRONTDESK-TAB', operatingSystem: 'Android' }, { id: 'b2', deviceName: 'FRONTDESK-TAB', operatingSystem: 'Android' }];
    const reason = '2 Intune devices have deviceName "FRONTDESK-TAB"; name the device by its id: FRONTDESK-TAB (Android, a1), FRONTDESK-TAB (Android, b2)';
    const message = composeMessage(buildFacts(input('ineligible', { outcomeReason: 'device_ambiguous', candidates }, reason), LINKS));
    expect(message.text).toContain(`Reason: ${reason} (device_ambiguous)`);
    expect(message.text).not.toContain('- matching device:');
    expect(message.text.split('FRONTDESK-TAB (Android, a1)').length - 1).toBe(1);
  });

  it('escapes every value in the HTML part', () => {
    const hostile = input('failed', { outcomeReason: 'action_failed', deviceName: '<img src=x onerror=alert(1)>' }, '"><script>alert(1)</script>');
    const message = composeMessage(buildFacts(hostile, LINKS));
    expect(message.html).not.toContain('<script>');
    expect(message.html).not.toContain('<img');
    expect(message.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(message.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // Text channels show it as text (ServiceNow and Jira render it as text).
    expect(message.text).toContain('<img src=x onerror=alert(1)>');
  });

  it('names the linked ticket in a linked_to_active_request note', () => {
    const message = composeMessage(buildFacts(input('linked_to_active_request'), LINKS));
    expect(message.text).toContain('Asked again by: Jira HD-43');
    expect(message.text).toMatch(/No second reset will be made/);
  });
});

describe('the template renderer', () => {
  it('escapes values, shows and hides sections, repeats lists and drops standalone tag lines', () => {
    const template = parseTemplate('a {{x}}\n{{#yes}}\nshown\n{{/yes}}\n{{^yes}}\nhidden\n{{/yes}}\n{{#items}}- {{.}}\n{{/items}}end');
    expect(render(template, { x: '<b>', yes: true, items: ['1', '2'] }, escapeHtml)).toBe('a &lt;b&gt;\nshown\n- 1\n- 2\nend');
    expect(render(template, { x: '', yes: false, items: [] }, escapeHtml)).toBe('a \nhidden\nend');
  });

  it('refuses an unknown name and an unclosed section, so a broken template fails before any delivery', () => {
    expect(() => render(parseTemplate('{{nope}}'), {}, escapeHtml)).toThrow(TemplateError);
    expect(() => parseTemplate('{{#a}}x')).toThrow(/never closed/);
    expect(() => parseTemplate('{{#a}}x{{/b}}')).toThrow(/closes/);
  });

  it('turns text into ADF paragraphs, bullet lists and links', () => {
    expect(textToAdf('Hello\nworld\n\n- see https://x.test/a\n- b', ['https://x.test/a'])).toEqual({
      version: 1,
      type: 'doc',
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'Hello' }, { type: 'hardBreak' }, { type: 'text', text: 'world' }] },
        {
          type: 'bulletList',
          content: [
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'see ' }, { type: 'text', text: 'https://x.test/a', marks: [{ type: 'link', attrs: { href: 'https://x.test/a' } }] }] }] },
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'b' }] }] },
          ],
        },
      ],
    });
  });
});
