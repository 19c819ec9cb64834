/**
 * What the reset workflow remembers about a request besides its state: the resolved device, the verdicts, the
 * approval, the submission and the action's progress. Stored with the request; never a passcode or a secret.
 */
export interface DeviceCandidate {
  readonly id: string;
  readonly deviceName: string;
  readonly operatingSystem: string;
  readonly lastSyncDateTime?: string;
}

export interface WorkflowData {
  /** The Intune managed device id the request resolved to. */
  readonly managedDeviceId?: string;
  readonly deviceName?: string;
  readonly operatingSystem?: string;
  readonly osVersion?: string;
  /** What the reset does on this platform: device_passcode_reset, work_profile_passcode_reset, passcode_removed. */
  readonly effect?: string;
  readonly eligibilityNotes?: readonly string[];
  /** When the device was last found eligible. The re-check before submitting is skipped while this is recent. */
  readonly eligibleAt?: string;
  /** When resolution found none or several devices. */
  readonly candidates?: readonly DeviceCandidate[];
  readonly approvalChecks?: number;
  readonly approvalDeadline?: string;
  readonly approver?: string;
  /** An API request's approval, given through POST /v1/resets/{id}/approve. */
  readonly apiApproval?: { readonly by: string; readonly at: string };
  /** Recorded before the resetPasscode POST: a re-run looks for an action started since, before posting again. */
  readonly submittedAt?: string;
  readonly submitAttempts?: number;
  /**
   * The newest resetPasscode action that existed before this request's first POST (its start time), or '' when there
   * was none. Only a newer action can be this request's: an earlier reset of the same device never counts.
   */
  readonly baselineActionStart?: string;
  readonly lastSubmitAttemptAt?: string;
  readonly pollChecks?: number;
  readonly actionState?: string;
  readonly actionErrorCode?: number;
  /** The final outcome's reason code (src/domain/reasons.ts). */
  readonly outcomeReason?: string;
  readonly dryRun?: boolean;
  /** Why an approved request is waiting to be submitted: an operator's pause, or the blast-radius limit. */
  readonly held?: 'paused' | 'blast_radius';
  /** 1 for the first attempt; a retry starts the next. */
  readonly attempt?: number;
  /** Transient errors (Graph 5xx, a lost answer, ServiceNow or Jira unavailable) in a row at the current step. */
  readonly transientFailures?: number;
}
