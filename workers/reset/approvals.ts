import type { ApprovalEvidence } from '../../src/domain/approval-policy';
import type { ResetRequest } from '../../src/domain/request';
import type { WorkflowData } from '../../src/domain/workflow';
import type { JiraClient } from '../../src/ticketing/jira';
import type { ServiceNowClient } from '../../src/ticketing/servicenow';

/** Reads a request's approval from its system of record. A webhook body is never taken as an approval. */
export interface ApprovalSource {
  read(request: ResetRequest, workflow: WorkflowData, signal?: AbortSignal): Promise<ApprovalEvidence>;
}

const lower = (values: readonly (string | undefined)[]): string[] => values.filter((v): v is string => v !== undefined && v !== '').map((v) => v.toLowerCase());

export function createApprovalSource(deps: { servicenow?: ServiceNowClient; jira?: JiraClient }): ApprovalSource {
  return {
    async read(request, workflow, signal) {
      const ticket = request.ticket;
      if (ticket === undefined) {
        // An API request: approved through POST /v1/resets/{id}/approve, by a token with the approve role.
        return workflow.apiApproval === undefined ? { decision: 'pending', approvers: [] } : { decision: 'approved', approvers: lower([workflow.apiApproval.by]) };
      }
      const options = signal === undefined ? {} : { signal };
      if (ticket.system === 'servicenow') {
        if (deps.servicenow === undefined) throw new Error('ServiceNow is not configured, so this ticket\'s approval cannot be read');
        let sysId = ticket.sysId;
        if (sysId === undefined) {
          const found = await deps.servicenow.findByNumber(ticket.table ?? 'incident', ticket.key, options);
          if (found === undefined) return { decision: 'pending', approvers: [] };
          sysId = found.sysId;
        }
        const rows = await deps.servicenow.getApprovals(sysId, options);
        if (rows.some((r) => r.state === 'rejected')) return { decision: 'declined', approvers: lower(rows.filter((r) => r.state === 'rejected').map((r) => r.approver.email)) };
        const approved = rows.filter((r) => r.state === 'approved');
        return approved.length > 0 ? { decision: 'approved', approvers: lower(approved.flatMap((r) => [r.approver.email || r.approver.userName])) } : { decision: 'pending', approvers: [] };
      }
      if (deps.jira === undefined) throw new Error('Jira is not configured, so this ticket\'s approval cannot be read');
      const approvals = await deps.jira.getApprovals(ticket.key, options);
      if (approvals.finalDecision === 'declined') return { decision: 'declined', approvers: [] };
      if (approvals.finalDecision !== 'approved') return { decision: 'pending', approvers: [] };
      const latest = approvals.approvals.at(-1);
      const approvers = (latest?.approvers ?? []).filter((a) => a.decision === 'approved').map((a) => a.emailAddress ?? a.accountId);
      return { decision: 'approved', approvers: lower(approvers) };
    },
  };
}
