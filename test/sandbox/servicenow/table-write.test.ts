/**
 * Table API writes (docs: "Table API: PATCH /now/table/{tableName}/{sys_id}"), through the product's client.
 * Sources:
 * - https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html : PATCH /api/now/table/{tableName}/{sys_id}
 *   updates the fields in the body and answers 200 with {"result":{…}} (400 for a malformed request, 404 for no such
 *   record); its sample writes `comments` and reads back "comments": "" and "work_notes": "" (journal fields read empty
 *   with display values off), with sys_updated_by and sys_mod_count; sysparm_fields (invalid fields ignored) and
 *   sysparm_display_value (true: display values) apply to the answer.
 * - https://www.servicenow.com/docs/r/api-reference/web-services/retrieving-journal-entries.html : journal entries are
 *   records of their own in sys_journal_field (element: the field, element_id: the record's sys_id), one per write.
 * - https://docs.servicenow.com/bundle/jakarta-platform-administration/page/administer/field-administration/concept/c_JournalFields.html
 *   : a journal field shows its combined entries; getJournalEntry(-1) gives them all, one blank line apart. The
 *   order and the "<created_on> - <name> (Work notes)" header of each entry are not documented (uncertain,
 *   docs/sandbox.md); the product reads with display values off and never parses them.
 * - https://www.servicenow.com/docs/r/it-service-management/incident-management/resolve-and-close-an-incident.html :
 *   resolving an incident fills Resolution code (close_code) and Resolution notes (close_notes).
 * - https://www.servicenow.com/docs/r/platform-administration/c_DataPolicy.html : data policies (mandatory fields)
 *   apply to the REST Table API.
 * - https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/r_RESTAPIHTTPResponseCodes.html : 403 Forbidden
 *   for "ACL failures, or business rule or data policy constraints"; 400 Bad Request. The message texts of the 403s
 *   here are the sandbox's choice (uncertain, docs/sandbox.md); the product branches on the status. A state outside
 *   the table's choices is a 400 only in the sandbox, which is stricter than an instance (docs/sandbox.md, "Fidelity
 *   notes"); requested item states vary by instance, hence configuration.
 * - https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/c_CustomWebServices.html ("Error response
 *   format"): errors answer {"error":{"message","detail"},"status":"failure"}, the status only in the status line.
 */
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { ServiceNowForbiddenError } from '../../../src/ticketing/servicenow';
import { startTestServiceNow, type TestServiceNow } from './harness';

let sn: TestServiceNow;

beforeAll(async () => {
  sn = await startTestServiceNow({ reqItemStates: { '1': 'Open', '2': 'Work in Progress', '3': 'Closed Complete', '9': 'Fulfilled by ResetPC' } });
});

afterAll(async () => {
  await sn.close();
});

beforeEach(() => {
  sn.sim.control.clearRecords();
});

const newIncident = (): string => sn.sim.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, short_description: 'PIN reset' }).sys_id;

describe('Table API: PATCH /now/table/{tableName}/{sys_id} with journal fields', () => {
  it('appends each work note to the record\'s journal, written by the integration user', async () => {
    const sysId = newIncident();
    const client = sn.basicClient();
    await client.addWorkNote('incident', sysId, 'ResetPC: waiting for approval');
    await client.addWorkNote('incident', sysId, 'ResetPC: passcode reset done');
    expect(sn.sim.control.journal(sysId, 'work_notes')).toEqual([
      { table: 'incident', sysId, field: 'work_notes', value: 'ResetPC: waiting for approval', created_on: '2026-03-02 09:00:00', created_by: 'resetpc.integration' },
      expect.objectContaining({ value: 'ResetPC: passcode reset done' }),
    ]);
  });

  it('records every write as {method, path, body, at}', async () => {
    const sysId = newIncident();
    await sn.basicClient().addComment('incident', sysId, 'Your passcode was reset.');
    expect(sn.sim.control.writes).toEqual([
      expect.objectContaining({ method: 'PATCH', path: `/api/now/table/incident/${sysId}`, body: { comments: 'Your passcode was reset.' }, at: sn.clock.now(), status: 200, user: 'resetpc.integration' }),
    ]);
    expect(sn.sim.control.journal(sysId, 'comments').map((e) => e.value)).toEqual(['Your passcode was reset.']);
  });

  it('reads journal fields back as "" by default and as the whole journal, newest first, with display values', async () => {
    const sysId = newIncident();
    const client = sn.basicClient();
    await client.addWorkNote('incident', sysId, 'first');
    await client.addWorkNote('incident', sysId, 'second');
    const plain = await sn.raw('GET', `/api/now/table/incident/${sysId}?sysparm_fields=work_notes`);
    expect(plain.body).toEqual({ result: { work_notes: '' } });
    const shown = await sn.raw('GET', `/api/now/table/incident/${sysId}?sysparm_fields=work_notes&sysparm_display_value=true`);
    expect(shown.body).toEqual({
      result: { work_notes: '2026-03-02 09:00:00 - ResetPC Integration (Work notes)\nsecond\n\n2026-03-02 09:00:00 - ResetPC Integration (Work notes)\nfirst\n\n' },
    });
  });

  it('refuses an empty note before sending anything', async () => {
    const sysId = newIncident();
    await expect(sn.basicClient().addWorkNote('incident', sysId, '   ')).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(sn.sim.control.calls).toHaveLength(0);
  });
});

describe('Table API: PATCH /now/table/{tableName}/{sys_id} with state', () => {
  it('moves an incident to In Progress and returns the updated ticket', async () => {
    const sysId = newIncident();
    const ticket = await sn.basicClient().updateState('incident', sysId, { state: 2 });
    expect(ticket).toMatchObject({ sysId, state: '2' });
    expect(sn.sim.control.record('incident', sysId)).toMatchObject({ state: '2', sys_updated_by: 'resetpc.integration', sys_mod_count: '1' });
  });

  it('resolves an incident (state 6) with close_code and close_notes', async () => {
    const sysId = newIncident();
    const ticket = await sn.basicClient().updateState('incident', sysId, { state: '6', closeCode: 'Solved (Permanently)', closeNotes: 'Passcode reset by ResetPC' });
    expect(ticket).toMatchObject({ state: '6', closeCode: 'Solved (Permanently)', closeNotes: 'Passcode reset by ResetPC' });
  });

  it('refuses Resolved without close fields as the data policy does: 403 naming the mandatory fields', async () => {
    const sysId = newIncident();
    const { status, body } = await sn.raw('PATCH', `/api/now/table/incident/${sysId}`, { body: JSON.stringify({ state: '6' }), contentType: 'application/json' });
    expect(status).toBe(403);
    expect(body).toEqual({
      error: { message: 'Operation Failed', detail: 'Data Policy Exception: \n\tThe following fields are mandatory: Resolution code, Resolution notes\n' },
      status: 'failure',
    });
    const error = await sn.basicClient().updateState('incident', sysId, { state: 6, closeNotes: 'done' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNowForbiddenError);
    expect(error).toMatchObject({ code: 'forbidden', permanent: true, detail: 'Operation Failed: Data Policy Exception: The following fields are mandatory: Resolution code' });
    expect(sn.sim.control.record('incident', sysId)?.state).toBe('1');
  });

  it('refuses a state that is not one of the incident choices with a permanent bad_request', async () => {
    const sysId = newIncident();
    await expect(sn.basicClient().updateState('incident', sysId, { state: 5 })).rejects.toMatchObject({ code: 'bad_request', status: 400, permanent: true });
  });

  it('takes requested item states from configuration', async () => {
    const sysId = sn.sim.control.addRequestedItem({ requester: SN_FIXTURE.users.requester.user_name }).sys_id;
    const client = sn.basicClient();
    await expect(client.updateState('sc_req_item', sysId, { state: 9, closeNotes: 'Done' })).resolves.toMatchObject({ state: '9', closeNotes: 'Done' });
    await expect(client.updateState('sc_req_item', sysId, { state: 4 })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('answers a user without write access with 403 (ACL), a permanent forbidden error', async () => {
    sn.sim.control.addUser({ user_name: 'reader', password: 'reader-password-1234', readOnly: true });
    const client = sn.basicClient({ auth: { kind: 'basic', username: 'reader', password: 'reader-password-1234' } });
    await expect(client.addWorkNote('incident', newIncident(), 'hello')).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('ACL Exception Update Failed due to security constraints'),
    });
  });
});
