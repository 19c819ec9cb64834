import type { TokenRegistry } from '../auth/tokens';
import type { RequestActions } from '../app/request-actions';
import type { RequestReader } from '../app/ports';
import type { RequestQueries } from '../app/request-queries';
import type { TenantControls } from '../app/tenant-controls';
import type { SnapshotReader } from '../metrics/snapshot';
import type { TenantDirectory } from '../metrics/tenants';
import { isFinal, type ResetRequest } from '../domain/request';
import { CSS, CSS_PATH, JS, JS_PATH } from './assets';
import type { NotificationReader } from './notifications';
import type { ApprovalRules } from './request-actions';
import type { SessionStore } from './session';
import type { TenantActionLog } from '../store/tenant-actions';
import { outcomeSummary, type OutcomeSummary } from './views/outcome';
import type { OverviewData } from './views/overview';

/** Everything the dashboard's routes use, built once by src/ops/index.ts from the intake's own services. */
export interface OpsServices {
  /** A request and pages of requests (src/app/request-queries.ts), shared with the API's routes. */
  readonly requests: RequestQueries;
  readonly actions: RequestActions;
  readonly tenantControls: TenantControls;
  readonly notifications: NotificationReader;
  readonly tenants: TenantDirectory;
  readonly tenantActions: TenantActionLog;
  readonly snapshot: SnapshotReader;
  readonly sessions: SessionStore;
  readonly tokens: TokenRegistry;
  readonly adminCenterDeviceUrl: string;
  readonly cookieSecure: boolean;
  /** The approval policy, so a page offers Approve only where the approve service would accept it. */
  readonly approval: ApprovalRules;
  readonly assets: ReadonlyMap<string, { readonly type: string; readonly body: string }>;
  overview(): Promise<OverviewData>;
  /** Why each finished, unsuccessful request of a list page ended, by id (the list's Reason column). */
  outcomes(items: readonly ResetRequest[]): Promise<ReadonlyMap<string, OutcomeSummary>>;
}

export function staticAssets(): ReadonlyMap<string, { type: string; body: string }> {
  const file = (path: string) => path.slice('/ops/static/'.length);
  return new Map([
    [file(CSS_PATH), { type: 'text/css; charset=utf-8', body: CSS }],
    [file(JS_PATH), { type: 'text/javascript; charset=utf-8', body: JS }],
  ]);
}

export function overviewLoader(deps: Pick<OpsServices, 'snapshot' | 'notifications' | 'tenantActions'>): () => Promise<OverviewData> {
  return async () => {
    const [snapshot, hour, day, undeliverable, tenantActions] = await Promise.all([
      deps.snapshot.snapshot(),
      deps.snapshot.series('hour'),
      deps.snapshot.series('day'),
      deps.notifications.undeliverable(20),
      deps.tenantActions.recent(10),
    ]);
    return { snapshot, hour, day, undeliverable, tenantActions };
  };
}

/** Reads the record of only the rows that need a reason: finished, and not succeeded. */
export function outcomeReader(store: Pick<RequestReader, 'get'>): OpsServices['outcomes'] {
  return async (items) => {
    const ended = items.filter((r) => isFinal(r.state) && r.state !== 'succeeded');
    const stored = await Promise.all(ended.map((r) => store.get(r.id)));
    return new Map(stored.filter((s) => s !== undefined).map((s) => [s.request.id, outcomeSummary(s)]));
  };
}
