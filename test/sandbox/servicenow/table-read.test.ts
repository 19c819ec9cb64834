/**
 * Table API reads, through the product's client and raw, against the simulator over HTTP. What is simulated follows
 * ServiceNow's Table API reference (GET /now/table/{tableName}/{sys_id}, the `result` envelope, `sysparm_fields`,
 * reference fields as `{ link, value }`), https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html,
 * and its REST status codes and error shape (404 for an unknown record),
 * https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/r_RESTAPIHTTPResponseCodes.html.
 */
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { ServiceNowNotFoundError } from '../../../src/ticketing/servicenow';
import { startTestServiceNow, type TestServiceNow } from './harness';

let sn: TestServiceNow;

beforeAll(async () => {
  sn = await startTestServiceNow();
});

afterAll(async () => {
  await sn.close();
});

const { incident, requestedItem, users } = SN_FIXTURE;

describe('Table API: GET /now/table/{tableName}/{sys_id}', () => {
  it('returns an incident as the client maps it: number, state, short description, empty close fields', async () => {
    const ticket = await sn.basicClient().getTicket('incident', incident.sys_id);
    expect(ticket).toEqual({
      table: 'incident',
      sysId: incident.sys_id,
      number: 'INC0010001',
      state: '1',
      shortDescription: incident.short_description,
      closeCode: '',
      closeNotes: '',
      approval: 'not requested',
      updatedOn: '2026-03-02 09:00:00',
    });
  });

  it('returns a requested item, which has no close_code field', async () => {
    const ticket = await sn.basicClient().getTicket('sc_req_item', requestedItem.sys_id);
    expect(ticket.number).toBe('RITM0010001');
    expect(ticket.approval).toBe('requested');
    expect(ticket).not.toHaveProperty('closeCode');
  });

  it('wraps the record in {"result": {...}} with string values and reference fields as {link, value}', async () => {
    const { status, body } = await sn.raw('GET', `/api/now/table/incident/${incident.sys_id}`);
    expect(status).toBe(200);
    const result = (body as { result: Record<string, unknown> }).result;
    expect(result.state).toBe('1');
    expect(result.caller_id).toEqual({ link: `${sn.sim.url}/api/now/table/sys_user/${users.requester.sys_id}`, value: users.requester.sys_id });
    expect(result.work_notes).toBe('');
  });

  it('honours sysparm_fields and sysparm_display_value=all (choice labels and reference display names)', async () => {
    const { body } = await sn.raw('GET', `/api/now/table/incident/${incident.sys_id}?sysparm_fields=state,caller_id,caller_id.email&sysparm_display_value=all`);
    expect(body).toEqual({
      result: {
        state: { display_value: 'New', value: '1' },
        caller_id: { display_value: 'Anna Lopez', link: expect.stringContaining(users.requester.sys_id), value: users.requester.sys_id },
        'caller_id.email': { display_value: 'anna@contoso.com', value: 'anna@contoso.com' },
      },
    });
  });

  it('answers an unknown record with 404 in ServiceNow\'s error shape, which the client raises as not_found', async () => {
    const missing = 'f'.repeat(32);
    const { status, body } = await sn.raw('GET', `/api/now/table/incident/${missing}`);
    expect(status).toBe(404);
    expect(body).toEqual({ error: { message: 'No Record found', detail: "Record doesn't exist or ACL restricts the record retrieval" }, status: 'failure' });
    const error = await sn.basicClient().getTicket('incident', missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNowNotFoundError);
    expect(error).toMatchObject({ code: 'not_found', kind: 'permanent', status: 404 });
  });

  it('answers an unknown table with 404 too (the client treats it as not_found)', async () => {
    const error = await sn.basicClient().getTicket('change_request', incident.sys_id).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'not_found', permanent: true });
  });
});

describe('Table API: GET /now/table/{tableName}', () => {
  it('finds a ticket by number with sysparm_query=number=…', async () => {
    const ticket = await sn.basicClient().findByNumber('incident', 'INC0010001');
    expect(ticket?.sysId).toBe(incident.sys_id);
  });

  it('gives undefined for a number no ticket has', async () => {
    await expect(sn.basicClient().findByNumber('incident', 'INC0099999')).resolves.toBeUndefined();
  });

  it('returns {"result": [...]} with X-Total-Count and honours sysparm_limit', async () => {
    sn.sim.control.addIncident({ short_description: 'second' });
    const { status, headers, body } = await sn.raw('GET', '/api/now/table/incident?sysparm_limit=1&sysparm_fields=number');
    expect(status).toBe(200);
    expect(headers.get('x-total-count')).toBe('2');
    expect((body as { result: unknown[] }).result).toEqual([{ number: 'INC0010001' }]);
  });

  it('ANDs field=value terms joined by ^', async () => {
    const { body } = await sn.raw('GET', `/api/now/table/incident?sysparm_query=${encodeURIComponent('number=INC0010001^state=1')}&sysparm_fields=sys_id`);
    expect(body).toEqual({ result: [{ sys_id: incident.sys_id }] });
  });

  it.each([
    ['an OR', 'number=INC0010001^ORnumber=INC0010002'],
    ['a LIKE', 'short_descriptionLIKElocked'],
    ['an unknown field', 'nonsense=1'],
    ['a not-equals', 'state!=1'],
  ])('refuses a query with %s with 400 Invalid query', async (_what, query) => {
    const { status, body } = await sn.raw('GET', `/api/now/table/incident?sysparm_query=${encodeURIComponent(query)}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { message: 'Invalid query' }, status: 'failure' });
  });

  it('refuses sysparm_limit=0 with 400, as the London release does', async () => {
    const { status, body } = await sn.raw('GET', '/api/now/table/incident?sysparm_limit=0');
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { message: 'Invalid value given for sysparm_limit' } });
  });
});
