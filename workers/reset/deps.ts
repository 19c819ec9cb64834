import type { IntuneGateway } from '../../src/graph/gateway';
import type { Log } from '../../src/logging/logger';
import type { NOTIFY_EVENTS } from '../../src/queue/catalog';
import type { NotifyChannel, Queues } from '../../src/queue/queues';
import type { TenantControlStore } from '../../src/store/tenant-controls';
import type { WorkflowStore } from '../../src/store/workflow-store';
import type { ApprovalSource } from './approvals';

/** The workflow's settings, from configuration (docs/configuration.md, "Reset workflow"). */
export interface ResetSettings {
  readonly approvalRequired: boolean;
  readonly allowedApprovers: readonly string[];
  readonly approvalDeadlineMs: number;
  readonly maxSyncAgeHours: number;
  readonly iosRemovePasscode: boolean;
  /** How long the device may take to report the action's outcome. */
  readonly actionDeadlineMs: number;
  /** After a POST whose answer was lost, how long to keep looking for its action before posting again. */
  readonly submitSettleMs: number;
  /** The first wait between action polls; it doubles up to 5 minutes. */
  readonly pollBaseMs: number;
  /** The longest wait between two approval checks (they start at 30 s and grow). */
  readonly approvalRecheckMaxMs: number;
  /** Everything but the resetPasscode POST. */
  readonly dryRun: boolean;
}

export interface ResetDeps {
  readonly store: WorkflowStore;
  readonly gateway: IntuneGateway;
  readonly approvals: ApprovalSource;
  readonly tenantControls: TenantControlStore;
  readonly queues: Queues;
  readonly settings: ResetSettings;
  readonly log: Log;
  readonly now: () => Date;
  /** The notification channels configured for an event (src/notify/settings.ts). Default: every channel. */
  readonly notifyChannels?: (event: (typeof NOTIFY_EVENTS)[number]) => readonly NotifyChannel[];
}

/** What one step asks the processor to do next. A step never sleeps: waiting is a delayed re-run of the job. */
export type StepResult = { readonly kind: 'next' } | { readonly kind: 'wait'; readonly ms: number } | { readonly kind: 'done' };

export const ACTOR = 'worker';
