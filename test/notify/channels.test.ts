import { FIXTURE_DEVICES, SANDBOX_CANARY_PASSCODE_PREFIX } from '@resetpc/sandbox';
import type { RequestState } from '../../src/domain/request';
import { everythingWritten, newIncident, newIssue, newRequestedItem, startNotifyHarness, type NotifyEvent, type NotifyHarness } from './support';

/**
 * Every event on every channel, delivered by the real notify worker to the sandbox's ServiceNow, Jira and SMTP
 * catcher: what each ticket and mailbox receives, and the state changes on final outcomes.
 */
const ALL_EVENTS = 'accepted,awaiting_approval,rejected,expired,ineligible,succeeded,failed,timed_out,cancelled';
const STATE_OF: Readonly<Record<Exclude<NotifyEvent, 'linked_to_active_request'>, RequestState>> = {
  accepted: 'received',
  awaiting_approval: 'awaiting_approval',
  rejected: 'rejected',
  expired: 'expired',
  ineligible: 'ineligible',
  succeeded: 'succeeded',
  failed: 'failed',
  timed_out: 'timed_out',
  cancelled: 'cancelled',
};
const EVENTS = Object.keys(STATE_OF) as (keyof typeof STATE_OF)[];
const FINAL_FAILURES = ['rejected', 'expired', 'ineligible', 'failed', 'timed_out', 'cancelled'] as const;
const OUTCOME_WORDS: Readonly<Record<keyof typeof STATE_OF, RegExp>> = {
  accepted: /request was accepted/,
  awaiting_approval: /waits for approval/,
  rejected: /rejected/,
  expired: /Nobody approved/,
  ineligible: /does not qualify/,
  succeeded: /passcode of the device was reset/,
  failed: /passcode reset failed/,
  timed_out: /did not report the outcome/,
  cancelled: /cancelled/,
};

describe('notifications on every channel', () => {
  let h: NotifyHarness;

  beforeAll(async () => {
    h = await startNotifyHarness('notify-channels', {
      NOTIFY_TICKET_EVENTS: `${ALL_EVENTS},linked_to_active_request`,
      NOTIFY_EMAIL_EVENTS: ALL_EVENTS,
      SERVICENOW_COMMENT_EVENTS: 'succeeded',
      SERVICENOW_INCIDENT_FAILURE_STATE: '6',
      SERVICENOW_INCIDENT_FAILURE_CLOSE_CODE: 'Not Solved (Not Reproducible)',
      SERVICENOW_REQ_ITEM_FAILURE_STATE: '4',
      JIRA_FAILURE_TRANSITIONS: 'Escalate,Start progress',
    });
  });

  afterAll(async () => {
    await h.close();
  });

  async function seedFor(event: keyof typeof STATE_OF, ticket: Parameters<NotifyHarness['seed']>[0]['ticket']) {
    const reasons: Partial<Record<keyof typeof STATE_OF, string>> = { failed: 'action_failed', ineligible: 'windows_desktop', rejected: 'rejected', expired: 'expired', timed_out: 'timed_out', cancelled: 'cancelled' };
    const code = reasons[event];
    return h.seed({ state: STATE_OF[event], ...(ticket === undefined ? {} : { ticket }), reason: `the exact reason of ${event}`, ...(code === undefined ? {} : { workflow: { outcomeReason: code } }) });
  }

  it.each(EVENTS)('writes a ServiceNow incident work note for %s, and on a final outcome the configured state', async (event) => {
    const ticket = newIncident(h);
    const request = await seedFor(event, ticket);
    const [onTicket, byEmail] = await h.announce(request, event);
    expect(onTicket).toMatchObject({ state: 'delivered', channel: 'ticket' });
    expect(byEmail).toMatchObject({ state: 'delivered', channel: 'email' });
    const control = h.sandbox.servicenow.control;
    const notes = control.journal(ticket.sysId ?? '', 'work_notes');
    expect(notes).toHaveLength(1);
    expect(notes[0]?.value).toMatch(OUTCOME_WORDS[event]);
    expect(notes[0]?.value).toContain(ticket.key);
    expect(notes[0]?.value).toContain(`https://resetpc.contoso.com/ops/requests/${request.id}`);
    expect(notes[0]?.created_by).toBe('resetpc.integration');
    const record = control.record('incident', ticket.sysId ?? '');
    if (event === 'succeeded') {
      expect(record).toMatchObject({ state: '6', close_code: 'Solved Remotely (Permanently)' });
      expect(record?.close_notes).toMatch(/shown on the device's page in the Intune admin center until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      // The customer-visible comment is configured for succeeded only.
      expect(control.journal(ticket.sysId ?? '', 'comments')).toHaveLength(1);
    } else if ((FINAL_FAILURES as readonly string[]).includes(event)) {
      expect(record).toMatchObject({ state: '6', close_code: 'Not Solved (Not Reproducible)' });
      expect(record?.close_notes).toContain(`the exact reason of ${event}`);
      expect(control.journal(ticket.sysId ?? '', 'comments')).toHaveLength(0);
    } else {
      expect(record?.state).toBe('1');
    }
    const mail = await h.sandbox.smtp!.waitFor((m) => m.subject.includes(ticket.key));
    expect(mail.to).toEqual(['anna@contoso.com']);
    expect(mail.cc).toEqual(['it-ops@contoso.com']);
    // Before the device check (accepted), the device is named as the request gave it.
    expect(mail.subject).toContain(event === 'accepted' ? request.device.value : 'AE-FULLY-01');
    expect(mail.text).toMatch(OUTCOME_WORDS[event]);
    expect(mail.html).toContain(request.id);
  });

  it('closes a requested item on success and on failure with the configured states', async () => {
    for (const [event, state] of [['succeeded', '3'], ['failed', '4']] as const) {
      const ticket = newRequestedItem(h);
      const request = await seedFor(event, ticket);
      await h.announce(request, event);
      const record = h.sandbox.servicenow.control.record('sc_req_item', ticket.sysId ?? '');
      expect(record?.state).toBe(state);
      expect(record?.close_notes).toContain(request.id);
      expect(h.sandbox.servicenow.control.journal(ticket.sysId ?? '', 'work_notes')).toHaveLength(1);
    }
  });

  it('finds a ServiceNow ticket by its number when the request has no sys_id', async () => {
    const { key, sysId } = newIncident(h);
    const request = await seedFor('failed', { system: 'servicenow', key });
    const [onTicket] = await h.announce(request, 'failed');
    expect(onTicket?.state).toBe('delivered');
    expect(h.sandbox.servicenow.control.journal(sysId ?? '', 'work_notes')).toHaveLength(1);
  });

  it.each(EVENTS)('writes a JSM internal note for %s, and transitions on a final outcome', async (event) => {
    const ticket = newIssue(h, 'HD');
    const request = await seedFor(event, ticket);
    const [onTicket] = await h.announce(request, event);
    expect(onTicket?.state).toBe('delivered');
    const issue = h.sandbox.jira.control.issue(ticket.key);
    expect(issue?.comments).toHaveLength(1);
    expect(issue?.comments[0]).toMatchObject({ via: 'servicedesk', public: false });
    expect(String(issue?.comments[0]?.body)).toMatch(OUTCOME_WORDS[event]);
    const expected = event === 'succeeded' ? 'Resolved' : (FINAL_FAILURES as readonly string[]).includes(event) ? 'In Progress' : 'Waiting for support';
    expect(issue?.status.name).toBe(expected);
  });

  it.each(['succeeded', 'failed'] as const)('writes an ADF comment with links on a software project issue for %s', async (event) => {
    const ticket = newIssue(h, 'OPS');
    const request = await seedFor(event, ticket);
    await h.announce(request, event);
    const issue = h.sandbox.jira.control.issue(ticket.key);
    expect(issue?.comments).toHaveLength(1);
    expect(issue?.comments[0]?.via).toBe('platform');
    const body = JSON.stringify(issue?.comments[0]?.body);
    expect(body).toContain('"type":"doc"');
    expect(body).toContain(`"href":"https://intune.microsoft.com/#view/Microsoft_Intune_Devices/DeviceSettingsMenuBlade/~/overview/mdmDeviceId/${FIXTURE_DEVICES.androidFullyManaged}"`);
    expect(issue?.status.name).toBe(event === 'succeeded' ? 'Done' : 'In Progress');
  });

  it('emails an API request (no ticket) to the requester and the operations mailbox', async () => {
    const request = await seedFor('succeeded', undefined);
    const [byEmail] = await h.announce(request, 'succeeded');
    expect(byEmail?.state).toBe('delivered');
    const mail = await h.sandbox.smtp!.waitFor((m) => m.text?.includes(request.id) === true);
    expect(mail.subject).toBe('Passcode reset request for AE-FULLY-01: Passcode reset');
    expect(mail.text).toContain('Verify the caller');
    expect(mail.html).toContain('Verify the caller');
  });

  it('writes nothing to a ticket a job names when the request was never linked to it', async () => {
    const own = newIssue(h, 'HD');
    const stranger = newIncident(h);
    const request = await h.seed({ state: 'awaiting_approval', ticket: own });
    await h.intake.queues.notify.add('notify', { requestId: request.id, event: 'linked_to_active_request', channel: 'ticket', ticket: { system: 'servicenow', key: stranger.key } }, { jobId: `${request.id}|linked_to_active_request|ticket|servicenow|${stranger.key}` });
    const record = await h.settled(`${request.id}|linked_to_active_request|ticket|servicenow|${stranger.key}`);
    expect(record).toMatchObject({ state: 'skipped' });
    expect(h.sandbox.servicenow.control.journal(stranger.sysId ?? '')).toEqual([]);
  });

  it('writes a note to a linked ticket, naming it, and changes nothing else there', async () => {
    const own = newIssue(h, 'HD');
    const linked = newIncident(h);
    const request = await h.seed({ state: 'awaiting_approval', ticket: own });
    // As the intake links it when the ticket's own webhook asks for the same device.
    const at = new Date().toISOString();
    await h.intake.store.linkTicket(request.id, linked, { at, from: request.state, to: request.state, actor: 'webhook:servicenow', reason: `ticket ${linked.key} linked` });
    await h.intake.queues.notify.add('notify', { requestId: request.id, event: 'linked_to_active_request', channel: 'ticket', ticket: { system: 'servicenow', key: linked.key } }, { jobId: `${request.id}|linked_to_active_request|ticket|servicenow|${linked.key}` });
    const record = await h.settled(`${request.id}|linked_to_active_request|ticket|servicenow|${linked.key}`);
    expect(record.state).toBe('delivered');
    const notes = h.sandbox.servicenow.control.journal(linked.sysId ?? '', 'work_notes');
    expect(notes).toHaveLength(1);
    expect(notes[0]?.value).toContain(`Asked again by: ServiceNow ${linked.key}`);
    expect(notes[0]?.value).toContain(own.key);
    expect(h.sandbox.servicenow.control.record('incident', linked.sysId ?? '')?.state).toBe('1');
  });

  it('never writes a passcode or a secret to a ticket or an email', () => {
    const written = everythingWritten(h);
    expect(written.length).toBeGreaterThan(1000);
    expect(written).not.toContain(SANDBOX_CANARY_PASSCODE_PREFIX);
    expect(written).not.toContain(h.sandbox.servicenow.credentials.basic.password);
    expect(written).not.toContain(h.sandbox.clientSecret);
    expect(h.workerLogs.join('')).not.toContain(SANDBOX_CANARY_PASSCODE_PREFIX);
  });
});

describe('notifications with Graph mail and public Jira comments', () => {
  let h: NotifyHarness;

  beforeAll(async () => {
    h = await startNotifyHarness('notify-graph', { NOTIFY_EMAIL_TRANSPORT: 'graph', NOTIFY_GRAPH_MAIL_SENDER: 'resetpc@contoso.com', JIRA_COMMENT_VISIBILITY: 'public' }, { smtp: false });
  });

  afterAll(async () => {
    await h.close();
  });

  it('sends the email through Graph sendMail from the configured mailbox, and comments publicly on a JSM request', async () => {
    const ticket = newIssue(h, 'HD');
    const request = await h.seed({ state: 'succeeded', ticket });
    const [onTicket, byEmail] = await h.announce(request, 'succeeded');
    expect(onTicket?.state).toBe('delivered');
    expect(byEmail?.state).toBe('delivered');
    expect(h.sandbox.jira.control.issue(ticket.key)?.comments[0]).toMatchObject({ via: 'servicedesk', public: true });
    const sent = h.sandbox.control.sentMail.find((m) => m.mime?.subject.includes(ticket.key) === true);
    expect(sent?.userId).toBe('resetpc@contoso.com');
    expect(sent?.mime).toMatchObject({ to: ['anna@contoso.com'], cc: ['it-ops@contoso.com'] });
    expect(sent?.mime?.text).toContain('Verify the caller');
    expect(sent?.mime?.html).toContain('Verify the caller');
    expect(JSON.stringify(h.sandbox.control.sentMail)).not.toContain(SANDBOX_CANARY_PASSCODE_PREFIX);
  });
});
