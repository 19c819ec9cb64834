/**
 * The Intune gateway: the only Graph calls the reset workflow makes, each one budgeted, never resent by the client's
 * middleware, and mapped to typed errors (see call.ts, errors.ts). What it returns is mapped field by field from
 * Graph's objects: no passcode can reach the product (DOMAIN.md §2).
 *
 * - getDevice: beta (deviceType, joinType, ownerType are beta-only), $select of exactly the DeviceFacts fields.
 * - findDevices: $filter `<by> eq '<value>'` (odata.ts), at most `maxDeviceMatches` results: zero or several is
 *   an answer the workflow reports, never a guess.
 * - resetPasscode: exactly one POST (client.ts switches the RetryHandler off for it). graph_unavailable means the
 *   outcome is unknown: look for an action result started at or after submittedAt before posting again.
 * - resetActionResults: v1.0 $select=deviceActionResults, resetPasscode entries only (v1.0 never serves a passcode,
 *   and the mapping would drop it anyway).
 * - tenantFacts: tenant-checks.ts, cached in Redis.
 */
import type { Redis } from 'ioredis';
import type { MetricsRecorder } from '../metrics/recorder';
import type { GraphBudget } from './budget';
import { createGuardedCall, graphRequest } from './call';
import type { GraphGateway } from './client';
import { GraphError, type CallContext } from './errors';
import { DEVICE_FACT_FIELDS, toDeviceFacts, toResetActionResults, type ActionResult, type DeviceFacts, type TenantFacts } from './facts';
import { eqFilter, pathSegment } from './odata';
import { DEFAULT_TENANT_FACTS_TTL_MS, readTenantFacts } from './tenant-checks';

export type { ActionResult, DeviceFacts, TenantFacts } from './facts';

export type DeviceLookupBy = 'azureADDeviceId' | 'serialNumber' | 'deviceName';

export interface IntuneGateway {
  readonly tenantId: string;
  /** The device's facts, or undefined when Graph answers 404. */
  getDevice(id: string, signal?: AbortSignal): Promise<DeviceFacts | undefined>;
  /** The devices whose `by` equals `value` (at most `maxDeviceMatches`, default 10). */
  findDevices(by: DeviceLookupBy, value: string, signal?: AbortSignal): Promise<DeviceFacts[]>;
  /** Exactly one POST …/resetPasscode, never retried here or by the client's middleware. */
  resetPasscode(id: string, signal?: AbortSignal): Promise<void>;
  /** The device's resetPasscode action results, newest start first, without any passcode. */
  resetActionResults(id: string, signal?: AbortSignal): Promise<ActionResult[]>;
  /** The Windows 10 Mobile tenant prerequisites, cached in Redis for `tenantFactsTtlMs`. */
  tenantFacts(signal?: AbortSignal): Promise<TenantFacts>;
}

export interface IntuneGatewayDeps {
  /** The Graph client from createGraphClient (client.ts). */
  readonly client: GraphGateway;
  readonly budget: GraphBudget;
  readonly tenantId: string;
  readonly redis: Redis;
  /** The configured hash-tag prefix, e.g. `{resetpc}`. */
  readonly prefix: string;
  /** Default 15 minutes. */
  readonly tenantFactsTtlMs?: number;
  /** Default 10. */
  readonly maxDeviceMatches?: number;
  /** Graph calls, 429s and budget waits, for GET /metrics (src/metrics). Default: none recorded. */
  readonly metrics?: MetricsRecorder;
}

export const DEFAULT_MAX_DEVICE_MATCHES = 10;

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

export function createIntuneGateway(deps: IntuneGatewayDeps): IntuneGateway {
  const { tenantId } = deps;
  const client = deps.client.client;
  const guarded = createGuardedCall(deps.budget, tenantId, () => deps.client.ready(), deps.metrics);
  const maxMatches = deps.maxDeviceMatches ?? DEFAULT_MAX_DEVICE_MATCHES;
  const tenantChecks = {
    client,
    guarded,
    redis: deps.redis,
    cacheKey: `${deps.prefix}:graph:tenant-facts:${tenantId}`,
    ttlMs: deps.tenantFactsTtlMs ?? DEFAULT_TENANT_FACTS_TTL_MS,
  };

  return {
    tenantId,
    async getDevice(id, signal) {
      try {
        const raw = await guarded('read', READ_DEVICE, () => graphRequest(client, devicePath(id), 'beta', signal).select([...DEVICE_FACT_FIELDS]).get() as Promise<unknown>, `device:${id}`);
        return toDeviceFacts(raw, id);
      } catch (e) {
        if (e instanceof GraphError && e.code === 'graph_not_found') return undefined;
        throw e;
      }
    },
    async findDevices(by, value, signal) {
      const page = await guarded(
        'read',
        LIST_DEVICES,
        () =>
          graphRequest(client, '/deviceManagement/managedDevices', 'beta', signal)
            .filter(encodeURIComponent(eqFilter(by, value)))
            .select([...DEVICE_FACT_FIELDS])
            .top(maxMatches)
            .get() as Promise<unknown>,
        `find:${by}:${value}`,
      );
      return pageValues(page)
        .slice(0, maxMatches)
        .map((device) => toDeviceFacts(device));
    },
    async resetPasscode(id, signal) {
      await guarded('write', RESET_PASSCODE, () => deps.client.resetPasscode(id, signal === undefined ? {} : { signal }), `reset:${id}`);
    },
    async resetActionResults(id, signal) {
      const raw = await guarded('read', READ_ACTIONS, () => graphRequest(client, devicePath(id), 'v1.0', signal).select(['deviceActionResults']).get() as Promise<unknown>, `actions:${id}`);
      return toResetActionResults(raw);
    },
    tenantFacts: (signal) => readTenantFacts(tenantChecks, signal),
  };
}
