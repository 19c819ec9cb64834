/**
 * Intune managed devices (Microsoft Learn: intune-devices-manageddevice-get, -list, -resetpasscode). The list answers
 * pages of `control.devicePageSize` (default 1,000, as Intune: microsoftgraph/powershell-intune-samples#2) with
 * `@odata.count` unasked (microsoft-graph-docs-contrib#1391, msgraph-sdk-powershell#1819) and `@odata.nextLink`.
 * A `$filter` Intune cannot apply is ignored, not refused (device-filter.ts).
 */
import { ODataFilterError, parseEqFilter } from '../odata-filter';
import type { DeviceSeed } from '../tenant';
import { filterDevices } from './device-filter';
import { DEVICE_PROPERTIES, serveDevice } from './device-view';
import { GraphHttpError, parseSelect, project, type GraphContext, type GraphRoute } from './route';

const READ_DEVICES = ['DeviceManagementManagedDevices.Read.All', 'DeviceManagementManagedDevices.ReadWrite.All'];
const PRIVILEGED = ['DeviceManagementManagedDevices.PrivilegedOperations.All'];
const MAX_TOP = 1000;

function forbidden(permissions: readonly string[]): GraphRoute['forbidden'] {
  return { code: 'Forbidden', message: `Application is not authorized to perform this operation. Application must have one of the following scopes: ${permissions.join(', ')}` };
}

function findDevice(ctx: GraphContext): DeviceSeed {
  const id = ctx.params.id ?? '';
  const seed = ctx.control.device(id);
  if (seed === undefined) throw new GraphHttpError(404, 'ResourceNotFound', `The managed device '${id}' was not found.`);
  return seed;
}

function contextUrl(ctx: GraphContext, select: readonly string[] | undefined, entity: boolean): string {
  const selected = select === undefined ? '' : `(${select.join(',')})`;
  return `${ctx.origin}/${ctx.version}/$metadata#deviceManagement/managedDevices${selected}${entity ? '/$entity' : ''}`;
}

function parseTop(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_TOP) throw new GraphHttpError(400, 'BadRequest', `Invalid value '${raw}' for $top: expected an integer from 1 to ${MAX_TOP}.`);
  return Number(raw);
}

function parseSkipToken(raw: string | null): number {
  if (raw === null) return 0;
  const match = /^o(\d+)$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (match?.[1] === undefined) throw new GraphHttpError(400, 'BadRequest', 'The $skiptoken is not valid.');
  return Number(match[1]);
}

/**
 * The devices a `$filter` selects. A filter the sandbox cannot parse is a 400 ("Invalid filter clause", as Intune
 * answers a number literal: microsoft/Intune-PowerShell-SDK#95), and so is a property the managedDevice model does not
 * have; an `eq` on a property Intune does not apply, or on '', selects every device.
 */
function applyFilter(ctx: GraphContext, devices: readonly DeviceSeed[]): readonly DeviceSeed[] {
  const filter = ctx.query.get('$filter');
  if (filter === null) return devices;
  try {
    const { property, value } = parseEqFilter(filter);
    if (!DEVICE_PROPERTIES[ctx.version].has(property)) throw new ODataFilterError(`Invalid filter clause: Could not find a property named '${property}' on type 'microsoft.graph.managedDevice'.`);
    return filterDevices(devices, property, value, ctx.control.deviceFilterRules);
  } catch (e) {
    if (e instanceof ODataFilterError) throw new GraphHttpError(400, 'BadRequest', e.message);
    throw e;
  }
}

function listDevices(ctx: GraphContext): { status: number; body: unknown } {
  const select = parseSelect(ctx.query, DEVICE_PROPERTIES[ctx.version], 'managedDevice');
  const top = parseTop(ctx.query.get('$top'));
  const offset = parseSkipToken(ctx.query.get('$skiptoken'));
  const devices = applyFilter(ctx, ctx.control.state.devices);
  const pageSize = top ?? ctx.control.devicePageSize;
  const page = devices.slice(offset, offset + pageSize);
  const body: Record<string, unknown> = {
    '@odata.context': contextUrl(ctx, select, false),
    '@odata.count': devices.length,
    value: page.map((seed) => project(serveDevice(seed, ctx.control, ctx.version), select)),
  };
  if (offset + pageSize < devices.length) {
    const next: string[] = [];
    for (const [key, value] of ctx.query) if (key !== '$skiptoken') next.push(`${key}=${encodeURIComponent(value)}`);
    next.push(`$skiptoken=${Buffer.from(`o${offset + pageSize}`).toString('base64url')}`);
    body['@odata.nextLink'] = `${ctx.origin}/${ctx.version}/deviceManagement/managedDevices?${next.join('&')}`;
  }
  return { status: 200, body };
}

export const deviceRoutes: readonly GraphRoute[] = [
  {
    method: 'GET',
    path: 'deviceManagement/managedDevices',
    permissions: READ_DEVICES,
    forbidden: forbidden(READ_DEVICES),
    throttle: 'read',
    queryOptions: ['$select', '$filter', '$top', '$skiptoken'],
    handle: listDevices,
  },
  {
    method: 'GET',
    path: 'deviceManagement/managedDevices/{id}',
    permissions: READ_DEVICES,
    forbidden: forbidden(READ_DEVICES),
    throttle: 'read',
    queryOptions: ['$select'],
    handle: (ctx) => {
      const select = parseSelect(ctx.query, DEVICE_PROPERTIES[ctx.version], 'managedDevice');
      const seed = findDevice(ctx);
      return { status: 200, body: { '@odata.context': contextUrl(ctx, select, true), ...project(serveDevice(seed, ctx.control, ctx.version), select) } };
    },
  },
  {
    method: 'POST',
    path: 'deviceManagement/managedDevices/{id}/resetPasscode',
    permissions: PRIVILEGED,
    forbidden: forbidden(PRIVILEGED),
    throttle: 'write',
    handle: (ctx) => {
      const seed = findDevice(ctx);
      ctx.control.recordResetPasscode(seed.device.id);
      return { status: 204 };
    },
  },
];
