/**
 * The Windows Hello PIN reset prerequisites and mail: the simulated endpoints, and the product's tenant checks
 * through its real Graph client, budget and Redis cache. Docs followed:
 * - learn.microsoft.com/graph/api/serviceprincipal-get (by appId key; 404 when never consented), …/serviceprincipal-list;
 * - learn.microsoft.com/graph/api/intune-deviceconfig-deviceconfiguration-list and
 *   …/intune-deviceconfig-deviceconfigurationassignment-list; …/resources/intune-deviceconfig-windows10customconfiguration
 *   (omaSettings); …/resources/intune-deviceconfig-windowsidentityprotectionconfiguration?view=graph-rest-beta
 *   (beta only: pinRecoveryEnabled);
 * - learn.microsoft.com/graph/api/intune-deviceconfigv2-devicemanagementconfigurationpolicy-list?view=graph-rest-beta,
 *   …/intune-deviceconfigv2-devicemanagementconfigurationsetting-list?view=graph-rest-beta,
 *   …/intune-deviceconfigv2-devicemanagementconfigurationpolicyassignment-list?view=graph-rest-beta,
 *   …/resources/intune-shared-devicemanagementconfigurationchoicesettingvalue (choice value `…_true`),
 *   …/resources/intune-deviceconfigv2-devicemanagementconfigurationpolicytemplatereference
 *   (templateFamily endpointSecurityAccountProtection);
 * - learn.microsoft.com/graph/paging (@odata.nextLink);
 * - learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset ("Enable PIN recovery on the
 *   clients": the Settings catalog, Endpoint security > Account protection, a custom policy with the PassportForWork
 *   CSP; the Identity protection template is the older form of the same setting);
 * - learn.microsoft.com/graph/api/user-sendmail (202 Accepted).
 * Pages: https://learn.microsoft.com/en-us/graph/api/serviceprincipal-get and
 *   https://learn.microsoft.com/en-us/graph/api/intune-deviceconfig-deviceconfiguration-list
 */
import { GraphError, ResponseType } from '@microsoft/microsoft-graph-client';
import type { DeviceConfiguration, DeviceConfigurationAssignment, OmaSettingBoolean, ServicePrincipal, Windows10CustomConfiguration } from '@microsoft/microsoft-graph-types';
import type { Redis } from 'ioredis';
import { DEFAULT_BUDGET_LIMITS, GraphBudget } from '../../src/graph/budget';
import { createIntuneGateway, type IntuneGateway } from '../../src/graph/gateway';
import { MAX_LIST_PAGES } from '../../src/graph/tenant-checks';
import { createRedis, waitForReady } from '../../src/redis/connection';
import {
  FIXTURE_CONFIGURATIONS,
  PIN_RECOVERY_OMA_URI_SUFFIX,
  PIN_RESET_CLIENT_APP_ID,
  PIN_RESET_SERVICE_APP_ID,
  PRODUCT_ROLES,
  createFixtureTenant,
  type FixtureTenantOptions,
  type PinRecoverySourceKind,
} from '@resetpc/sandbox';
import { testRedisUrl, uniquePrefix } from '../support/env';
import { startTestSandbox, type TestSandbox } from './harness';

type Configuration = DeviceConfiguration & { '@odata.type': string; pinRecoveryEnabled?: boolean };
type Page = { value: Record<string, unknown>[]; '@odata.nextLink'?: string; '@odata.context'?: string };

describe('sandbox tenant checks and mail', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox({ tenant: createFixtureTenant({ pinResetServicePrincipals: 'serviceOnly', pinRecoveryProfile: 'assigned' }) });
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(() => {
    t.sandbox.control.configurationPageSize = 100;
  });

  /** Every value of a list, following @odata.nextLink with the same client, and the pages read. */
  async function all(path: string, version: 'v1.0' | 'beta' = 'beta'): Promise<{ values: Record<string, unknown>[]; pages: number }> {
    const client = t.graph().client;
    const values: Record<string, unknown>[] = [];
    let next: string | undefined = path;
    let pages = 0;
    while (next !== undefined) {
      const page = (await client.api(next).version(version).get()) as Page;
      values.push(...page.value);
      next = page['@odata.nextLink'];
      pages += 1;
    }
    return { values, pages };
  }

  it("gets a consented service principal by its appId key: GET /servicePrincipals(appId='…')", async () => {
    const sp = (await t.graph().client.api(`/servicePrincipals(appId='${PIN_RESET_SERVICE_APP_ID}')`).get()) as ServicePrincipal;
    expect(sp).toMatchObject({ appId: PIN_RESET_SERVICE_APP_ID, displayName: expect.stringContaining('Pin Reset Service'), id: expect.any(String) });
  });

  it('answers 404 Request_ResourceNotFound for an app the tenant never consented to', async () => {
    const e = (await t.graph().client.api(`/servicePrincipals(appId='${PIN_RESET_CLIENT_APP_ID}')`).get().catch((err: unknown) => err)) as GraphError;
    expect(e).toBeInstanceOf(GraphError);
    expect(e.statusCode).toBe(404);
    expect(e.code).toBe('Request_ResourceNotFound');
  });

  it("lists service principals with $filter=appId eq '…' (empty when absent)", async () => {
    const api = (appId: string) => t.graph().client.api('/servicePrincipals').filter(encodeURIComponent(`appId eq '${appId}'`)).get() as Promise<{ value: ServicePrincipal[] }>;
    expect((await api(PIN_RESET_SERVICE_APP_ID)).value.map((s) => s.appId)).toEqual([PIN_RESET_SERVICE_APP_ID]);
    expect((await api(PIN_RESET_CLIENT_APP_ID)).value).toEqual([]);
  });

  it('lists device configurations with @odata.type, including the EnablePinRecovery custom profile and its omaSettings', async () => {
    const { value } = (await t.graph().client.api('/deviceManagement/deviceConfigurations').get()) as { value: Configuration[] };
    expect(value.map((c) => c['@odata.type'])).toEqual(expect.arrayContaining(['#microsoft.graph.windows10GeneralConfiguration', '#microsoft.graph.windows10CustomConfiguration']));
    const custom = value.filter((c) => c['@odata.type'] === '#microsoft.graph.windows10CustomConfiguration') as Windows10CustomConfiguration[];
    const settings = custom.flatMap((c) => (c.omaSettings ?? []) as (OmaSettingBoolean & { '@odata.type': string })[]);
    const pin = settings.find((s) => s.omaUri?.endsWith(PIN_RECOVERY_OMA_URI_SUFFIX));
    expect(pin).toMatchObject({ '@odata.type': '#microsoft.graph.omaSettingBoolean', value: true, omaUri: `./Device/Vendor/MSFT/PassportForWork/${t.sandbox.tenantId}/Policies/EnablePinRecovery` });
  });

  it('pages device configurations with @odata.nextLink and $skiptoken, on v1.0 and beta', async () => {
    t.sandbox.control.configurationPageSize = 1;
    const first = (await t.graph().client.api('/deviceManagement/deviceConfigurations').get()) as Page;
    expect(first.value).toHaveLength(1);
    expect(first['@odata.nextLink']).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/deviceManagement\/deviceConfigurations\?\$skiptoken=/);
    const expected = t.sandbox.control.state.deviceConfigurations.map((c) => c.configuration.id);
    for (const version of ['v1.0', 'beta'] as const) {
      const read = await all('/deviceManagement/deviceConfigurations', version);
      expect(read.values.map((c) => c.id)).toEqual(expected);
      expect(read.pages).toBe(expected.length);
    }
  });

  it('serves an Identity protection profile (pinRecoveryEnabled) on beta only: v1.0 leaves the beta-only type out', async () => {
    const tenant = createFixtureTenant({ tenantId: t.sandbox.tenantId, pinRecoverySource: 'identity_protection' });
    const saved = t.sandbox.control.state.deviceConfigurations;
    t.sandbox.control.state.deviceConfigurations = tenant.deviceConfigurations;
    try {
      const beta = (await all('/deviceManagement/deviceConfigurations', 'beta')).values as unknown as Configuration[];
      expect(beta.find((c) => c.id === FIXTURE_CONFIGURATIONS.identityProtection)).toMatchObject({ '@odata.type': '#microsoft.graph.windowsIdentityProtectionConfiguration', pinRecoveryEnabled: true });
      const v1 = (await all('/deviceManagement/deviceConfigurations', 'v1.0')).values;
      expect(v1.map((c) => c.id)).not.toContain(FIXTURE_CONFIGURATIONS.identityProtection);
      expect(v1).toHaveLength(beta.length - 1);
    } finally {
      t.sandbox.control.state.deviceConfigurations = saved;
    }
  });

  it('lists the assignments of a configuration, and 404 for an unknown one', async () => {
    const gateway = t.graph();
    const { value } = (await gateway.client.api(`/deviceManagement/deviceConfigurations/${FIXTURE_CONFIGURATIONS.pinRecovery}/assignments`).get()) as { value: DeviceConfigurationAssignment[] };
    expect(value).toEqual([{ id: expect.any(String), target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: expect.any(String) } }]);
    await expect(gateway.client.api('/deviceManagement/deviceConfigurations/c0000000-0000-4000-8000-00000000dead/assignments').get()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('lists Settings catalog and Account protection policies on beta, with their settings and assignments, paged', async () => {
    const tenant = createFixtureTenant({ tenantId: t.sandbox.tenantId, pinRecoverySource: 'account_protection' });
    t.sandbox.control.state.configurationPolicies = tenant.configurationPolicies ?? [];
    t.sandbox.control.configurationPageSize = 1;
    const policies = await all('/deviceManagement/configurationPolicies');
    expect(policies.pages).toBe(2);
    expect(policies.values).toEqual([
      expect.objectContaining({ id: FIXTURE_CONFIGURATIONS.helloWithoutRecovery, platforms: 'windows10', templateReference: expect.objectContaining({ templateFamily: 'none' }) }),
      expect.objectContaining({ id: FIXTURE_CONFIGURATIONS.accountProtection, templateReference: expect.objectContaining({ templateFamily: 'endpointSecurityAccountProtection' }) }),
    ]);
    const base = `/deviceManagement/configurationPolicies/${FIXTURE_CONFIGURATIONS.accountProtection}`;
    const settings = (await t.graph().client.api(`${base}/settings`).version('beta').get()) as Page;
    expect(settings['@odata.context']).toMatch(/\$metadata#deviceManagement\/configurationPolicies\('c1000000-0000-4000-8000-000000000003'\)\/settings$/);
    expect(JSON.stringify(settings.value)).toContain('"value":"user_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery_true"');
    const assignments = (await t.graph().client.api(`${base}/assignments`).version('beta').get()) as Page;
    expect(assignments.value).toEqual([expect.objectContaining({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: expect.any(String) } })]);
    await expect(t.graph().client.api('/deviceManagement/configurationPolicies/c1000000-0000-4000-8000-00000000dead/settings').version('beta').get()).rejects.toMatchObject({ statusCode: 404 });
    // Beta only: v1.0 does not know the segment.
    await expect(t.graph().client.api('/deviceManagement/configurationPolicies').version('v1.0').get()).rejects.toMatchObject({ statusCode: 400, code: 'BadRequest' });
  });

  it('refuses the configuration lists without DeviceManagementConfiguration.Read.All (403 Forbidden)', async () => {
    const token = t.sandbox.control.issueToken({ roles: PRODUCT_ROLES.filter((r) => r !== 'DeviceManagementConfiguration.Read.All') });
    const withToken = t.graph({ credential: { getToken: () => Promise.resolve({ token, expiresOnTimestamp: t.clock.now() + 3_600_000 }) } });
    for (const path of ['/deviceManagement/configurationPolicies', '/deviceManagement/deviceConfigurations']) {
      await expect(withToken.client.api(path).version('beta').get()).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
    }
  });

  it.each([
    ['custom_profile', 'unassigned', FIXTURE_CONFIGURATIONS.pinRecovery, 0],
    ['identity_protection', 'assigned', FIXTURE_CONFIGURATIONS.identityProtection, 1],
    ['settings_catalog', 'unassigned', FIXTURE_CONFIGURATIONS.settingsCatalog, 0],
    ['account_protection', 'assigned', FIXTURE_CONFIGURATIONS.accountProtection, 1],
  ] as const)('seeds PIN recovery in the %s, %s', (source, profile, id, assignments) => {
    const tenant = createFixtureTenant({ pinRecoverySource: source, pinRecoveryProfile: profile });
    const seeds = [...tenant.deviceConfigurations.map((c) => ({ id: c.configuration.id, assignments: c.assignments })), ...(tenant.configurationPolicies ?? []).map((p) => ({ id: p.policy.id, assignments: p.assignments }))];
    expect(seeds.filter((s) => s.id === id).map((s) => s.assignments.length)).toEqual([assignments]);
    const others = Object.values(FIXTURE_CONFIGURATIONS).filter((c) => c !== id && c !== FIXTURE_CONFIGURATIONS.windowsBaseline && c !== FIXTURE_CONFIGURATIONS.unrelatedCustom && c !== FIXTURE_CONFIGURATIONS.helloWithoutRecovery);
    expect(seeds.filter((s) => others.includes(s.id as (typeof others)[number]))).toEqual([]);
    expect(createFixtureTenant({ pinRecoverySource: source, pinRecoveryProfile: 'missing' }).deviceConfigurations.map((c) => c.configuration.id)).not.toContain(id);
  });

  it.each([
    ['both', [PIN_RESET_SERVICE_APP_ID, PIN_RESET_CLIENT_APP_ID]],
    ['clientOnly', [PIN_RESET_CLIENT_APP_ID]],
    ['none', []],
  ] as const)('seeds the PIN Reset service principals as %s', (choice, present) => {
    const appIds = createFixtureTenant({ pinResetServicePrincipals: choice }).servicePrincipals.map((s) => s.appId);
    expect(appIds.filter((a) => a === PIN_RESET_SERVICE_APP_ID || a === PIN_RESET_CLIENT_APP_ID)).toEqual(present);
  });

  it('accepts sendMail with 202 and records the message', async () => {
    const message = { subject: 'Passcode reset done', body: { contentType: 'Text', content: 'Done.' }, toRecipients: [{ emailAddress: { address: 'anna.example@sandbox.example' } }] };
    const response = (await t.graph().client.api('/users/helpdesk@contoso.com/sendMail').responseType(ResponseType.RAW).post({ message, saveToSentItems: false })) as Response;
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
    expect(t.sandbox.control.sentMail).toEqual([{ at: t.clock.now(), userId: 'helpdesk@contoso.com', message, saveToSentItems: false }]);
  });

  it('answers sendMail without recipients with 400', async () => {
    await expect(t.graph().client.api('/users/helpdesk@contoso.com/sendMail').post({ message: { subject: 'x', toRecipients: [] } })).rejects.toMatchObject({ statusCode: 400, code: 'ErrorInvalidRecipients' });
  });
});

/** The product's tenant checks (src/graph/tenant-checks.ts) through its gateway, budget and cache, against the sandbox. */
describe('the tenant checks look for PIN recovery in all four places', () => {
  let t: TestSandbox;
  let redis: Redis;
  const prefixes: string[] = [];

  beforeAll(async () => {
    t = await startTestSandbox();
    redis = createRedis(testRedisUrl(), 'worker', { name: 'tenant-checks-test' });
    await waitForReady(redis, 5000);
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
    await t.close();
  });
  afterEach(() => {
    t.sandbox.control.configurationPageSize = 100;
    t.sandbox.control.setAppRoles(t.sandbox.clientId, PRODUCT_ROLES);
  });

  /** A gateway with a cache of its own (so every call reads Graph), on a budget of its own. */
  function gateway(): IntuneGateway {
    const prefix = uniquePrefix('tenant-checks');
    prefixes.push(prefix);
    const budget = new GraphBudget(redis, prefix, DEFAULT_BUDGET_LIMITS, () => t.clock.now());
    // A fresh credential: a token issued after a roles change carries the new roles.
    return createIntuneGateway({ client: t.graph({ credential: t.credentialWith({}) }), budget, tenantId: t.sandbox.tenantId, redis, prefix });
  }

  function seed(options: FixtureTenantOptions): void {
    const tenant = createFixtureTenant({ tenantId: t.sandbox.tenantId, ...options });
    t.sandbox.control.state.servicePrincipals = tenant.servicePrincipals;
    t.sandbox.control.state.deviceConfigurations = tenant.deviceConfigurations;
    t.sandbox.control.state.configurationPolicies = tenant.configurationPolicies ?? [];
  }

  const calls = () => t.sandbox.control.calls;

  it.each([
    ['settings_catalog', 'assigned'],
    ['settings_catalog', 'unassigned'],
    ['account_protection', 'assigned'],
    ['account_protection', 'unassigned'],
    ['identity_protection', 'assigned'],
    ['identity_protection', 'unassigned'],
    ['custom_profile', 'assigned'],
    ['custom_profile', 'unassigned'],
  ] as const)('finds PIN recovery in the %s, %s, reading every list one item per page', async (source: PinRecoverySourceKind, profile) => {
    seed({ pinRecoverySource: source, pinRecoveryProfile: profile });
    t.sandbox.control.configurationPageSize = 1;
    const before = calls().length;
    const facts = await gateway().tenantFacts();
    expect(facts).toEqual({
      pinResetApps: { service: 'present', client: 'present' },
      pinRecovery: { assigned: profile === 'assigned' ? [source] : [], unassigned: profile === 'assigned' ? [] : [source], notVerified: [] },
    });
    const made = calls().slice(before);
    // Reads only, and the configuration lists on beta (configurationPolicies and Identity protection are beta only).
    expect(made.every((c) => c.method === 'GET' && c.outcome === 200)).toBe(true);
    expect(made.filter((c) => c.path.includes('/deviceManagement/')).every((c) => c.path.startsWith('/beta/'))).toBe(true);
    // Every page of every list was read: one call per item.
    const listed = (path: string) => made.filter((c) => c.path === path).length;
    expect(listed('/beta/deviceManagement/deviceConfigurations')).toBe(t.sandbox.control.state.deviceConfigurations.length);
    expect(listed('/beta/deviceManagement/configurationPolicies')).toBe(t.sandbox.control.state.configurationPolicies?.length);
  });

  it('finds PIN recovery nowhere when every place was read and none turns it on (an assigned policy set to false does not count)', async () => {
    seed({ pinRecoveryProfile: 'missing' });
    const facts = await gateway().tenantFacts();
    expect(facts.pinRecovery).toEqual({ assigned: [], unassigned: [], notVerified: [] });
    // The policy that sets Enable Pin Recovery to false was read, settings and all.
    expect(calls().some((c) => c.path === `/beta/deviceManagement/configurationPolicies/${FIXTURE_CONFIGURATIONS.helloWithoutRecovery}/settings`)).toBe(true);
  });

  it('does not count a policy whose only assignment excludes a group', async () => {
    seed({ pinRecoverySource: 'settings_catalog' });
    const policy = t.sandbox.control.state.configurationPolicies?.find((p) => p.policy.id === FIXTURE_CONFIGURATIONS.settingsCatalog);
    if (policy === undefined) throw new Error('the fixture policy is missing');
    policy.assignments = [{ id: 'x', target: { '@odata.type': '#microsoft.graph.exclusionGroupAssignmentTarget', groupId: 'b0000000-0000-4000-8000-000000000009' } }];
    expect((await gateway().tenantFacts()).pinRecovery).toEqual({ assigned: [], unassigned: ['settings_catalog'], notVerified: [] });
  });

  it('reads no settings of a policy that is not for Windows', async () => {
    seed({ pinRecoverySource: 'settings_catalog' });
    const policy = t.sandbox.control.state.configurationPolicies?.find((p) => p.policy.id === FIXTURE_CONFIGURATIONS.settingsCatalog);
    if (policy === undefined) throw new Error('the fixture policy is missing');
    policy.policy.platforms = 'macOS';
    const before = calls().length;
    expect((await gateway().tenantFacts()).pinRecovery).toEqual({ assigned: [], unassigned: [], notVerified: [] });
    expect(calls().slice(before).some((c) => c.path.includes(FIXTURE_CONFIGURATIONS.settingsCatalog))).toBe(false);
  });

  it('says "not verified", never "absent", for the places it may not read (no DeviceManagementConfiguration.Read.All)', async () => {
    seed({ pinRecoverySource: 'settings_catalog' });
    t.sandbox.control.setAppRoles(t.sandbox.clientId, PRODUCT_ROLES.filter((r) => r !== 'DeviceManagementConfiguration.Read.All'));
    const why = 'the app lacks DeviceManagementConfiguration.Read.All';
    expect(await gateway().tenantFacts()).toEqual({
      pinResetApps: { service: 'present', client: 'present' },
      pinRecovery: {
        assigned: [],
        unassigned: [],
        notVerified: [
          { source: 'settings_catalog', why },
          { source: 'account_protection', why },
          { source: 'identity_protection', why },
          { source: 'custom_profile', why },
        ],
      },
    });
  });

  it('says the Pin Reset apps are not verified without Application.Read.All, and still reads PIN recovery', async () => {
    seed({ pinRecoverySource: 'account_protection' });
    t.sandbox.control.setAppRoles(t.sandbox.clientId, PRODUCT_ROLES.filter((r) => r !== 'Application.Read.All'));
    expect(await gateway().tenantFacts()).toEqual({
      pinResetApps: { service: 'not_verified', client: 'not_verified', why: 'the app lacks Application.Read.All' },
      pinRecovery: { assigned: ['account_protection'], unassigned: [], notVerified: [] },
    });
  });

  it(`says "not verified" for what lies past the ${MAX_LIST_PAGES} pages it reads of a list`, async () => {
    seed({ pinRecoverySource: 'custom_profile' });
    const configurations = t.sandbox.control.state.deviceConfigurations;
    const filler = configurations[0];
    if (filler === undefined) throw new Error('the fixture configurations are missing');
    // The custom profile comes last, past the pages read.
    const padding = Array.from({ length: MAX_LIST_PAGES }, (_, i) => ({ ...filler, configuration: { ...filler.configuration, id: `c9000000-0000-4000-8000-${String(i).padStart(12, '0')}` } }));
    t.sandbox.control.state.deviceConfigurations = [...padding, ...configurations];
    t.sandbox.control.configurationPageSize = 1;
    const cutShort = `the list has more than ${MAX_LIST_PAGES} pages`;
    expect((await gateway().tenantFacts()).pinRecovery).toEqual({
      assigned: [],
      unassigned: [],
      notVerified: [
        { source: 'identity_protection', why: cutShort },
        { source: 'custom_profile', why: cutShort },
      ],
    });
  });

  it('caches the facts: a second look reads nothing from Graph', async () => {
    seed({ pinRecoverySource: 'identity_protection' });
    const checks = gateway();
    const first = await checks.tenantFacts();
    const before = calls().length;
    expect(await checks.tenantFacts()).toEqual(first);
    expect(calls()).toHaveLength(before);
  });
});
