import { NOT_REQUIRED_APPROVER, normaliseIdentity } from '../domain/approval-policy';
import { isFinal, type RequestState } from '../domain/request';
import type { CurrentRequest } from '../store/requests';
import { sessionHasRole, type OpsSession } from './session';

/**
 * Which of a request's actions the dashboard offers a viewer: only one the viewer may take (their roles, not their own
 * request) and the request's state allows. The same rules as the use cases that do them
 * (src/app/request-actions.ts), decided before the page is drawn, so a button is never shown only to be
 * refused. A refusal that still happens (the request changed meanwhile) is shown on the request's page.
 */
export interface ApprovalRules {
  /** APPROVAL_REQUIRED. */
  readonly required: boolean;
  /** APPROVAL_ALLOWED_APPROVERS: empty means anyone but the requester and the submitter. */
  readonly allowedApprovers: readonly string[];
}

/** May the viewer take the action now? When not, `why` says so where it helps them (never for a missing role). */
export type Availability = { readonly may: true } | { readonly may: false; readonly why?: string };

const YES: Availability = { may: true };
const NO: Availability = { may: false };
const no = (why: string): Availability => ({ may: false, why });

/** States an API request can still be approved in: before the approval is decided. */
const BEFORE_APPROVAL: ReadonlySet<RequestState> = new Set<RequestState>(['received', 'checking_eligibility', 'awaiting_approval']);

export function mayApprove(viewer: OpsSession, current: CurrentRequest, rules: ApprovalRules): Availability {
  const { request, workflow } = current;
  if (!sessionHasRole(viewer, 'approve')) return NO;
  if (request.ticket !== undefined) return no(`This request came from ${request.ticket.system} ticket ${request.ticket.key}: its approval is given in the ticket.`);
  if (isFinal(request.state)) return NO;
  if (workflow.apiApproval !== undefined) return no(`Approved by ${workflow.apiApproval.by}.`);
  if (workflow.approver === NOT_REQUIRED_APPROVER) return no('No approval is needed: policy does not require one.');
  if (workflow.approver !== undefined) return no(`Approved by ${workflow.approver}.`);
  if (!BEFORE_APPROVAL.has(request.state)) return NO;
  if (!rules.required) return no('No approval is needed: policy does not require one.');
  const me = normaliseIdentity(viewer.name);
  if (me === normaliseIdentity(request.submittedBy)) return no('You submitted this request, so you cannot also approve it: someone else with the approve role must.');
  if (me === normaliseIdentity(request.requestedBy)) return no('You asked for this reset, so you cannot also approve it: someone else with the approve role must.');
  const allowed = rules.allowedApprovers.map(normaliseIdentity);
  if (allowed.length > 0 && !allowed.includes(me)) return no('Only the approvers in APPROVAL_ALLOWED_APPROVERS may approve, and you are not one of them.');
  return YES;
}

export function mayRetry(viewer: OpsSession, current: CurrentRequest): Availability {
  const { state } = current.request;
  return sessionHasRole(viewer, 'operate') && (state === 'failed' || state === 'timed_out') ? YES : NO;
}

export function mayCancel(viewer: OpsSession, current: CurrentRequest): Availability {
  return sessionHasRole(viewer, 'operate') && !isFinal(current.request.state) ? YES : NO;
}
