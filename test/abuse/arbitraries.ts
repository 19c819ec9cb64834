/**
 * fast-check arbitraries for the abuse suite: hostile strings, near-valid bodies, and the headers a careless or
 * malicious client sends. Near-valid bodies matter most: they get past the JSON parser and exercise the schemas.
 */
import fc from 'fast-check';
import { createHmac } from 'node:crypto';

/** Strings that have broken parsers, URL builders, OData filters and log lines elsewhere. */
export const NASTY = [
  '',
  ' ',
  "'",
  "''",
  "O'Brien's Phone",
  "x' or deviceName eq 'y",
  "') or true or ('",
  '%27',
  '%2527',
  '/',
  '..',
  '../..',
  '..%2F..%2Fadmin',
  '%2e%2e',
  '?$filter=true',
  "?$filter=deviceName eq 'x'",
  '#frag',
  '\\',
  '\u0000',
  '\r\nX-Injected: 1',
  '\u202e\u0644\u0627',
  '\ud83d\udca5',
  '\ufeff',
  'Ｏ’Ｂｒｉｅｎ',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'a'.repeat(300),
  '0'.repeat(5000),
  'INC0010001',
  'HD-1',
  '11111111-1111-4111-8111-111111111111',
  '11111111-1111-4111-8111-11111111111',
  'SBX-CANARY-PASSCODE-123456',
  'null',
  'true',
  '1e999',
  '-0',
];

export const nastyString = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...NASTY) }, { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });

/** Any JSON value, including deep and odd ones. */
export const anyJson = fc.jsonValue({ maxDepth: 4 });

/** A value for a field: mostly strings, sometimes the wrong type. */
export const fieldValue = fc.oneof({ weight: 5, arbitrary: nastyString }, { weight: 1, arbitrary: anyJson });

const validGuid = fc.uuid({ version: 4 });
const email = fc.constantFrom('anna@contoso.com', 'ben.manager@contoso.com', 'mia.approver@contoso.com', 'not-an-email', '@', 'a@b', "o'brien@contoso.com");

/** A device object: zero, one or several identifiers, plausible or hostile, sometimes with an unknown key. */
export const deviceBody = fc.oneof(
  fc.record(
    {
      id: fc.oneof(validGuid, fieldValue),
      azureADDeviceId: fc.oneof(validGuid, fieldValue),
      serialNumber: fc.oneof(fc.stringMatching(/^[A-Z0-9]{4,12}$/), fieldValue),
      deviceName: fc.oneof(fc.constantFrom("Anna's phone", 'AE-FM-0100', 'Ｐｈｏｎｅ'), fieldValue),
      extra: fieldValue,
    },
    { requiredKeys: [] },
  ),
  anyJson,
);

const validSerial = fc.stringMatching(/^[A-Z0-9]{6,12}$/);
/** A device object the schema accepts: exactly one identifier, each of a valid shape (apostrophes included). */
export const validDevice = fc.oneof(
  fc.record({ serialNumber: validSerial }),
  fc.record({ id: validGuid }),
  fc.record({ azureADDeviceId: validGuid }),
  fc.record({ deviceName: fc.constantFrom("Anna's phone", "O'Brien’s tablet", 'AE-FM-0100', 'Ｐｈｏｎｅ 7', "x' or deviceName eq 'y") }),
);

/** A valid POST /v1/resets body, so that the fuzzing also reaches the submission service and its locks. */
export const validResetBody = fc.record(
  { device: validDevice, requestedBy: fc.constantFrom('anna@contoso.com', 'ben.manager@contoso.com'), reason: fc.constantFrom('locked out', "O'Brien: forgot it", '🔒 locked') },
  { requiredKeys: ['device', 'requestedBy'] },
);

/**
 * A body citing a ticket: tickets the sandbox holds (in and out of the configured project), tickets that do not exist,
 * a requested item and hostile keys; with the ticket's own device and requester, someone else's, or none.
 */
export const ticketCitation = fc.record(
  {
    ticket: fc.oneof(
      fc.record({ system: fc.constant('jira'), key: fc.constantFrom('HD-1', 'HD-2', 'HD-999', 'OPS-1', 'hd-1', "HD-1' OR 1=1") }),
      fc.record({ system: fc.constant('servicenow'), key: fc.constantFrom('INC0010001', 'INC0099999', 'RITM0010001', '9d385017c611228701d22104cc95c371', 'INC0010001^ORnumber=INC0010002') }),
    ),
    device: fc.oneof(fc.constant({ serialNumber: 'R58M123ABC' }), validDevice),
    requestedBy: fc.constantFrom('anna@contoso.com', 'ANNA@contoso.com', 'eve@contoso.com'),
    reason: fc.constantFrom('locked out', '🔒 locked'),
  },
  { requiredKeys: ['ticket'] },
);

/** A POST /v1/resets body: near-valid most of the time. */
export const resetBody = fc.oneof(
  { weight: 2, arbitrary: validResetBody },
  { weight: 2, arbitrary: ticketCitation },
  { weight: 4, arbitrary: fc.record({ device: deviceBody, requestedBy: fc.oneof(email, fieldValue), reason: fieldValue, ticket: fc.oneof(fc.record({ system: fc.constantFrom('jira', 'servicenow', 'other'), key: fieldValue }), anyJson) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyJson },
);

export type TokenName = 'submitter' | 'approver' | 'operator' | 'admin' | 'integration';

/** Who calls: a real token of some role, a malformed header, a forged token, or nobody. */
export const authChoice = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<TokenName>('submitter', 'submitter', 'integration', 'approver', 'operator', 'admin').map((name) => ({ kind: 'token' as const, name })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'Bearer rpt_forged-token-00000000000000', 'bearer rpt_x', 'Bearer \u0000'), fc.string({ maxLength: 600 }).map((s) => `Bearer ${s}`))
      .map((header) => ({ kind: 'raw' as const, header })),
  },
);

export const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 3, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/JSON', 'application/json, text/plain', 'application/xml', '', 'application/vnd.api+json') },
);

/** The bytes sent: the body as JSON, or something that is not JSON at all. */
export function payloadOf(body: unknown, raw: string | undefined): string {
  if (raw !== undefined) return raw;
  // JSON.stringify(undefined) is undefined at run time, whatever its typing says: send the word, which is not JSON.
  return body === undefined ? 'undefined' : JSON.stringify(body);
}

export const rawPayload = fc.option(fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('{', '{"device":', 'null', '[]', '""', '{"device":{"id":"x"}}garbage', '\u0000', '{"a":1,"a":2}', '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}')), { freq: 4 });

export const extraHeaders = fc.record(
  {
    'idempotency-key': fc.oneof(fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/), fc.string({ maxLength: 300 })),
    'x-request-id': fc.oneof(fc.uuid(), fc.string({ maxLength: 200 })),
    'x-forwarded-for': fc.constantFrom('10.0.0.1', '127.0.0.1, 10.0.0.2', 'garbage'),
    accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml'),
  },
  { requiredKeys: [] },
);

/** A path segment a client might send where an id belongs: raw, encoded, or a path trick. */
export const idSegment = fc.oneof(
  { weight: 2, arbitrary: validGuid },
  { weight: 3, arbitrary: nastyString.map((s) => encodeURIComponent(s)) },
  // Malformed percent-encodings and segments over Fastify's maxParamLength (100): answered by app.ts's frameworkErrors.
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%c0%af', '%e0%80', 'a'.repeat(101), '%41'.repeat(40)) },
  { weight: 1, arbitrary: fc.constantFrom('..', '.', '%2e%2e', '..%2f..', '%00', 'x?y=1', 'x#y', 'a%2Fb', ';', '*', '%27%20or%201%3D1') },
);

/** Query strings for GET /v1/resets. */
export const listQuery = fc
  .record(
    {
      ticket: fieldValue,
      device: fieldValue,
      state: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('received', 'succeeded', 'awaiting_approval', 'nope') }, { weight: 1, arbitrary: nastyString }),
      limit: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: -5, max: 500 }).map(String) }, { weight: 1, arbitrary: nastyString }),
    },
    { requiredKeys: [] },
  )
  .chain((q) => fc.oneof({ weight: 3, arbitrary: fc.constant(q) }, { weight: 1, arbitrary: fc.record({ cursor: nastyString, unknown: nastyString, 'limit[]': nastyString }, { requiredKeys: [] }).map((extra) => ({ ...q, ...extra })) }))
  .map((q) => Object.entries(q).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`).join('&'));

/** How a webhook delivery is signed: properly, with another secret, over another body, stale, garbage, or not at all. */
export type Signing = 'valid' | 'wrong_secret' | 'other_body' | 'stale' | 'future' | 'garbage' | 'missing' | 'uppercase' | 'truncated';
export const signing = fc.constantFrom<Signing>('valid', 'valid', 'wrong_secret', 'other_body', 'stale', 'future', 'garbage', 'missing', 'uppercase', 'truncated');

export const hmacHex = (secret: string, text: string): string => createHmac('sha256', secret).update(text).digest('hex');

/** A Jira delivery the mapping accepts (project HD, a serial number in customfield_10050): it becomes a request. */
export const validJiraBody = fc.record({
  webhookEvent: fc.constant('jira:issue_created'),
  timestamp: fc.constant('now' as const),
  issue: fc.record({
    key: fc.integer({ min: 1, max: 99_999 }).map((n) => `HD-${String(n)}`),
    fields: fc.record({
      project: fc.constant({ key: 'HD' }),
      issuetype: fc.constant({ name: 'Service Request' }),
      customfield_10050: validSerial,
      // Jira always names the reporter's account; the email shows only where their profile visibility allows it.
      reporter: fc.oneof(fc.constant({ accountId: '5b10a2844c20165700ede21g', emailAddress: 'anna@contoso.com' }), fc.constant({ accountId: '5b10a2844c20165700ede21g' })),
      summary: fieldValue,
    }),
  }),
});

/** A Jira-like delivery with hostile fields. */
export const jiraBody = fc.oneof(
  { weight: 1, arbitrary: validJiraBody },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        webhookEvent: fc.oneof(fc.constantFrom('jira:issue_created', 'jira:issue_updated', 'comment_created'), nastyString),
        timestamp: fc.oneof(fc.constant('now' as const), fc.integer(), fc.double(), nastyString),
        issue: fc.oneof(
          fc.record(
            {
              key: fc.oneof(fc.constantFrom('HD-1', 'HD-99999', 'OPS-1', 'hd-1'), nastyString),
              fields: fc.oneof(
                fc.record(
                  {
                    project: fc.record({ key: fc.oneof(fc.constant('HD'), nastyString) }),
                    issuetype: fc.record({ name: fc.oneof(fc.constant('Service Request'), nastyString) }),
                    customfield_10050: fieldValue,
                    reporter: fc.record({ accountId: fc.oneof(fc.constant('5b10a2844c20165700ede21g'), fieldValue), emailAddress: fc.oneof(email, fieldValue) }, { requiredKeys: [] }),
                    summary: fieldValue,
                  },
                  { requiredKeys: [] },
                ),
                anyJson,
              ),
            },
            { requiredKeys: [] },
          ),
          anyJson,
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: anyJson },
);

/** A ServiceNow delivery the intake accepts: it becomes a request. */
export const validServiceNowBody = fc.record(
  {
    event: fc.constant('created'),
    table: fc.constantFrom('incident', 'sc_req_item'),
    sysId: fc.stringMatching(/^[0-9a-f]{32}$/),
    number: fc.integer({ min: 10_000, max: 9_999_999 }).map((n) => `INC${String(n).padStart(7, '0')}`),
    device: validDevice,
    requestedBy: fc.constant('anna@contoso.com'),
    reason: fc.constantFrom('Caller locked out', "O'Brien's phone"),
  },
  { requiredKeys: ['event', 'table', 'sysId', 'number', 'device', 'requestedBy'] },
);

/** A ServiceNow Business Rule delivery with hostile fields. */
export const serviceNowBody = fc.oneof(
  { weight: 1, arbitrary: validServiceNowBody },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        event: fc.oneof(fc.constantFrom('created', 'updated'), nastyString),
        table: fc.oneof(fc.constantFrom('incident', 'sc_req_item', 'sys_user'), nastyString),
        sysId: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), nastyString),
        number: fc.oneof(fc.constantFrom('INC0010001', 'RITM0010001'), nastyString),
        device: deviceBody,
        requestedBy: fc.oneof(email, fieldValue),
        reason: fieldValue,
        extra: fieldValue,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: anyJson },
);
