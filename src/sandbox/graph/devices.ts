/**
 * Intune managed devices (Microsoft Learn: intune-devices-manageddevice-get, -list, -resetpasscode).
 */
import { ODataFilterError, parseEqFilter } from '../odata-filter';
import type { DeviceSeed } from '../tenant';
import { DEVICE_PROPERTIES, serveDevice } from './device-view';
import { GraphHttpError, parseSelect, project, type GraphContext, type GraphRoute } from './route';

const READ_DEVICES = ['DeviceManagementManagedDevices.Read.All', 'DeviceManagementManagedDevices.ReadWrite.All'];
const PRIVILEGED = ['DeviceManagementManagedDevices.PrivilegedOperations.All'];
const FILTERABLE = ['deviceName', 'serialNumber', 'azureADDeviceId'] as const;
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

function listDevices(ctx: GraphContext): { status: number; body: unknown } {
  const select = parseSelect(ctx.query, DEVICE_PROPERTIES[ctx.version], 'managedDevice');
  const top = parseTop(ctx.query.get('$top'));
  const offset = parseSkipToken(ctx.query.get('$skiptoken'));
  let devices = ctx.control.state.devices;
  const filter = ctx.query.get('$filter');
  if (filter !== null) {
    try {
      const { property, value } = parseEqFilter(filter, FILTERABLE);
      const wanted = value.toLowerCase();
      devices = devices.filter((d) => {
        const actual = d.device[property as (typeof FILTERABLE)[number]];
        return typeof actual === 'string' && actual.toLowerCase() === wanted;
      });
    } catch (e) {
      if (e instanceof ODataFilterError) throw new GraphHttpError(400, 'BadRequest', e.message);
      throw e;
    }
  }
  const pageSize = top ?? ctx.control.devicePageSize;
  const page = devices.slice(offset, offset + pageSize);
  const body: Record<string, unknown> = {
    '@odata.context': contextUrl(ctx, select, false),
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
