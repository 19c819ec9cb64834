/**
 * Where the tenant's device configuration lives, as the simulated Intune serves it (the four places PIN recovery can
 * be set; issue 11 §3). Sources:
 * - learn.microsoft.com/graph/api/intune-deviceconfig-deviceconfiguration-list and
 *   …/intune-deviceconfig-deviceconfigurationassignment-list (v1.0 and beta);
 * - …/resources/intune-deviceconfig-windowsidentityprotectionconfiguration (beta only: `pinRecoveryEnabled`);
 * - …/intune-deviceconfigv2-devicemanagementconfigurationpolicy-list, …/intune-deviceconfigv2-devicemanagementconfigurationsetting-list
 *   and …/intune-deviceconfigv2-devicemanagementconfigurationpolicyassignment-list (beta only).
 * Every list pages with `@odata.nextLink` and `$skiptoken` (`control.configurationPageSize`, or `$top`). What Graph
 * does with a beta-only type in a v1.0 list is not documented: here v1.0 leaves it out (docs/sandbox.md, uncertain).
 */
import type { ConfigurationPolicySeed } from '../tenant';
import { GraphHttpError, type GraphContext, type GraphResult, type GraphRoute } from './route';

const READ_CONFIGURATION = ['DeviceManagementConfiguration.Read.All', 'DeviceManagementConfiguration.ReadWrite.All'];
const FORBIDDEN = { code: 'Forbidden', message: `Application is not authorized to perform this operation. Application must have one of the following scopes: ${READ_CONFIGURATION.join(', ')}` };
const PAGING = ['$top', '$skiptoken'];
const MAX_TOP = 1000;

/** Device configuration types that exist on beta only. */
const BETA_ONLY_CONFIGURATION_TYPES = new Set(['#microsoft.graph.windowsidentityprotectionconfiguration']);

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
 * One page of `items`, with `@odata.nextLink` to the next when there is one. `path` is the list's path after the
 * version; `context` its `@odata.context` fragment (Graph writes a parent's key as `('id')`).
 */
function page(ctx: GraphContext, path: string, items: readonly unknown[], context: string = path): GraphResult {
  const top = parseTop(ctx.query.get('$top'));
  const offset = parseSkipToken(ctx.query.get('$skiptoken'));
  const size = top ?? Math.max(1, ctx.control.configurationPageSize);
  const body: Record<string, unknown> = { '@odata.context': `${ctx.origin}/${ctx.version}/$metadata#${context}`, value: items.slice(offset, offset + size) };
  if (offset + size < items.length) {
    const next = [...(top === undefined ? [] : [`$top=${top}`]), `$skiptoken=${Buffer.from(`o${offset + size}`).toString('base64url')}`];
    body['@odata.nextLink'] = `${ctx.origin}/${ctx.version}/${path}?${next.join('&')}`;
  }
  return { status: 200, body };
}

function deviceConfiguration(ctx: GraphContext): NonNullable<ReturnType<GraphContext['control']['state']['deviceConfigurations']['find']>> {
  const id = ctx.params.id ?? '';
  const found = ctx.control.state.deviceConfigurations.find((c) => c.configuration.id === id && visible(ctx, c.configuration['@odata.type']));
  if (found === undefined) throw new GraphHttpError(404, 'ResourceNotFound', `The device configuration '${id}' was not found.`);
  return found;
}

const visible = (ctx: GraphContext, type: string): boolean => ctx.version === 'beta' || !BETA_ONLY_CONFIGURATION_TYPES.has(type.toLowerCase());

/** configurationPolicies is beta only: on v1.0 Graph does not know the segment. */
function betaOnly(ctx: GraphContext): void {
  if (ctx.version !== 'beta') throw new GraphHttpError(400, 'BadRequest', "Resource not found for the segment 'configurationPolicies'.");
}

function policy(ctx: GraphContext): ConfigurationPolicySeed {
  betaOnly(ctx);
  const id = ctx.params.id ?? '';
  const found = (ctx.control.state.configurationPolicies ?? []).find((p) => p.policy.id === id);
  if (found === undefined) throw new GraphHttpError(404, 'ResourceNotFound', `The configuration policy '${id}' was not found.`);
  return found;
}

const read = (path: string, handle: GraphRoute['handle']): GraphRoute => ({
  method: 'GET',
  path,
  permissions: READ_CONFIGURATION,
  forbidden: FORBIDDEN,
  throttle: 'configRead',
  queryOptions: PAGING,
  handle,
});

export const configurationRoutes: readonly GraphRoute[] = [
  read('deviceManagement/deviceConfigurations', (ctx) =>
    page(
      ctx,
      'deviceManagement/deviceConfigurations',
      ctx.control.state.deviceConfigurations.filter((c) => visible(ctx, c.configuration['@odata.type'])).map((c) => c.configuration),
    ),
  ),
  {
    ...read('deviceManagement/deviceConfigurations/{id}', (ctx) => ({
      status: 200,
      body: { '@odata.context': `${ctx.origin}/${ctx.version}/$metadata#deviceManagement/deviceConfigurations/$entity`, ...deviceConfiguration(ctx).configuration },
    })),
    queryOptions: [],
  },
  read('deviceManagement/deviceConfigurations/{id}/assignments', (ctx) => {
    const { configuration, assignments } = deviceConfiguration(ctx);
    return page(ctx, `deviceManagement/deviceConfigurations/${configuration.id}/assignments`, assignments, `deviceManagement/deviceConfigurations('${configuration.id}')/assignments`);
  }),
  read('deviceManagement/configurationPolicies', (ctx) => {
    betaOnly(ctx);
    return page(ctx, 'deviceManagement/configurationPolicies', (ctx.control.state.configurationPolicies ?? []).map((p) => p.policy));
  }),
  read('deviceManagement/configurationPolicies/{id}/settings', (ctx) => {
    const found = policy(ctx);
    return page(ctx, `deviceManagement/configurationPolicies/${found.policy.id}/settings`, found.settings, `deviceManagement/configurationPolicies('${found.policy.id}')/settings`);
  }),
  read('deviceManagement/configurationPolicies/{id}/assignments', (ctx) => {
    const found = policy(ctx);
    return page(ctx, `deviceManagement/configurationPolicies/${found.policy.id}/assignments`, found.assignments, `deviceManagement/configurationPolicies('${found.policy.id}')/assignments`);
  }),
];
