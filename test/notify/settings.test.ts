import { ConfigError, parseConfig } from '../../src/config/load';
import { notifyRetryDelayMs } from '../../src/notify/errors';
import { notifySettings } from '../../src/notify/settings';
import { stateUpdateFor, tableOfNumber } from '../../src/notify/channels/servicenow';
import { pickTransition } from '../../src/notify/channels/jira';
import { recipientsFor } from '../../src/notify/channels/email';

function problems(vars: Record<string, string>): readonly string[] {
  try {
    parseConfig(vars);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('notification settings', () => {
  it('defaults: every event but accepted to the ticket, the final outcomes by email, incidents resolved on success only', () => {
    const settings = notifySettings(parseConfig({}), { emailOn: false });
    expect(settings.ticketEvents).toEqual(['linked_to_active_request', 'awaiting_approval', 'rejected', 'expired', 'ineligible', 'succeeded', 'failed', 'timed_out', 'cancelled']);
    expect(settings.emailEvents).toEqual(['rejected', 'expired', 'ineligible', 'succeeded', 'failed', 'timed_out', 'cancelled']);
    expect(settings.servicenow.incident).toEqual({ success: { state: '6', closeCode: 'Solved Remotely (Permanently)' }, failure: { state: '', closeCode: '' } });
    expect(settings.servicenow.reqItem).toEqual({ success: { state: '3' }, failure: { state: '' } });
    expect(settings.jira).toEqual({ visibility: 'internal', successTransitions: ['Resolve', 'Done'], failureTransitions: [] });
    expect(settings.email).toBeUndefined();
    expect(settings.links.dashboardBaseUrl).toBe('http://127.0.0.1:3000');
  });

  it('reads none as "nothing", and lists, states and the dashboard base from the environment', () => {
    const config = parseConfig({ NOTIFY_TICKET_EVENTS: 'none', NOTIFY_EMAIL_EVENTS: 'succeeded, failed', SERVICENOW_INCIDENT_SUCCESS_STATE: 'none', SERVICENOW_REQ_ITEM_FAILURE_STATE: '4', JIRA_SUCCESS_TRANSITIONS: 'none', PUBLIC_BASE_URL: 'https://resetpc.contoso.com/', NOTIFY_EMAIL_FROM: 'resetpc@contoso.com' });
    const settings = notifySettings(config, { emailOn: true });
    expect(settings.ticketEvents).toEqual([]);
    expect(settings.emailEvents).toEqual(['succeeded', 'failed']);
    expect(settings.servicenow.incident.success.state).toBe('');
    expect(settings.servicenow.reqItem.failure.state).toBe('4');
    expect(settings.jira.successTransitions).toEqual([]);
    expect(settings.links.dashboardBaseUrl).toBe('https://resetpc.contoso.com');
    expect(settings.email).toEqual({ from: 'resetpc@contoso.com', to: ['requester', 'operations'] });
  });

  it('refuses unknown events, bad states, email without a sender, SMTP without a server, and half SMTP credentials', () => {
    expect(problems({ NOTIFY_TICKET_EVENTS: 'succeeded,exploded' })[0]).toMatch(/^NOTIFY_TICKET_EVENTS: each entry is one of/);
    expect(problems({ SERVICENOW_INCIDENT_SUCCESS_STATE: 'Resolved' })).toEqual(['SERVICENOW_INCIDENT_SUCCESS_STATE: must be a state value such as 6, or none']);
    expect(problems({ SMTP_HOST: 'smtp.contoso.com' })).toEqual(['NOTIFY_EMAIL_FROM: required when email notifications are on (NOTIFY_EMAIL_TRANSPORT or SMTP_HOST)']);
    expect(problems({ NOTIFY_EMAIL_TRANSPORT: 'smtp', NOTIFY_EMAIL_FROM: 'a@contoso.com' })).toEqual(['SMTP_HOST: required when NOTIFY_EMAIL_TRANSPORT is smtp']);
    expect(problems({ SMTP_HOST: 'smtp.contoso.com', NOTIFY_EMAIL_FROM: 'a@contoso.com', SMTP_USER: 'u' })).toEqual(['SMTP_PASSWORD: set SMTP_USER and SMTP_PASSWORD together']);
    expect(problems({ NOTIFY_EMAIL_TO: 'requester,boss' })[0]).toMatch(/^NOTIFY_EMAIL_TO: each entry is requester or operations/);
  });
});

describe('delivery rules', () => {
  it.each([
    [1, undefined, 1000],
    [2, undefined, 2000],
    [5, undefined, 16_000],
    [12, undefined, 60_000],
    [1, 7000, 7000],
    [5, 7000, 16_000],
  ])('waits after attempt %i (Retry-After %p) at least %i ms', (attempts, retryAfter, expected) => {
    // With nothing taken off (random 0) the exponential wait is exact; Retry-After is a floor.
    expect(notifyRetryDelayMs(attempts, { baseMs: 1000, maxMs: 60_000 }, retryAfter, () => 0)).toBe(expected);
    expect(notifyRetryDelayMs(attempts, { baseMs: 1000, maxMs: 60_000 }, retryAfter, () => 1)).toBeGreaterThanOrEqual(retryAfter ?? expected / 2);
  });

  it('maps ticket numbers to their tables, and final outcomes to the configured state changes', () => {
    expect(tableOfNumber('INC0010001')).toBe('incident');
    expect(tableOfNumber('RITM0010001')).toBe('sc_req_item');
    expect(tableOfNumber('CHG0000001')).toBeUndefined();
    const settings = notifySettings(parseConfig({ SERVICENOW_INCIDENT_FAILURE_STATE: '6', SERVICENOW_INCIDENT_FAILURE_CLOSE_CODE: 'Not Solved (Not Reproducible)' }), { emailOn: false }).servicenow;
    expect(stateUpdateFor('incident', { final: true, kind: 'success' }, 'notes', settings)).toEqual({ state: '6', closeCode: 'Solved Remotely (Permanently)', closeNotes: 'notes' });
    expect(stateUpdateFor('incident', { final: true, kind: 'failure' }, 'notes', settings)).toEqual({ state: '6', closeCode: 'Not Solved (Not Reproducible)', closeNotes: 'notes' });
    expect(stateUpdateFor('sc_req_item', { final: true, kind: 'success' }, 'notes', settings)).toEqual({ state: '3', closeNotes: 'notes' });
    expect(stateUpdateFor('sc_req_item', { final: true, kind: 'failure' }, 'notes', settings)).toBeUndefined();
    expect(stateUpdateFor('incident', { final: false, kind: 'progress' }, 'notes', settings)).toBeUndefined();
  });

  it('picks the first configured Jira transition the issue offers, by name or by a unique target status', () => {
    const available = [{ id: '11', name: 'Start progress', to: 'In Progress' }, { id: '21', name: 'Resolve', to: 'Resolved' }];
    expect(pickTransition(available, ['Done', 'resolve'])?.id).toBe('21');
    expect(pickTransition(available, ['Resolved'])?.id).toBe('21');
    expect(pickTransition(available, ['Close Issue'])).toBeUndefined();
  });

  it('sends to the requester with operations in Cc, or to operations alone when the requester is no email address', () => {
    const email = { from: 'r@contoso.com', to: ['requester', 'operations'] as const, operationsMailbox: 'ops@contoso.com' };
    expect(recipientsFor('anna@contoso.com', email)).toEqual({ to: ['anna@contoso.com'], cc: ['ops@contoso.com'] });
    expect(recipientsFor('anna.lopez', email)).toEqual({ to: ['ops@contoso.com'], cc: [] });
    expect(recipientsFor('anna@contoso.com', { ...email, to: ['requester'] })).toEqual({ to: ['anna@contoso.com'], cc: [] });
    expect(recipientsFor('anna.lopez', { from: 'r@contoso.com', to: ['requester'] })).toEqual({ to: [], cc: [] });
  });
});
