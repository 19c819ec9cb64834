/**
 * Approvals (docs: "Table API: GET /now/table/{tableName}" on sysapproval_approver, with
 * sysparm_query=sysapproval=<task sys_id>), through the product's client.
 *
 * Sources: the Table API list read and its encoded `sysparm_query`,
 * https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html; classic approvals as one
 * sysapproval_approver record per approver, each `requested`, `approved` or `rejected`, and a task rejected when any
 * approver rejects, https://www.servicenow.com/docs/r/australia/build-workflows/approvals/r_Approvals.html and
 * https://www.servicenow.com/docs/r/australia/build-workflows/approvals/c_ApprovalStatus.html.
 */
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { startTestServiceNow, type TestServiceNow } from './harness';

let sn: TestServiceNow;

beforeAll(async () => {
  sn = await startTestServiceNow();
});

afterAll(async () => {
  await sn.close();
});

const { users, requestedItem, approval } = SN_FIXTURE;

describe('Table API: GET /now/table/sysapproval_approver?sysparm_query=sysapproval=<sys_id>', () => {
  it('returns the seeded pending approval with the approver\'s user name and email', async () => {
    const approvals = await sn.basicClient().getApprovals(requestedItem.sys_id);
    expect(approvals).toEqual([
      {
        sysId: approval.sys_id,
        approver: { sysId: users.approver.sys_id, userName: 'mia.manager', email: 'mia.manager@contoso.com', name: 'Mia Manager' },
        state: 'requested',
        rawState: 'requested',
        updatedOn: '2026-03-02 09:00:00',
      },
    ]);
  });

  it('shows an approver\'s decision, with its time, and the task\'s approval summary follows', async () => {
    const task = sn.sim.control.addRequestedItem({ requester: users.requester.user_name });
    const first = sn.sim.control.addApproval({ task: task.number ?? '', approver: users.approver.user_name });
    sn.sim.control.addApproval({ task: task.sys_id, approver: users.secondApprover.sys_id });
    sn.clock.advance(60_000);
    sn.sim.control.setApprovalDecision(first.sys_id, 'rejected');
    const client = sn.basicClient();
    const approvals = await client.getApprovals(task.sys_id);
    expect(approvals.map((a) => [a.approver.userName, a.state, a.updatedOn])).toEqual([
      ['mia.manager', 'rejected', '2026-03-02 09:01:00'],
      ['sam.security', 'requested', '2026-03-02 09:00:00'],
    ]);
    await expect(client.getTicket('sc_req_item', task.sys_id)).resolves.toMatchObject({ approval: 'rejected' });
  });

  it('gives an empty list for a task without approvals', async () => {
    const task = sn.sim.control.addIncident({});
    await expect(sn.basicClient().getApprovals(task.sys_id)).resolves.toEqual([]);
  });

  it('serves approval rows in ServiceNow\'s shape: references as {link, value}, state as its value', async () => {
    const { status, body } = await sn.raw('GET', `/api/now/table/sysapproval_approver?sysparm_query=sysapproval=${requestedItem.sys_id}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      result: [
        expect.objectContaining({
          sys_id: approval.sys_id,
          state: 'requested',
          sys_updated_on: '2026-03-02 09:00:00',
          approver: { link: `${sn.sim.url}/api/now/table/sys_user/${users.approver.sys_id}`, value: users.approver.sys_id },
          sysapproval: { link: `${sn.sim.url}/api/now/table/sc_req_item/${requestedItem.sys_id}`, value: requestedItem.sys_id },
        }),
      ],
    });
  });

  it('shows the approver\'s display name with sysparm_display_value=true', async () => {
    const { body } = await sn.raw('GET', `/api/now/table/sysapproval_approver?sysparm_query=sysapproval=${requestedItem.sys_id}&sysparm_fields=approver,state&sysparm_display_value=true`);
    expect(body).toEqual({ result: [{ approver: { display_value: 'Mia Manager', link: expect.any(String) }, state: 'Requested' }] });
  });

  it('maps a state the client does not know to "unknown" and keeps the raw value', async () => {
    const task = sn.sim.control.addIncident({});
    const row = sn.sim.control.addApproval({ task: task.sys_id, approver: users.approver.user_name });
    const stored = sn.sim.control.record('sysapproval_approver', row.sys_id);
    if (stored !== undefined) stored.state = 'duplicate';
    await expect(sn.basicClient().getApprovals(task.sys_id)).resolves.toEqual([expect.objectContaining({ state: 'unknown', rawState: 'duplicate' })]);
  });
});
