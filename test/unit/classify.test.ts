import { GraphError as ClientGraphError } from '@microsoft/microsoft-graph-client';
import { GraphError, toGraphError } from '../../src/graph/errors';
import { MailError } from '../../src/notify/email/errors';
import { graphMailFailure } from '../../src/notify/email/graph';
import { StepNotRecordedError } from '../../src/notify/errors';
import { TemplateError } from '../../src/notify/render';
import { classify, type Verdict } from '../../src/remote/classify';
import { StoreUnavailableError } from '../../src/store/errors';
import { TicketingNotConfiguredError } from '../../src/ticketing/errors';
import { JiraRateLimitedError, JiraTransitionNotFoundError, JiraTransientError } from '../../src/ticketing/jira';
import { ServiceNowForbiddenError, ServiceNowPermanentError, ServiceNowRateLimitedError, ServiceNowTransientError } from '../../src/ticketing/servicenow';

const cases: readonly (readonly [string, unknown, Partial<Verdict>])[] = [
  ['a Graph 403', new GraphError('graph_forbidden', 'no permission', { status: 403 }), { kind: 'permanent', system: 'graph', code: 'graph_forbidden' }],
  ['a Graph 429', new GraphError('graph_throttled', 'slow down', { status: 429, retryAfterMs: 20_000 }), { kind: 'rate_limited', system: 'graph', code: 'graph_throttled', retryAfterMs: 20_000 }],
  ['a Graph 503 with Retry-After', new GraphError('graph_unavailable', 'down', { status: 503, retryAfterMs: 1_000 }), { kind: 'transient', system: 'graph', code: 'graph_unavailable', retryAfterMs: 1_000 }],
  ['a token Entra ID would not issue', new GraphError('graph_unauthorized', 'no token', { permanent: false }), { kind: 'transient', system: 'graph', code: 'graph_unauthorized' }],
  ['a Graph 401', new GraphError('graph_unauthorized', 'refused', { status: 401 }), { kind: 'permanent', system: 'graph', code: 'graph_unauthorized' }],
  ['a ServiceNow 403', new ServiceNowForbiddenError('denied', undefined), { kind: 'permanent', system: 'servicenow', code: 'servicenow_forbidden' }],
  ['a ServiceNow 429', new ServiceNowRateLimitedError('slow down', 3_000), { kind: 'rate_limited', system: 'servicenow', code: 'servicenow_rate_limited', retryAfterMs: 3_000 }],
  ['a ServiceNow timeout', new ServiceNowTransientError('timeout', 'too slow'), { kind: 'transient', system: 'servicenow', code: 'servicenow_timeout' }],
  ['a ServiceNow ticket of no known table', new ServiceNowPermanentError('unknown_table', 'which table?'), { kind: 'permanent', system: 'servicenow', code: 'servicenow_unknown_table' }],
  ['ServiceNow not configured', new TicketingNotConfiguredError('servicenow'), { kind: 'permanent', system: 'servicenow', code: 'servicenow_not_configured' }],
  ['Jira not configured', new TicketingNotConfiguredError('jira', "so this ticket's approval cannot be read"), { kind: 'permanent', system: 'jira', code: 'jira_not_configured' }],
  ['a missing Jira transition', new JiraTransitionNotFoundError('HD-1', 'Resolve', []), { kind: 'permanent', system: 'jira', code: 'jira_transition_not_found' }],
  ['a Jira 429 without Retry-After', new JiraRateLimitedError('slow down', undefined), { kind: 'rate_limited', system: 'jira', code: 'jira_rate_limited' }],
  ['a Jira 503', new JiraTransientError('unavailable', 'down', 503), { kind: 'transient', system: 'jira', code: 'jira_unavailable' }],
  ['an SMTP refusal', new MailError('smtp_refused', 'refused', 'permanent'), { kind: 'permanent', system: 'mail', code: 'smtp_refused' }],
  ['a Graph sendMail 429', new MailError('graph_mail_throttled', 'slow down', 'rate_limited', 7_000), { kind: 'rate_limited', system: 'mail', code: 'graph_mail_throttled', retryAfterMs: 7_000 }],
  ['Redis unavailable', new StoreUnavailableError(new Error('ECONNREFUSED')), { kind: 'transient', code: 'store_unavailable' }],
  ['a broken template', new TemplateError('unclosed section'), { kind: 'permanent', code: 'template_error' }],
  ['a delivered step not recorded', new StepNotRecordedError('not recorded'), { kind: 'permanent', code: 'step_not_recorded' }],
  ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'x')"), { kind: 'internal', code: 'unexpected_error', message: 'unexpected TypeError', bug: true }],
  ['an unforeseen Error', new Error('Connection is closed.'), { kind: 'internal', code: 'unexpected_error', message: 'unexpected Error', bug: false }],
  ['a thrown string', 'boom', { kind: 'internal', code: 'unexpected_error', message: 'unexpected string', bug: false }],
];

describe('classify, the one classifier of failures', () => {
  it.each(cases)('classifies %s', (_name, err, verdict) => {
    expect(classify(err)).toMatchObject(verdict);
  });

  it('names no system for a failure of our own, and gives no Retry-After that was not given', () => {
    expect(classify(new TemplateError('x'))).not.toHaveProperty('system');
    expect(classify(new StoreUnavailableError(undefined))).not.toHaveProperty('system');
    expect(classify(new JiraRateLimitedError('slow down', undefined))).not.toHaveProperty('retryAfterMs');
  });

  it('keeps the message short, and never shows the text of an unforeseen error', () => {
    expect(classify(new ServiceNowPermanentError('bad_request', 'x'.repeat(2_000))).message).toHaveLength(500);
    expect(classify(new Error('password=hunter2')).message).not.toContain('hunter2');
  });
});

describe('toGraphError, for what a Graph call threw', () => {
  const call = { what: 'GET managed device', permission: 'DeviceManagementManagedDevices.Read.All' } as const;

  it('passes a bug in our own code on unchanged, so that classify() ends the request internal_error instead of retrying it as Graph unavailable', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'value')");
    expect(() => toGraphError(bug, call)).toThrow(bug);
    expect(classify(bug)).toMatchObject({ kind: 'internal', bug: true });
  });

  it('keeps any other failure from outside the client transient, without its text', () => {
    const mapped = toGraphError(new Error('socket hang up: secret=abc'), call);
    expect(mapped).toMatchObject({ code: 'graph_unavailable', kind: 'transient' });
    expect(mapped.message).not.toContain('secret');
  });

  it.each([
    [400, 'graph_bad_request', 'permanent'],
    [401, 'graph_unauthorized', 'permanent'],
    [409, 'graph_bad_request', 'permanent'],
    [503, 'graph_unavailable', 'transient'],
  ] as const)('maps a Graph %i to %s (%s)', (status, code, kind) => {
    expect(toGraphError(new ClientGraphError(status, 'refused'), call)).toMatchObject({ code, kind, status });
  });
});

describe('graphMailFailure, for what a Graph sendMail threw', () => {
  it('passes a bug in our own code on unchanged, and keeps anything else from outside the client transient', () => {
    const bug = new RangeError('Invalid time value');
    expect(() => graphMailFailure(bug)).toThrow(bug);
    expect(graphMailFailure(new Error('socket hang up'))).toMatchObject({ code: 'graph_mail_unavailable', kind: 'transient' });
  });
});
