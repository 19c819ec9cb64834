/**
 * The Intune gateway: the only Graph calls the reset workflow makes, each one budgeted, never resent by the client's
 * middleware, and mapped to typed errors (see call.ts, errors.ts). What it returns is mapped field by field from
 * Graph's objects: no passcode can reach the product (DOMAIN.md §2).
 *
 * - getDevice: beta (deviceType, joinType, ownerType are beta-only), $select of exactly the DeviceFacts fields; the
 *   id is the one Graph answered, so the caller can check it is the one asked for.
 * - findDevices: $filter `<by> eq '<value>'` (odata.ts), then every @odata.nextLink page (at most `maxDevicePages`),
 *   each device's own `<by>` compared with the value (src/domain/device-match.ts). Intune ignores a filter it cannot
 *   apply and answers every device (DOMAIN.md §2), so what it answers is a list of candidates, never the match.
 *   The lookup is `complete` only when the last page was read and held as many devices as @odata.count announced.
 * - resetPasscode: beta, exactly one POST (graphRequest switches the client's RetryHandler off). graph_unavailable
 *   means the outcome is unknown: look for an action result started at or after submittedAt before posting again.
 *   Between the budget's admission and the POST, the caller may read the device's action results once, as part of
 *   the write's admission (ADR 017): the baseline is read at the POST's slot, not before its wait.
 * - resetActionResults: v1.0 $select=deviceActionResults, resetPasscode entries only. v1.0 serves the passcode as beta
 *   does (resetPasscodeActionResult documents it on both): the mapping copies only the five ActionResult fields, so
 *   it never leaves this module (test/integration/passcode-canary.test.ts).
 * - tenantFacts: tenant-checks.ts, cached in Redis.
 */
import type { Redis } from 'ioredis';
import { addMatches, NO_MATCHES, type DeviceLookup, type DeviceMatches } from '../domain/device-match';
import type { MetricsRecorder } from '../metrics/recorder';
import { graphKeys } from '../store/keys';
import type { GraphBudget } from './budget';
import { createGuardedCall, graphRequest, type CoveredRead } from './call';
import type { GraphClient } from './client';
import { GraphError, type CallContext } from './errors';
import type { ResponseStatus } from './response-status';
import { DEVICE_FACT_FIELDS, toDeviceFacts, toResetActionResults, type ActionResult, type DeviceFacts, type TenantFacts } from './facts';
import { eqFilter, pathSegment } from './odata';
import { DEFAULT_TENANT_FACTS_TTL_MS, readTenantFacts } from './tenant-checks';

export type { ActionResult, DeviceFacts, TenantFacts } from './facts';

export type DeviceLookupBy = 'azureADDeviceId' | 'serialNumber' | 'deviceName';

export interface IntuneGateway {
  readonly tenantId: string;
  /** The device's facts, or undefined when Graph answers 404. */
  getDevice(id: string, signal?: AbortSignal): Promise<DeviceFacts | undefined>;
  /**
   * The devices whose own `by` equals `value` (trimmed, case-insensitive), and near matches, from every page Intune
   * answers (at most `maxDevicePages`; `complete` says whether the last page was read).
   */
  findDevices(by: DeviceLookupBy, value: string, signal?: AbortSignal): Promise<DeviceLookup<DeviceFacts>>;
  /**
   * Exactly one POST …/resetPasscode, never retried here or by the client's middleware. `beforeSend` runs once the
   * budget has admitted the POST, just before it is sent (the workflow reads its baseline and counts the attempt
   * there); if it throws, nothing is sent and its error is thrown as it is. It may read the device's action results
   * once, with the read the write's admission covers (ADR 017). A budget wait (GraphBudgetWait) comes before it, so a
   * POST that must wait has read and recorded nothing.
   */
  resetPasscode(id: string, signal?: AbortSignal, beforeSend?: (admitted: AdmittedReset) => Promise<void>): Promise<void>;
  /** The device's resetPasscode action results, newest start first, without any passcode. */
  resetActionResults(id: string, signal?: AbortSignal): Promise<ActionResult[]>;
  /** The Windows 10 Mobile tenant prerequisites, cached in Redis for `tenantFactsTtlMs`. */
  tenantFacts(signal?: AbortSignal): Promise<TenantFacts>;
}

/** What a reset POST's admission allows before the POST: one read of the device's action results (ADR 017). */
export interface AdmittedReset {
  /** The device's resetPasscode action results, as resetActionResults reads them; once, without asking the budget again. */
  resetActionResults(): Promise<ActionResult[]>;
}

export interface IntuneGatewayDeps {
  /** The Graph client from createGraphClient (client.ts). */
  readonly client: GraphClient;
  readonly budget: GraphBudget;
  readonly tenantId: string;
  readonly redis: Redis;
  /** The configured hash-tag prefix, e.g. `{resetpc}`. */
  readonly prefix: string;
  /** Default 15 minutes. */
  readonly tenantFactsTtlMs?: number;
  /** Pages of a device lookup read at most (1,000 devices a page when Intune ignores the filter). Default 50. */
  readonly maxDevicePages?: number;
  /** Graph calls, 429s and budget waits, for GET /metrics (src/metrics). Default: none recorded. */
  readonly metrics?: MetricsRecorder;
}

export const DEFAULT_MAX_DEVICE_PAGES = 50;

const READ_DEVICE: CallContext = { route: 'getDevice', what: 'GET managed device', permission: 'DeviceManagementManagedDevices.Read.All' };
const LIST_DEVICES: CallContext = { route: 'findDevices', what: 'GET managed devices ($filter)', permission: 'DeviceManagementManagedDevices.Read.All' };
const READ_ACTIONS: CallContext = { route: 'getActionResults', what: 'GET device action results', permission: 'DeviceManagementManagedDevices.Read.All' };
const RESET_PASSCODE: CallContext = { route: 'resetPasscode', what: 'POST resetPasscode', permission: 'DeviceManagementManagedDevices.PrivilegedOperations.All' };

const devicePath = (id: string): string => `/deviceManagement/managedDevices/${pathSegment(id)}`;

function pageValues(page: unknown): unknown[] {
  if (typeof page !== 'object' || page === null) return [];
  const value = (page as { value?: unknown }).value;
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/** The page's @odata.count (Intune sends it unasked), or 0 when absent. */
function odataCount(page: unknown): number {
  const raw = typeof page === 'object' && page !== null ? (page as Record<string, unknown>)['@odata.count'] : undefined;
  return typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0 ? raw : 0;
}

/**
 * The page's @odata.nextLink, when it is an https link to the same collection (the client would not send a token
 * elsewhere anyway); undefined on the last page. A link of another shape ends the lookup as incomplete.
 */
function nextLink(page: unknown): { readonly url?: string; readonly odd: boolean } {
  const raw = typeof page === 'object' && page !== null ? (page as Record<string, unknown>)['@odata.nextLink'] : undefined;
  if (raw === undefined || raw === null) return { odd: false };
  if (typeof raw !== 'string' || !URL.canParse(raw)) return { odd: true };
  const url = new URL(raw);
  return url.protocol === 'https:' && url.pathname.endsWith('/deviceManagement/managedDevices') ? { url: raw, odd: false } : { odd: true };
}

export function createIntuneGateway(deps: IntuneGatewayDeps): IntuneGateway {
  const { tenantId } = deps;
  const client = deps.client.client;
  const readActions = (id: string, signal: AbortSignal | undefined, answer?: ResponseStatus): Promise<unknown> =>
    graphRequest(client, devicePath(id), 'v1.0', signal, answer).select(['deviceActionResults']).get() as Promise<unknown>;
  const guarded = createGuardedCall(deps.budget, tenantId, () => deps.client.ready(), deps.metrics);
  const maxPages = Math.max(1, deps.maxDevicePages ?? DEFAULT_MAX_DEVICE_PAGES);
  const tenantChecks = {
    client,
    guarded,
    redis: deps.redis,
    cacheKey: graphKeys(deps.prefix).tenantFacts(tenantId),
    ttlMs: deps.tenantFactsTtlMs ?? DEFAULT_TENANT_FACTS_TTL_MS,
  };

  return {
    tenantId,
    async getDevice(id, signal) {
      try {
        const raw = await guarded('read', READ_DEVICE, (answer) => graphRequest(client, devicePath(id), 'beta', signal, answer).select([...DEVICE_FACT_FIELDS]).get() as Promise<unknown>, `device:${id}`);
        // No fallback id: the workflow checks that the device Graph answered carries the id it asked for.
        return toDeviceFacts(raw);
      } catch (e) {
        if (e instanceof GraphError && e.code === 'graph_not_found') return undefined;
        throw e;
      }
    },
    async findDevices(by, value, signal) {
      const first = (answer?: ResponseStatus) => graphRequest(client, '/deviceManagement/managedDevices', 'beta', signal, answer).filter(encodeURIComponent(eqFilter(by, value))).select([...DEVICE_FACT_FIELDS]);
      let found: DeviceMatches<DeviceFacts> = NO_MATCHES;
      let announced = 0;
      let next: string | undefined;
      for (let pages = 1; ; pages += 1) {
        const link = next;
        const page = await guarded('read', LIST_DEVICES, (answer) => (link === undefined ? first(answer) : graphRequest(client, link, 'beta', signal, answer)).get() as Promise<unknown>, `find:${by}:${value}:${pages}`);
        found = addMatches(found, pageValues(page).map((device) => toDeviceFacts(device)), value, (device) => device[by]);
        announced = Math.max(announced, odataCount(page));
        const after = nextLink(page);
        // Fewer devices than @odata.count announced means some were never seen (the tenant changed while paging).
        if (after.url === undefined) return { ...found, complete: !after.odd && found.seen >= announced, pages };
        if (pages >= maxPages) return { ...found, complete: false, pages };
        next = after.url;
      }
    },
    async resetPasscode(id, signal, beforeSend) {
      const admitted =
        beforeSend === undefined
          ? undefined
          : (covered: CoveredRead) => beforeSend({ resetActionResults: async () => toResetActionResults(await covered(READ_ACTIONS, (answer) => readActions(id, signal, answer))) });
      await guarded('write', RESET_PASSCODE, (answer) => graphRequest(client, `${devicePath(id)}/resetPasscode`, 'beta', signal, answer).post(undefined) as Promise<unknown>, `reset:${id}`, admitted);
    },
    async resetActionResults(id, signal) {
      return toResetActionResults(await guarded('read', READ_ACTIONS, (answer) => readActions(id, signal, answer), `actions:${id}`));
    },
    tenantFacts: (signal) => readTenantFacts(tenantChecks, signal),
  };
}
