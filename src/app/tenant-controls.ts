import type { TenantControlSettings } from '../store/tenant-controls';
import type { JobScheduler, RequestRepository, TenantControlRecords, TenantActionRecords, TenantRecords } from './ports';

/**
 * Tenant controls: pause and resume a tenant's resetPasscode submissions, set its blast-radius limit, and add a tenant
 * to those the dashboard reports on. The API and the dashboard both call these, so every way in leaves the same
 * records: the control itself, the tenant remembered, and an entry (with who did it) in the tenant action log. When
 * submissions may go on again, requests held by a pause or by the limit are woken at once.
 */
export function createTenantControls(deps: {
  readonly control: TenantControlRecords;
  readonly tenants: TenantRecords;
  readonly actions: TenantActionRecords;
  readonly requests: RequestRepository;
  readonly jobs: JobScheduler;
}) {
  /** Approved requests wait for submission: wake them, so they submit now or are held again with a fresh reason. */
  async function wakeHeld(): Promise<void> {
    for (const request of (await deps.requests.list({ state: 'approved' }, 200)).items) await deps.jobs.wake(request.id);
  }

  return {
    settings(tenantId: string): Promise<TenantControlSettings> {
      return deps.control.settings(tenantId);
    },

    async add(tenantId: string, by: string): Promise<void> {
      await deps.tenants.remember(tenantId);
      await deps.actions.record({ by, tenantId, action: 'added' });
    },

    async pause(tenantId: string, by: string, reason?: string): Promise<TenantControlSettings> {
      await deps.control.pause(tenantId, by, reason);
      await deps.tenants.remember(tenantId);
      await deps.actions.record({ by, tenantId, action: 'paused', ...(reason === undefined ? {} : { detail: reason }) });
      return deps.control.settings(tenantId);
    },

    async resume(tenantId: string, by: string): Promise<TenantControlSettings> {
      await deps.control.resume(tenantId);
      await deps.tenants.remember(tenantId);
      await deps.actions.record({ by, tenantId, action: 'resumed' });
      await wakeHeld();
      return deps.control.settings(tenantId);
    },

    async setLimit(tenantId: string, by: string, limitPerHour: number): Promise<TenantControlSettings> {
      await deps.control.setLimit(tenantId, limitPerHour);
      await deps.tenants.remember(tenantId);
      await deps.actions.record({ by, tenantId, action: 'set the blast-radius limit of', detail: `${String(limitPerHour)} per hour` });
      await wakeHeld();
      return deps.control.settings(tenantId);
    },
  };
}

export type TenantControls = ReturnType<typeof createTenantControls>;
