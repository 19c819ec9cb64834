/**
 * What a resetPasscode action that did not succeed tells operators, in plain words, with what to do next (issue 11,
 * section 2). The action result's `errorCode` is documented on v1.0 and beta (`resetPasscodeActionResult`), but
 * Microsoft publishes no list of its values: a code is shown as it is, and explained by what is documented about
 * the outcome. The one documented cause of a failed reset is a missing passcode policy (Learn, "Reset or remove a
 * device passcode": a passcode policy must be assigned to the device, or the reset fails; MicrosoftDocs/memdocs#4082).
 * Codes met in the field can be added to KNOWN_ACTION_ERROR_CODES as they are confirmed.
 */

export type UnsuccessfulActionState = 'failed' | 'notSupported' | 'canceled';

export interface ActionErrorExplanation {
  /** What happened, for the help desk. */
  readonly meaning: string;
  /** What to do next. */
  readonly next: string;
}

/** Confirmed meanings of specific codes. None is published by Microsoft today; see the module comment. */
export const KNOWN_ACTION_ERROR_CODES: Readonly<Record<number, ActionErrorExplanation>> = {};

const BY_STATE: Readonly<Record<UnsuccessfulActionState, ActionErrorExplanation>> = {
  failed: {
    meaning:
      'The device could not set a new passcode. The documented cause is that no passcode policy is assigned to the device: Intune needs one to reset a passcode (for Android Enterprise, a device restrictions profile with a device password, or a work-profile password for a work-profile reset).',
    next: 'Assign a passcode policy to the device (or its user), let the device sync, then retry this request. If it fails again, open a Microsoft support case with the error code and the failure detail shown in the Intune admin center.',
  },
  notSupported: {
    meaning: 'Intune reported that this device does not support a passcode reset (its platform, version or enrollment does not offer it).',
    next: 'Check the device\'s enrollment type and OS version in the Intune admin center; the user may need to re-enroll, or reset the device.',
  },
  canceled: {
    meaning: 'The reset action was canceled in Intune before the device carried it out (by an administrator, or replaced by another action).',
    next: 'Check the device\'s actions in the Intune admin center, then retry this request if a reset is still wanted.',
  },
};

/** The explanation of an unsuccessful action: a confirmed code's, else its state's. */
export function explainAction(state: UnsuccessfulActionState, errorCode: number | undefined): ActionErrorExplanation {
  const known = errorCode === undefined ? undefined : KNOWN_ACTION_ERROR_CODES[errorCode];
  return known ?? BY_STATE[state];
}

/** One sentence for the timeline, the ticket and the email: what the device reported, the code, the meaning, the next step. */
export function describeUnsuccessfulAction(reported: string, state: UnsuccessfulActionState, errorCode: number | undefined): string {
  const { meaning, next } = explainAction(state, errorCode);
  const code = errorCode === undefined || errorCode === 0 ? '' : ` (Intune error code ${errorCode})`;
  return `the device reported ${reported}${code}. ${meaning} Next: ${next}`;
}
