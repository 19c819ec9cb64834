import { randomUUID } from 'node:crypto';
import type { ResetRequest, TimelineEntry } from '../../src/domain/request';
import type { RequestStore } from '../../src/store/requests';

/** A new API request for the device with this serial number, reserved and committed as the intake stores it. */
export async function storeNewRequest(requests: RequestStore, serial: string): Promise<ResetRequest> {
  const id = randomUUID();
  const at = new Date().toISOString();
  const request: ResetRequest = { id, state: 'received', device: { kind: 'serialNumber', value: serial }, requestedBy: 'anna@contoso.com', linkedTickets: [], source: 'api', submittedBy: 'submitter', createdAt: at, updatedAt: at };
  const first: TimelineEntry = { at, from: null, to: 'received', actor: 'submitter', reason: 'submitted' };
  if (!(await requests.reserve(id, request)).ok || !(await requests.commit(request, first))) throw new Error(`the test request for ${serial} was not stored`);
  return request;
}
