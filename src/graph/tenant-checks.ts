/**
 * The Windows Hello PIN reset prerequisites (DOMAIN.md §1, §2; Learn, PIN reset), read from Graph only when a Windows
 * device is met (a Windows desktop's self-service verdict, or the retired Windows 10 Mobile), and cached in Redis:
 * - the Microsoft Pin Reset Service and Client service principals, by appId key (404 = never consented);
 * - PIN recovery, in all four places it can be set (pin-recovery-sources.ts), each counting only when assigned:
 *   `GET /beta/deviceManagement/configurationPolicies` (Settings catalog and Account protection), with each Windows
 *   policy's `…/settings` and, when one turns PIN recovery on, its `…/assignments`; and
 *   `GET /beta/deviceManagement/deviceConfigurations` (Identity protection, a beta-only type, and custom OMA-URI
 *   profiles) with `…/assignments`. Every list follows `@odata.nextLink`.
 * Application.Read.All and DeviceManagementConfiguration.Read.All are optional: a source Graph refuses to show (403)
 * or cannot serve (400, 404), or a list longer than the pages read, is "not verified", never "absent". Other errors
 * (throttling, 5xx) are thrown for the caller to retry. Every call goes through the shared budget as a read.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Redis } from 'ioredis';
import { graphRequest, type GraphVersion, type GuardedCall } from './call';
import { GraphError, type CallContext } from './errors';
import { PIN_RECOVERY_SOURCES } from '../domain/tenant-facts';
import type { Finding, NotVerified, PinRecoveryFacts, PinRecoverySource, PinResetApps, TenantFacts } from './facts';
import { odataString, pathSegment } from './odata';
import { configurationPolicySource, deviceConfigurationSource, isAssigned, isWindowsPolicy, settingsSetPinRecovery } from './pin-recovery-sources';

export const PIN_RESET_SERVICE_APP_ID = 'b8456c59-1230-44c7-a4a2-99b085333e84';
export const PIN_RESET_CLIENT_APP_ID = '9115dd05-fad5-4f9c-acc7-305d08b1b04e';
export const DEFAULT_TENANT_FACTS_TTL_MS = 15 * 60 * 1000;

/** Pages read per list at most; past it, what the list would have shown is not verified. */
export const MAX_LIST_PAGES = 50;

const READ_SP: CallContext = { route: 'getServicePrincipal', what: 'GET service principal', permission: 'Application.Read.All' };
const LIST_CONFIGURATIONS: CallContext = { route: 'listDeviceConfigurations', what: 'GET device configurations', permission: 'DeviceManagementConfiguration.Read.All' };
const LIST_ASSIGNMENTS: CallContext = { route: 'listConfigurationAssignments', what: 'GET device configuration assignments', permission: 'DeviceManagementConfiguration.Read.All' };
const LIST_POLICIES: CallContext = { route: 'listConfigurationPolicies', what: 'GET configuration policies', permission: 'DeviceManagementConfiguration.Read.All' };
const LIST_POLICY_SETTINGS: CallContext = { route: 'listConfigurationPolicySettings', what: 'GET configuration policy settings', permission: 'DeviceManagementConfiguration.Read.All' };
const LIST_POLICY_ASSIGNMENTS: CallContext = { route: 'listConfigurationPolicyAssignments', what: 'GET configuration policy assignments', permission: 'DeviceManagementConfiguration.Read.All' };

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

/** Graph would not show this source: the app lacks the permission (403), or Graph does not serve it (400, 404). */
class Unreadable extends Error {}

function unreadable(e: unknown): Unreadable | undefined {
  if (!(e instanceof GraphError)) return undefined;
  if (e.code === 'graph_forbidden') return new Unreadable(`the app lacks ${e.missingPermission ?? 'the read permission'}`);
  if (e.code === 'graph_bad_request' || e.code === 'graph_not_found') return new Unreadable(`Graph did not serve it (${e.status ?? e.code})`);
  return undefined;
}

/** Only a next link to the same resource is followed: the client attaches the token to it. */
function sameResource(next: string, path: string): boolean {
  try {
    const url = new URL(next);
    return url.protocol === 'https:' && url.pathname.toLowerCase().endsWith(path.toLowerCase());
  } catch {
    return false;
  }
}

interface ListRead {
  readonly values: unknown[];
  /** False when the list had more pages than MAX_LIST_PAGES. */
  readonly complete: boolean;
}

/** Every value of a list, following @odata.nextLink. Throws Unreadable when Graph will not show it. */
async function readList(deps: TenantChecksDeps, call: CallContext, path: string, version: GraphVersion, signal: AbortSignal | undefined): Promise<ListRead> {
  const values: unknown[] = [];
  let next: string | undefined = path;
  for (let pages = 0; next !== undefined; pages += 1) {
    if (pages === MAX_LIST_PAGES) return { values, complete: false };
    const current: string = next;
    let page: unknown;
    try {
      page = await deps.guarded('read', call, (answer) => graphRequest(deps.client, current, version, signal, answer).get() as Promise<unknown>, `tenant:${current}`);
    } catch (e) {
      throw unreadable(e) ?? e;
    }
    if (isRecord(page) && Array.isArray(page.value)) values.push(...(page.value as unknown[]));
    const link = isRecord(page) ? page['@odata.nextLink'] : undefined;
    next = typeof link === 'string' && sameResource(link, path) ? link : undefined;
  }
  return { values, complete: true };
}

async function servicePrincipal(deps: TenantChecksDeps, appId: string, signal: AbortSignal | undefined): Promise<{ finding: Finding; why?: string }> {
  try {
    await deps.guarded('read', READ_SP, (answer) => graphRequest(deps.client, `/servicePrincipals(appId=${odataString(appId)})`, 'v1.0', signal, answer).select(['id', 'appId']).get() as Promise<unknown>, `tenant:sp:${appId}`);
    return { finding: 'present' };
  } catch (e) {
    if (e instanceof GraphError && e.code === 'graph_not_found') return { finding: 'absent' };
    if (e instanceof GraphError && e.code === 'graph_forbidden') return { finding: 'not_verified', why: `the app lacks ${e.missingPermission ?? 'Application.Read.All'}` };
    throw e;
  }
}

async function pinResetApps(deps: TenantChecksDeps, signal: AbortSignal | undefined): Promise<PinResetApps> {
  const [service, client] = await Promise.all([servicePrincipal(deps, PIN_RESET_SERVICE_APP_ID, signal), servicePrincipal(deps, PIN_RESET_CLIENT_APP_ID, signal)]);
  const why = service.why ?? client.why;
  return { service: service.finding, client: client.finding, ...(why === undefined ? {} : { why }) };
}

interface SourceFindings {
  assigned: PinRecoverySource[];
  unassigned: PinRecoverySource[];
  notVerified: NotVerified[];
}

const CUT_SHORT = `the list has more than ${MAX_LIST_PAGES} pages`;

/** Identity protection profiles and custom OMA-URI profiles (beta: windowsIdentityProtectionConfiguration is beta-only). */
async function fromDeviceConfigurations(deps: TenantChecksDeps, found: SourceFindings, signal: AbortSignal | undefined): Promise<void> {
  const sources: PinRecoverySource[] = ['identity_protection', 'custom_profile'];
  try {
    const list = await readList(deps, LIST_CONFIGURATIONS, '/deviceManagement/deviceConfigurations', 'beta', signal);
    const unassigned = new Set<PinRecoverySource>();
    for (const configuration of list.values) {
      const source = deviceConfigurationSource(configuration);
      if (source === undefined || found.assigned.includes(source)) continue;
      const id = (configuration as { id: string }).id;
      const assignments = await readList(deps, LIST_ASSIGNMENTS, `/deviceManagement/deviceConfigurations/${pathSegment(id)}/assignments`, 'beta', signal);
      if (isAssigned(assignments.values)) found.assigned.push(source);
      else unassigned.add(source);
    }
    found.unassigned.push(...[...unassigned].filter((s) => !found.assigned.includes(s)));
    if (!list.complete) found.notVerified.push(...sources.filter((s) => !found.assigned.includes(s)).map((source) => ({ source, why: CUT_SHORT })));
  } catch (e) {
    if (!(e instanceof Unreadable)) throw e;
    found.notVerified.push(...sources.map((source) => ({ source, why: e.message })));
  }
}

/** Settings catalog and Account protection policies (beta only). */
async function fromConfigurationPolicies(deps: TenantChecksDeps, found: SourceFindings, signal: AbortSignal | undefined): Promise<void> {
  const sources: PinRecoverySource[] = ['settings_catalog', 'account_protection'];
  try {
    const list = await readList(deps, LIST_POLICIES, '/deviceManagement/configurationPolicies', 'beta', signal);
    const unassigned = new Set<PinRecoverySource>();
    let complete = list.complete;
    for (const policy of list.values) {
      if (!isWindowsPolicy(policy)) continue;
      const source = configurationPolicySource(policy);
      if (found.assigned.includes(source)) continue;
      const base = `/deviceManagement/configurationPolicies/${pathSegment(policy.id)}`;
      const settings = await readList(deps, LIST_POLICY_SETTINGS, `${base}/settings`, 'beta', signal);
      complete &&= settings.complete;
      if (!settingsSetPinRecovery(settings.values)) continue;
      const assignments = await readList(deps, LIST_POLICY_ASSIGNMENTS, `${base}/assignments`, 'beta', signal);
      if (isAssigned(assignments.values)) found.assigned.push(source);
      else unassigned.add(source);
    }
    found.unassigned.push(...[...unassigned].filter((s) => !found.assigned.includes(s)));
    if (!complete) found.notVerified.push(...sources.filter((s) => !found.assigned.includes(s)).map((source) => ({ source, why: CUT_SHORT })));
  } catch (e) {
    if (!(e instanceof Unreadable)) throw e;
    found.notVerified.push(...sources.map((source) => ({ source, why: e.message })));
  }
}

/** Where PIN recovery is set and assigned, in all four places, and which could not be read. */
export async function readPinRecovery(deps: TenantChecksDeps, signal?: AbortSignal): Promise<PinRecoveryFacts> {
  const found: SourceFindings = { assigned: [], unassigned: [], notVerified: [] };
  await fromConfigurationPolicies(deps, found, signal);
  await fromDeviceConfigurations(deps, found, signal);
  return found;
}

const FINDINGS: ReadonlySet<unknown> = new Set<Finding>(['present', 'absent', 'not_verified']);
const SOURCES: ReadonlySet<unknown> = new Set<PinRecoverySource>(PIN_RECOVERY_SOURCES);

const sourceList = (value: unknown): value is PinRecoverySource[] => Array.isArray(value) && value.every((v) => SOURCES.has(v));

/** The cached facts, checked field by field; undefined (read again) for anything else, an older shape included. */
function parseCached(text: string | null): TenantFacts | undefined {
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    if (!isRecord(value) || !isRecord(value.pinResetApps) || !isRecord(value.pinRecovery)) return undefined;
    const { service, client, why } = value.pinResetApps;
    const { assigned, unassigned, notVerified } = value.pinRecovery;
    if (!FINDINGS.has(service) || !FINDINGS.has(client) || (why !== undefined && typeof why !== 'string')) return undefined;
    if (!sourceList(assigned) || !sourceList(unassigned) || !Array.isArray(notVerified)) return undefined;
    const unread: NotVerified[] = [];
    for (const entry of notVerified as unknown[]) {
      if (!isRecord(entry) || !SOURCES.has(entry.source) || typeof entry.why !== 'string') return undefined;
      unread.push({ source: entry.source as PinRecoverySource, why: entry.why });
    }
    return {
      pinResetApps: { service: service as Finding, client: client as Finding, ...(why === undefined ? {} : { why }) },
      pinRecovery: { assigned, unassigned, notVerified: unread },
    };
  } catch {
    return undefined;
  }
}

/** The tenant facts: from the Redis cache while fresh, else from Graph (then cached for `ttlMs`). */
export async function readTenantFacts(deps: TenantChecksDeps, signal?: AbortSignal): Promise<TenantFacts> {
  const cached = parseCached(await deps.redis.get(deps.cacheKey));
  if (cached !== undefined) return cached;
  const facts: TenantFacts = { pinResetApps: await pinResetApps(deps, signal), pinRecovery: await readPinRecovery(deps, signal) };
  await deps.redis.set(deps.cacheKey, JSON.stringify(facts), 'PX', deps.ttlMs);
  return facts;
}
