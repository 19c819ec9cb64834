/**
 * The ServiceNow sandbox's default data: a requester, two approvers, an incident that asks for a passcode reset and a
 * requested item with a pending approval. Fixed sys_ids, so demos and docs can name them.
 */
import type { ServiceNowState } from './model';
import { addApproval, addIncident, addRequestedItem, addUser } from './seed';

export const SN_FIXTURE = {
  users: {
    requester: { sys_id: '5137153cc611227c000bbd1bd8cd2005', user_name: 'anna.lopez', email: 'anna@contoso.com', name: 'Anna Lopez' },
    approver: { sys_id: '62826bf03710200044e0bfc8bcbe5df1', user_name: 'mia.manager', email: 'mia.manager@contoso.com', name: 'Mia Manager' },
    secondApprover: { sys_id: '46d44a5e1b3220103fd3a9c2604bcb0e', user_name: 'sam.security', email: 'sam.security@contoso.com', name: 'Sam Security' },
  },
  incident: {
    sys_id: '9d385017c611228701d22104cc95c371',
    number: 'INC0010001',
    short_description: 'Locked out of the work profile',
    category: 'mobile_passcode',
    u_device_serial: 'R58M123ABC',
  },
  requestedItem: { sys_id: 'aeed229047801200e0ef563dbb9a71c2', number: 'RITM0010001', short_description: 'Reset mobile passcode' },
  approval: { sys_id: 'b1ad1a7e1b3220103fd3a9c2604bcb55' },
} as const;

/** Seeds the fixture users, tickets and approval into `state`. */
export function seedFixtures(state: ServiceNowState, now: number): void {
  const { users, incident, requestedItem, approval } = SN_FIXTURE;
  addUser(state, users.requester, now);
  addUser(state, users.approver, now);
  addUser(state, users.secondApprover, now);
  addIncident(state, { ...incident, requester: users.requester.user_name }, now);
  addRequestedItem(state, { ...requestedItem, requester: users.requester.user_name }, now);
  addApproval(state, { sys_id: approval.sys_id, task: requestedItem.sys_id, approver: users.approver.user_name }, now);
  state.counters.INC = 10002;
  state.counters.RITM = 10002;
}
