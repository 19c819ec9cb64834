/**
 * The Windows 10 Mobile tenant prerequisites (DOMAIN.md §1, §2), read from Graph and cached in Redis with a TTL:
 * - the Microsoft Pin Reset Service and Client service principals, by appId key (404 = never consented);
 * - a windows10CustomConfiguration whose omaSettings set …/Policies/EnablePinRecovery (any scope, compared
 *   case-insensitively) to boolean true, and whether it has at least one assignment.
 * 'not_found' means "no such custom profile": the setting may still come from the Settings Catalog, so the caller
 * must say "not verified", never "absent". Every call goes through the shared budget as a read.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Redis } from 'ioredis';
import { graphRequest, type GuardedCall } from './call';
import { GraphError, type CallContext } from './errors';
import type { TenantFacts } from './facts';
import { odataString, pathSegment } from './odata';

export const PIN_RESET_SERVICE_APP_ID = 'b8456c59-1230-44c7-a4a2-99b085333e84';
export const PIN_RESET_CLIENT_APP_ID = '9115dd05-fad5-4f9c-acc7-305d08b1b04e';
export const DEFAULT_TENANT_FACTS_TTL_MS = 15 * 60 * 1000;

const CUSTOM_CONFIGURATION_TYPE = '#microsoft.graph.windows10customconfiguration';
const PIN_RECOVERY_SUFFIX = '/policies/enablepinrecovery';
/** Configuration list pages read at most; past it the profile counts as not found (that is, not verified). */
const MAX_CONFIGURATION_PAGES = 50;

const READ_SP: CallContext = { route: 'getServicePrincipal', what: 'GET service principal', permission: 'Application.Read.All' };
const LIST_CONFIGURATIONS: CallContext = { route: 'listDeviceConfigurations', what: 'GET device configurations', permission: 'DeviceManagementConfiguration.Read.All' };
const LIST_ASSIGNMENTS: CallContext = { route: 'listConfigurationAssignments', what: 'GET device configuration assignments', permission: 'DeviceManagementConfiguration.Read.All' };

export interface TenantChecksDeps {
  readonly client: Client;
  readonly guarded: GuardedCall;
  readonly redis: Redis;
  readonly cacheKey: string;
  readonly ttlMs: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listOf(page: unknown): { value: unknown[]; next: string | undefined } {
  if (!isRecord(page)) return { value: [], next: undefined };
  const next = page['@odata.nextLink'];
  return { value: Array.isArray(page.value) ? (page.value as unknown[]) : [], next: typeof next === 'string' ? next : undefined };
}

async function servicePrincipalPresent(deps: TenantChecksDeps, appId: string, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await deps.guarded('read', READ_SP, () => graphRequest(deps.client, `/servicePrincipals(appId=${odataString(appId)})`, 'v1.0', signal).select(['id', 'appId']).get() as Promise<unknown>, `tenant:sp:${appId}`);
    return true;
  } catch (e) {
    if (e instanceof GraphError && e.code === 'graph_not_found') return false;
    throw e;
  }
}

/** True for a windows10CustomConfiguration with an EnablePinRecovery OMA setting of boolean true. */
export function isPinRecoveryProfile(configuration: unknown): configuration is { id: string } {
  if (!isRecord(configuration) || typeof configuration.id !== 'string') return false;
  const type = configuration['@odata.type'];
  if (typeof type !== 'string' || type.toLowerCase() !== CUSTOM_CONFIGURATION_TYPE) return false;
  const settings = Array.isArray(configuration.omaSettings) ? (configuration.omaSettings as unknown[]) : [];
  return settings.some((s) => isRecord(s) && typeof s.omaUri === 'string' && s.omaUri.toLowerCase().endsWith(PIN_RECOVERY_SUFFIX) && s.value === true);
}

async function pinRecoveryProfile(deps: TenantChecksDeps, signal: AbortSignal | undefined): Promise<TenantFacts['pinRecoveryProfile']> {
  const profiles: string[] = [];
  let path: string | undefined = '/deviceManagement/deviceConfigurations';
  for (let pages = 0; path !== undefined && pages < MAX_CONFIGURATION_PAGES; pages += 1) {
    const current: string = path;
    const page = listOf(await deps.guarded('read', LIST_CONFIGURATIONS, () => graphRequest(deps.client, current, 'v1.0', signal).get() as Promise<unknown>, `tenant:configurations:${current}`));
    for (const configuration of page.value) if (isPinRecoveryProfile(configuration)) profiles.push(configuration.id);
    path = page.next;
  }
  if (profiles.length === 0) return 'not_found';
  for (const id of profiles) {
    const assignments = listOf(
      await deps.guarded('read', LIST_ASSIGNMENTS, () => graphRequest(deps.client, `/deviceManagement/deviceConfigurations/${pathSegment(id)}/assignments`, 'v1.0', signal).get() as Promise<unknown>, `tenant:assignments:${id}`),
    );
    if (assignments.value.length > 0) return 'assigned';
  }
  return 'unassigned';
}

function parseCached(text: string | null): TenantFacts | undefined {
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    if (!isRecord(value) || !isRecord(value.pinResetServicePrincipals)) return undefined;
    const { service, client } = value.pinResetServicePrincipals;
    const profile = value.pinRecoveryProfile;
    if (typeof service !== 'boolean' || typeof client !== 'boolean') return undefined;
    if (profile !== 'assigned' && profile !== 'unassigned' && profile !== 'not_found') return undefined;
    return { pinResetServicePrincipals: { service, client }, pinRecoveryProfile: profile };
  } catch {
    return undefined;
  }
}

/** The tenant facts: from the Redis cache while fresh, else from Graph (then cached for `ttlMs`). */
export async function readTenantFacts(deps: TenantChecksDeps, signal?: AbortSignal): Promise<TenantFacts> {
  const cached = parseCached(await deps.redis.get(deps.cacheKey));
  if (cached !== undefined) return cached;
  const [service, client] = await Promise.all([servicePrincipalPresent(deps, PIN_RESET_SERVICE_APP_ID, signal), servicePrincipalPresent(deps, PIN_RESET_CLIENT_APP_ID, signal)]);
  const facts: TenantFacts = { pinResetServicePrincipals: { service, client }, pinRecoveryProfile: await pinRecoveryProfile(deps, signal) };
  await deps.redis.set(deps.cacheKey, JSON.stringify(facts), 'PX', deps.ttlMs);
  return facts;
}
