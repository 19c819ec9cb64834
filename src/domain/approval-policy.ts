/**
 * Who may approve a reset, and what a ticket's approval means for the request (issue 4, step 2). The evidence is
 * read from the system of record (ServiceNow approver rows, Jira Service Management approvals, or the API's approve
 * call), never from a webhook body; this module only decides.
 */
import { backoffMs, type BackoffPolicy } from './backoff';

export interface ApprovalPolicy {
  /** Approval required before the reset (default yes). */
  readonly required: boolean;
  /** Self-approval is never allowed; the field exists so a config that tries to allow it fails to type-check. */
  readonly allowSelfApproval: false;
  /** Who may approve (emails, UPNs, usernames, token names); empty means anyone but the requester. */
  readonly allowedApprovers: readonly string[];
}

export interface ApprovalEvidence {
  readonly decision: 'approved' | 'declined' | 'pending';
  /** Who approved (or, on a decline, who declined), as the source names them. */
  readonly approvers: readonly string[];
  /**
   * Set when the ticket's approval cannot cover this request: the ticket, read from its system of record, names
   * another device or requester, or cannot be read. Says why. An approval authorises one reset, of the device its
   * ticket names, for that ticket's requester.
   */
  readonly doesNotCover?: string;
  /**
   * The requester, in the same namespace as `approvers` (Jira: the reporter's accountId), when it is not the
   * request's `requestedBy`. Identities are only ever compared within one namespace.
   */
  readonly requester?: string;
  /** Display names of approvers, by identity (lower-cased), for messages. */
  readonly names?: Readonly<Record<string, string>>;
}

export type ApprovalOutcome =
  | { readonly kind: 'approved'; readonly approver: string }
  | { readonly kind: 'pending' }
  | { readonly kind: 'rejected'; readonly reason: 'rejected' | 'self_approval' | 'approver_not_allowed' | 'ticket_mismatch'; readonly message: string };

/** The approver recorded when policy does not require an approval. */
export const NOT_REQUIRED_APPROVER = 'policy:not-required';

/** Identities compare case-insensitively, ignoring surrounding spaces. */
export function normaliseIdentity(identity: string): string {
  return identity.trim().toLowerCase();
}

const list = (names: readonly string[]): string => names.join(', ');

export function decideApproval(evidence: ApprovalEvidence, requestedBy: string, policy: ApprovalPolicy): ApprovalOutcome {
  if (evidence.doesNotCover !== undefined) return { kind: 'rejected', reason: 'ticket_mismatch', message: evidence.doesNotCover };
  if (!policy.required) return { kind: 'approved', approver: NOT_REQUIRED_APPROVER };
  if (evidence.decision === 'pending') return { kind: 'pending' };

  const approvers = [...new Set(evidence.approvers.map(normaliseIdentity).filter((a) => a !== ''))];
  if (evidence.decision === 'declined') {
    const by = approvers.length === 0 ? '' : ` by ${list(approvers)}`;
    return { kind: 'rejected', reason: 'rejected', message: `The reset was declined${by}.` };
  }

  const requester = normaliseIdentity(requestedBy);
  if (approvers.length === 0) {
    return { kind: 'rejected', reason: 'approver_not_allowed', message: 'The ticket is marked approved, but no approver is named, so the approval cannot be checked against the no-self-approval rule.' };
  }
  const others = approvers.filter((a) => a !== requester);
  if (others.length === 0) {
    return { kind: 'rejected', reason: 'self_approval', message: `${requester} requested this reset and cannot also approve it; someone else must approve.` };
  }
  const allowed = new Set(policy.allowedApprovers.map(normaliseIdentity));
  const approver = allowed.size === 0 ? others[0] : others.find((a) => allowed.has(a));
  if (approver === undefined) {
    return { kind: 'rejected', reason: 'approver_not_allowed', message: `Approved by ${list(others)}, who ${others.length === 1 ? 'is' : 'are'} not on the list of allowed approvers.` };
  }
  return { kind: 'approved', approver };
}

/** How often a pending approval is read again: from 30 s, doubling, to 15 min. No jitter: one request, one schedule. */
const APPROVAL_CHECKS: BackoffPolicy = { baseMs: 30_000, maxMs: 15 * 60_000 };

/** Delay before approval check number `attempt` (1-based; NaN and anything below 1 count as the first): 30 s, 1 min, 2 min, 4 min, 8 min, then 15 min. */
export function nextApprovalCheckDelayMs(attempt: number): number {
  return backoffMs(attempt, APPROVAL_CHECKS);
}
