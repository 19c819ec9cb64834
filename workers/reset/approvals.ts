import type { ApprovalEvidence } from '../../src/domain/approval-policy';
import type { ResetRequest } from '../../src/domain/request';
import type { WorkflowData } from '../../src/domain/workflow';
import type { JiraClient } from '../../src/ticketing/jira';
import type { ServiceNowClient } from '../../src/ticketing/servicenow';
import { TicketingNotConfiguredError } from '../../src/ticketing/errors';
import { serviceNowTableOf, type TicketReader } from '../../src/ticketing/ticket-facts';
import { deviceKey } from '../../src/domain/request';
import { normaliseIdentity } from '../../src/domain/approval-policy';

/** Reads a request's approval from its system of record. A webhook body is never taken as an approval. */
export interface ApprovalSource {
  read(request: ResetRequest, workflow: WorkflowData, signal?: AbortSignal): Promise<ApprovalEvidence>;
}

/** Why a ticket of a system the workers have no account for cannot be read (TicketingNotConfiguredError). */
const NO_APPROVAL = "so this ticket's approval cannot be read";

const lower = (values: readonly (string | undefined)[]): string[] => values.filter((v): v is string => v !== undefined && v !== '').map((v) => v.toLowerCase());

/**
 * Why the ticket's approval does not cover this request, or undefined when it does. Only requests an API caller attached
 * a ticket to before the ticket was read at intake (stored before this check existed) are in question: a request built
 * from its ticket (source `jira` / `servicenow`) took its device and requester from it.
 */
async function coverage(tickets: TicketReader | undefined, request: ResetRequest, signal: AbortSignal | undefined): Promise<string | undefined> {
  const ticket = request.ticket;
  if (ticket === undefined || request.source !== 'api') return undefined;
  if (tickets === undefined) return `Ticket ${ticket.key} was attached by an API caller and cannot be read back, so its approval cannot be checked against this request.`;
  const reading = await tickets.read(ticket, signal);
  if (reading.kind === 'refused') return `Ticket ${ticket.key} was attached by an API caller and its approval cannot be checked against this request: ${reading.message}`;
  if (deviceKey(reading.device) !== deviceKey(request.device) || normaliseIdentity(reading.requestedBy) !== normaliseIdentity(request.requestedBy)) {
    return `Ticket ${ticket.key} asks for another device or another requester; its approval does not cover this request.`;
  }
  return undefined;
}

export function createApprovalSource(deps: { servicenow?: ServiceNowClient; jira?: JiraClient; tickets?: TicketReader }): ApprovalSource {
  return {
    async read(request, workflow, signal) {
      const doesNotCover = await coverage(deps.tickets, request, signal);
      if (doesNotCover !== undefined) return { decision: 'declined', approvers: [], doesNotCover };
      const ticket = request.ticket;
      if (ticket === undefined) {
        // An API request: approved through POST /v1/resets/{id}/approve, by a token with the approve role.
        return workflow.apiApproval === undefined ? { decision: 'pending', approvers: [] } : { decision: 'approved', approvers: lower([workflow.apiApproval.by]) };
      }
      const options = signal === undefined ? {} : { signal };
      if (ticket.system === 'servicenow') {
        if (deps.servicenow === undefined) throw new TicketingNotConfiguredError('servicenow', NO_APPROVAL);
        let sysId = ticket.sysId;
        if (sysId === undefined) {
          const found = await deps.servicenow.findByNumber(ticket.table ?? 'incident', ticket.key, options);
          if (found === undefined) return { decision: 'pending', approvers: [] };
          sysId = found.sysId;
        }
        // A requested item's approval may sit on the item or, with the default catalog workflow, on its parent request.
        const parent = (ticket.table ?? serviceNowTableOf(ticket)) === 'sc_req_item' ? (await deps.servicenow.getFields('sc_req_item', sysId, ['request'], options)).request : undefined;
        const rows = [...(await deps.servicenow.getApprovals(sysId, options)), ...(parent === undefined || parent === '' ? [] : await deps.servicenow.getApprovals(parent, options))];
        if (rows.some((r) => r.state === 'rejected')) return { decision: 'declined', approvers: lower(rows.filter((r) => r.state === 'rejected').map((r) => r.approver.email)) };
        const approved = rows.filter((r) => r.state === 'approved');
        return approved.length > 0 ? { decision: 'approved', approvers: lower(approved.flatMap((r) => [r.approver.email || r.approver.userName])) } : { decision: 'pending', approvers: [] };
      }
      if (deps.jira === undefined) throw new TicketingNotConfiguredError('jira', NO_APPROVAL);
      const approvals = await deps.jira.getApprovals(ticket.key, options);
      if (approvals.finalDecision === 'declined') return { decision: 'declined', approvers: [] };
      if (approvals.finalDecision !== 'approved') return { decision: 'pending', approvers: [] };
      // Jira people are accountIds, whatever their profile visibility: the approvers' accounts are compared with the
      // reporter's account, read from the issue when the request predates recording it. Never an email with an id.
      const requester = request.requesterAccount?.accountId ?? (await deps.jira.getIssue(ticket.key, { fields: ['reporter'], ...options })).reporter?.accountId;
      if (requester === undefined) return { decision: 'declined', approvers: [], doesNotCover: `Jira issue ${ticket.key} has no reporter account, so its approval cannot be checked against the no-self-approval rule.` };
      const latest = approvals.approvals.at(-1);
      const approved = (latest?.approvers ?? []).filter((a) => a.decision === 'approved');
      const names = Object.fromEntries(approved.filter((a) => a.displayName !== undefined).map((a) => [a.accountId.toLowerCase(), a.displayName ?? '']));
      return { decision: 'approved', approvers: lower(approved.map((a) => a.accountId)), requester, names };
    },
  };
}
