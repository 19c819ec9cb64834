import { isFinal, type RequestState } from './request';

/**
 * The request state machine (ARCHITECTURE.md): which state may follow which. Every state change in the product goes
 * through `canTransition`, in the store's transition script's caller, so the rules live in one place.
 */
const NEXT: Readonly<Record<RequestState, readonly RequestState[]>> = {
  // failed: a request whose job is gone before its first step ran (the jobless sweep, or a job out of attempts).
  received: ['checking_eligibility', 'failed'],
  checking_eligibility: ['awaiting_approval', 'approved', 'ineligible', 'failed'],
  awaiting_approval: ['approved', 'rejected', 'expired', 'failed'],
  approved: ['submitting', 'ineligible', 'failed'],
  submitting: ['awaiting_device', 'succeeded', 'failed'],
  awaiting_device: ['succeeded', 'failed', 'timed_out'],
  succeeded: [],
  failed: ['checking_eligibility'],
  ineligible: [],
  rejected: [],
  expired: [],
  timed_out: ['checking_eligibility'],
  cancelled: [],
};

/** Any state that is not final may also be cancelled by an operator. A failed or timed-out request may be retried. */
export function canTransition(from: RequestState, to: RequestState): boolean {
  if (to === 'cancelled') return !isFinal(from);
  return NEXT[from].includes(to);
}
