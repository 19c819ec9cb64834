/**
 * The Intune gateway against the sandbox (HTTPS, real credential) and a real Redis budget. Docs:
 * learn.microsoft.com/graph/api/intune-devices-manageddevice-get / -list / -resetpasscode,
 * …/resources/intune-devices-resetpasscodeactionresult, …/graph/throttling (429, Retry-After), DOMAIN.md §2–§3.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_BUDGET_LIMITS, GraphBudget } from '../../src/graph/budget';
import { GraphBudgetWait, GraphError, type CallContext } from '../../src/graph/errors';
import { DEVICE_FACT_FIELDS } from '../../src/graph/facts';
import { createGuardedCall, type CoveredRead } from '../../src/graph/call';
import { createIntuneGateway, type IntuneGateway } from '../../src/graph/gateway';
import { createRedis, waitForReady } from '../../src/redis/connection';
import {
  FIXTURE_CONFIGURATIONS,
  FIXTURE_DEVICES,
  INTUNE_THROTTLE_LIMITS,
  PRODUCT_ROLES,
  SANDBOX_CANARY_PASSCODE_PREFIX,
  SHARED_DEVICE_NAME,
  createFixtureTenant,
  type PinRecoveryProfile,
  type PinResetServicePrincipals,
} from '@resetpc/sandbox';
import { startTestSandbox, type TestSandbox } from '../sandbox/harness';
import { testRedisUrl, uniquePrefix } from '../support/env';

describe('Intune gateway against the sandbox and a real Redis budget', () => {
  let t: TestSandbox;
  let redis: Redis;
  const prefixes: string[] = [];

  const make = (options: { credential?: TestSandbox['credential']; budget?: GraphBudget } = {}): { gateway: IntuneGateway; budget: GraphBudget; prefix: string } => {
    const prefix = uniquePrefix('graph-gateway');
    prefixes.push(prefix);
    const budget = options.budget ?? new GraphBudget(redis, prefix, DEFAULT_BUDGET_LIMITS, () => t.clock.now());
    const client = t.graph(options.credential === undefined ? {} : { credential: options.credential });
    return { gateway: createIntuneGateway({ client, budget, tenantId: t.sandbox.tenantId, redis, prefix }), budget, prefix };
  };
  let gw: IntuneGateway;
  const calls = () => t.sandbox.control.calls;
  const postsTo = (id: string) => calls().filter((c) => c.method === 'POST' && c.path.endsWith(`/managedDevices/${id}/resetPasscode`)).length;
  const expectNoPasscode = (value: unknown): void => {
    const json = JSON.stringify(value);
    expect(json).not.toContain(SANDBOX_CANARY_PASSCODE_PREFIX);
    expect(json.toLowerCase()).not.toContain('"passcode"');
  };
  const failure = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

  beforeAll(async () => {
    t = await startTestSandbox();
    redis = createRedis(testRedisUrl(), 'worker', { name: 'graph-gateway-test' });
    await waitForReady(redis, 5000);
    gw = make().gateway;
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
    await t.close();
  });

  it('reads a device from beta with $select of exactly the DeviceFacts fields, and maps nothing else', async () => {
    const id = FIXTURE_DEVICES.windowsMobileAadJoined;
    const facts = await gw.getDevice(id);
    expect(facts).toEqual({
      id,
      deviceName: 'WM10-CORP-0001',
      operatingSystem: 'Windows',
      osVersion: '10.0.15063.297',
      deviceType: 'windowsPhone',
      joinType: 'azureADJoined',
      deviceEnrollmentType: 'windowsAzureADJoin',
      managementAgent: 'mdm',
      managementState: 'managed',
      ownerType: 'company',
      lastSyncDateTime: expect.any(String),
      azureADDeviceId: id.replace(/^d/, 'a'),
      serialNumber: expect.stringMatching(/^SBX\d+$/),
      userPrincipalName: 'anna.example@sandbox.example',
    });
    const call = calls().at(-1)!;
    expect(call).toMatchObject({ method: 'GET', path: `/beta/deviceManagement/managedDevices/${id}`, outcome: 200 });
    expect(new URLSearchParams(call.query).get('$select')?.split(',')).toEqual([...DEVICE_FACT_FIELDS]);
    expect(await gw.getDevice(FIXTURE_DEVICES.iosSupervised)).toMatchObject({ isSupervised: true, deviceType: 'iPhone' });
  });

  it('answers undefined for a device Graph does not know (404)', async () => {
    expect(await gw.getDevice('00000000-0000-4000-8000-00000000dead')).toBeUndefined();
    expect(calls().at(-1)).toMatchObject({ outcome: 404 });
  });

  it('maps a Graph 401 (a token Graph refuses) to a permanent graph_unauthorized', async () => {
    const expired = t.sandbox.control.issueToken({ lifetimeSeconds: 1 });
    t.clock.advance(2_000);
    const client = t.graph({ credential: { getToken: () => Promise.resolve({ token: expired, expiresOnTimestamp: Date.now() + 3_600_000 }) } });
    const prefix = uniquePrefix('graph-gateway');
    prefixes.push(prefix);
    const gateway = createIntuneGateway({ client, budget: new GraphBudget(redis, prefix, DEFAULT_BUDGET_LIMITS, () => t.clock.now()), tenantId: t.sandbox.tenantId, redis, prefix });
    const e = await failure(gateway.resetActionResults(FIXTURE_DEVICES.androidDedicated));
    expect(e).toMatchObject({ code: 'graph_unauthorized', status: 401, permanent: true, graphCode: 'InvalidAuthenticationToken' });
    expect((e as Error).message).not.toContain(expired);
  });

  it("finds a device by a name with a single quote (Anna's iPhone), and both devices that share a name", async () => {
    const anna = await gw.findDevices('deviceName', "Anna's iPhone");
    expect(anna.exact.map((d) => d.id)).toEqual([FIXTURE_DEVICES.iosUnsupervised]);
    expect(new URLSearchParams(calls().at(-1)!.query).get('$filter')).toBe("deviceName eq 'Anna''s iPhone'");
    const shared = await gw.findDevices('deviceName', SHARED_DEVICE_NAME);
    expect(shared.exact.map((d) => d.id).sort()).toEqual([FIXTURE_DEVICES.sharedNameFirst, FIXTURE_DEVICES.sharedNameSecond]);
    expect(await gw.findDevices('serialNumber', 'NO-SUCH-SERIAL')).toMatchObject({ exact: [], exactCount: 0, near: [], complete: true });
    expectNoPasscode([anna, shared]);
  });

  it('resets once, then shows the result pending → active → done as time moves, never with the canary passcode', async () => {
    const id = FIXTURE_DEVICES.androidFullyManaged;
    t.sandbox.control.scriptAction(id, { outcome: 'done', activeAfterMs: 5_000, finalAfterMs: 30_000 });
    const postedAt = new Date(t.clock.now()).toISOString();
    await gw.resetPasscode(id);
    expect(t.sandbox.control.resetPasscodeCount(id)).toBe(1);
    // On beta, as the workers send it, and answered 204.
    expect(calls().at(-1)).toMatchObject({ method: 'POST', path: `/beta/deviceManagement/managedDevices/${id}/resetPasscode`, outcome: 204 });
    const states: string[] = [];
    for (const step of [0, 5_000, 25_000]) {
      t.clock.advance(step);
      const results = await gw.resetActionResults(id);
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({ actionName: 'resetPasscode', startDateTime: postedAt });
      expectNoPasscode(results);
      states.push(results[0]!.actionState);
    }
    expect(states).toEqual(['pending', 'active', 'done']);
    expect(calls().at(-1)).toMatchObject({ path: `/v1.0/deviceManagement/managedDevices/${id}`, query: expect.stringContaining('deviceActionResults') });
    // The sandbox does serve the canary on beta, so its absence from the gateway's beta read means something.
    const raw: unknown = await t.request(`/deviceManagement/managedDevices/${id}`, { version: 'beta' }).select(['deviceActionResults']).get();
    expect(JSON.stringify(raw)).toContain(SANDBOX_CANARY_PASSCODE_PREFIX);
    const facts = await gw.getDevice(id);
    expect(calls().at(-1)).toMatchObject({ path: `/beta/deviceManagement/managedDevices/${id}`, outcome: 200 });
    expectNoPasscode(facts);
  });

  it('fails a reset with graph_forbidden naming PrivilegedOperations.All when the app lacks it, and resets nothing', async () => {
    const id = FIXTURE_DEVICES.androidDedicated;
    t.sandbox.control.setAppRoles(t.sandbox.clientId, PRODUCT_ROLES.filter((r) => r !== 'DeviceManagementManagedDevices.PrivilegedOperations.All'));
    try {
      const e = await failure(make({ credential: t.credentialWith({}) }).gateway.resetPasscode(id));
      expect(e).toBeInstanceOf(GraphError);
      expect(e).toMatchObject({ code: 'graph_forbidden', status: 403, permanent: true, missingPermission: 'DeviceManagementManagedDevices.PrivilegedOperations.All' });
      expect((e as GraphError).message).toContain('DeviceManagementManagedDevices.PrivilegedOperations.All');
      expect(t.sandbox.control.resetPasscodeCount(id)).toBe(0);
    } finally {
      t.sandbox.control.setAppRoles(t.sandbox.clientId, PRODUCT_ROLES);
    }
  });

  it('reports graph_unauthorized when Entra ID refuses the credential (transient: the cause cannot be told from an outage), without the secret', async () => {
    const secret = 'not-the-right-secret-0123456789';
    const e = await failure(make({ credential: t.credentialWith({ clientSecret: secret }) }).gateway.getDevice(FIXTURE_DEVICES.androidDedicated));
    expect(e).toMatchObject({ code: 'graph_unauthorized', permanent: false });
    expect((e as Error).message).toMatch(/token from Entra ID/);
    expect(JSON.stringify({ message: (e as Error).message, e })).not.toContain(secret);
  });

  it('maps a 429 to graph_throttled and pauses the tenant, so the next call waits without reaching Graph', async () => {
    t.clock.advance(INTUNE_THROTTLE_LIMITS.windowMs);
    t.sandbox.control.setThrottleLimits({ appRequests: 2 });
    const { gateway, budget } = make();
    try {
      await gateway.getDevice(FIXTURE_DEVICES.androidAosp);
      await gateway.getDevice(FIXTURE_DEVICES.androidAosp);
      const e = await failure(gateway.getDevice(FIXTURE_DEVICES.androidAosp));
      expect(e).toBeInstanceOf(GraphError);
      expect(e).toMatchObject({ code: 'graph_throttled', status: 429, permanent: false, retryAfterMs: 20_000 });
      expect(await budget.pausedForMs(t.sandbox.tenantId)).toBe(20_000);
      const seen = calls().length;
      const wait = await failure(gateway.resetPasscode(FIXTURE_DEVICES.androidAosp));
      expect(wait).toBeInstanceOf(GraphBudgetWait);
      expect(wait).toMatchObject({ code: 'graph_budget_wait', waitMs: 20_000, why: 'paused' });
      expect(calls()).toHaveLength(seen);
      t.clock.advance(20_000);
      expect(await gateway.getDevice(FIXTURE_DEVICES.androidAosp)).toMatchObject({ id: FIXTURE_DEVICES.androidAosp });
    } finally {
      t.sandbox.control.setThrottleLimits(INTUNE_THROTTLE_LIMITS);
    }
  });

  it('throws GraphBudgetWait when the shared write budget is spent, without reaching Graph', async () => {
    const prefix = uniquePrefix('graph-gateway');
    prefixes.push(prefix);
    const budget = new GraphBudget(redis, prefix, { windowMs: 20_000, writes: 1, reads: 100 }, () => t.clock.now());
    const { gateway } = make({ budget });
    await gateway.resetPasscode(FIXTURE_DEVICES.androidCorporateWorkProfile);
    const seen = calls().length;
    expect(await failure(gateway.resetPasscode(FIXTURE_DEVICES.androidCorporateWorkProfile))).toMatchObject({ code: 'graph_budget_wait', why: 'budget', waitMs: 20_000 });
    expect(calls()).toHaveLength(seen);
    expect(t.sandbox.control.resetPasscodeCount(FIXTURE_DEVICES.androidCorporateWorkProfile)).toBe(1);
  });

  it('runs a reset POST\'s beforeSend only once the budget admits it, and sends nothing when it throws', async () => {
    const prefix = uniquePrefix('graph-gateway');
    prefixes.push(prefix);
    const budget = new GraphBudget(redis, prefix, { windowMs: 20_000, writes: 1, reads: 100 }, () => t.clock.now());
    const { gateway } = make({ budget });
    const id = FIXTURE_DEVICES.androidDedicated;
    const before = t.sandbox.control.resetPasscodeCount(id);
    const counted: number[] = [];
    // Admitted: beforeSend runs before the POST is sent.
    await gateway.resetPasscode(id, undefined, async () => {
      counted.push(t.sandbox.control.resetPasscodeCount(id));
      await Promise.resolve();
    });
    expect(counted).toEqual([before]);
    expect(t.sandbox.control.resetPasscodeCount(id)).toBe(before + 1);
    // The budget says wait: beforeSend does not run, and nothing is sent.
    expect(await failure(gateway.resetPasscode(id, undefined, async () => { counted.push(-1); await Promise.resolve(); }))).toMatchObject({ code: 'graph_budget_wait', why: 'budget' });
    expect(counted).toEqual([before]);
    // Admitted again, but beforeSend refuses: its own error, and no POST.
    t.clock.advance(20_000);
    const refusal = new Error('the request moved on');
    expect(await failure(gateway.resetPasscode(id, undefined, () => Promise.reject(refusal)))).toBe(refusal);
    expect(t.sandbox.control.resetPasscodeCount(id)).toBe(before + 1);
  });

  it('lets a reset POST\'s admission cover one read of the device\'s action results, made before the POST without asking the read lane (ADR 017)', async () => {
    const prefix = uniquePrefix('graph-gateway');
    prefixes.push(prefix);
    // Reads: 100 − 2 × 1 = 98 per 20 s, one every ~204 ms, at most 1 s ahead: a handful of reads books the lane.
    const budget = new GraphBudget(redis, prefix, { windowMs: 20_000, writes: 1, reads: 100 }, () => t.clock.now());
    const { gateway } = make({ budget });
    const id = FIXTURE_DEVICES.androidFullyManaged;
    while ((await budget.acquire(t.sandbox.tenantId, 'read')).ok);
    expect(await failure(gateway.resetActionResults(id))).toMatchObject({ code: 'graph_budget_wait', why: 'budget' });
    const seen = calls().length;
    const reads: unknown[] = [];
    await gateway.resetPasscode(id, undefined, async (admitted) => {
      reads.push(await admitted.resetActionResults());
      // One read per admission: a second is refused, and never reaches Graph.
      reads.push(await failure(admitted.resetActionResults()));
    });
    expect(reads[0]).toEqual(expect.any(Array));
    expectNoPasscode(reads[0]);
    expect(reads[1]).toMatchObject({ message: expect.stringMatching(/covers one read/) });
    // Graph saw the read, then the POST; the budget counts both as requests of the write's admission.
    expect(calls().slice(seen).map((c) => `${c.method} ${c.path}`)).toEqual([`GET /v1.0/deviceManagement/managedDevices/${id}`, `POST /beta/deviceManagement/managedDevices/${id}/resetPasscode`]);
    expect(await budget.usage(t.sandbox.tenantId)).toMatchObject({ writes: 1 });
    // The read lane was not asked: it is as booked as before.
    expect(await failure(gateway.resetActionResults(id))).toMatchObject({ code: 'graph_budget_wait', why: 'budget' });
  });

  it('gives a read\'s admission no read of its own, and a write\'s none after its POST has gone', async () => {
    const { budget } = make();
    const guarded = createGuardedCall(budget, t.sandbox.tenantId);
    const context: CallContext = { what: 'GET something', permission: 'DeviceManagementManagedDevices.Read.All' };
    const sent: string[] = [];
    const send = (what: string) => () => { sent.push(what); return Promise.resolve(what); };
    expect(await failure(guarded('read', context, send('read'), undefined, (covered) => covered(context, send('covered')).then(() => undefined)))).toMatchObject({ message: expect.stringMatching(/covers no read/) });
    expect(sent).toEqual([]);
    let kept: CoveredRead | undefined;
    await guarded('write', context, send('write'), 'reset:covered-later', (covered) => { kept = covered; return Promise.resolve(); });
    expect(await failure(kept!(context, send('late')))).toMatchObject({ message: expect.stringMatching(/covers one read/) });
    expect(sent).toEqual(['write']);
  });

  it('sends a reset POST that meets a 503 exactly once (the client never resends it) and reports graph_unavailable', async () => {
    const id = FIXTURE_DEVICES.androidPersonalWorkProfile;
    // Only the first POST gets the 503: a resend would succeed, and the gateway would not throw.
    t.sandbox.control.injectFault({ method: 'POST', path: `/beta/deviceManagement/managedDevices/${id}/resetPasscode`, sequence: [{ kind: 'status', status: 503 }] });
    const e = await failure(gw.resetPasscode(id));
    expect(e).toMatchObject({ code: 'graph_unavailable', status: 503, permanent: false, retryAfterMs: 1_000 });
    expect(postsTo(id)).toBe(1);
    // The 503 came before the reset took effect.
    expect(t.sandbox.control.resetPasscodeCount(id)).toBe(0);
  });

  it('reports a lost response as graph_unavailable after exactly one POST, and the action exists', async () => {
    const id = FIXTURE_DEVICES.retirePending;
    t.sandbox.control.injectFault({ method: 'POST', path: `/beta/deviceManagement/managedDevices/${id}/resetPasscode`, sequence: [{ kind: 'lostResponse' }] });
    // A budget of its own: the shared one's clock stands still, and writes are paced one interval apart.
    const e = await failure(make().gateway.resetPasscode(id));
    expect(e).toBeInstanceOf(GraphError);
    expect(e).toMatchObject({ code: 'graph_unavailable', permanent: false });
    expect(calls().filter((c) => c.path.endsWith(`/${id}/resetPasscode`)).map((c) => c.outcome)).toEqual(['lostResponse']);
    expect(t.sandbox.control.resetPasscodeCount(id)).toBe(1);
    expect(await gw.resetActionResults(id)).toEqual([expect.objectContaining({ actionName: 'resetPasscode', actionState: 'pending' })]);
  });

  // The four places PIN recovery can be set, paging and "not verified" are in test/sandbox/tenant-checks.test.ts.
  describe('tenantFacts', () => {
    const seed = (sps: PinResetServicePrincipals, profile: PinRecoveryProfile): void => {
      const tenant = createFixtureTenant({ tenantId: t.sandbox.tenantId, pinResetServicePrincipals: sps, pinRecoveryProfile: profile });
      t.sandbox.control.state.servicePrincipals = tenant.servicePrincipals;
      t.sandbox.control.state.deviceConfigurations = tenant.deviceConfigurations;
      t.sandbox.control.state.configurationPolicies = tenant.configurationPolicies ?? [];
    };
    afterAll(() => {
      seed('both', 'assigned');
    });

    it.each([
      ['both', 'assigned', { service: 'present', client: 'present' }, { assigned: ['custom_profile'], unassigned: [] }],
      ['serviceOnly', 'unassigned', { service: 'present', client: 'absent' }, { assigned: [], unassigned: ['custom_profile'] }],
      ['clientOnly', 'missing', { service: 'absent', client: 'present' }, { assigned: [], unassigned: [] }],
      ['none', 'assigned', { service: 'absent', client: 'absent' }, { assigned: ['custom_profile'], unassigned: [] }],
    ] as const)('reads service principals %s and the profile %s, then serves them from the cache', async (sps, profile, apps, recovery) => {
      seed(sps, profile);
      const { gateway, prefix } = make();
      const before = calls().length;
      const expected = { pinResetApps: apps, pinRecovery: { ...recovery, notVerified: [] } };
      expect(await gateway.tenantFacts()).toEqual(expected);
      const made = calls().slice(before);
      expect(made.every((c) => c.method === 'GET')).toBe(true);
      expect(made.filter((c) => c.path.startsWith('/v1.0/servicePrincipals'))).toHaveLength(2);
      const afterFirst = calls().length;
      expect(await gateway.tenantFacts()).toEqual(expected);
      expect(calls()).toHaveLength(afterFirst);
      const ttl = await redis.pttl(`${prefix}:graph:tenant-facts:${t.sandbox.tenantId}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(15 * 60 * 1000);
    });

    it('matches the EnablePinRecovery OMA-URI case-insensitively, and only a boolean true counts', async () => {
      seed('both', 'assigned');
      const pin = t.sandbox.control.state.deviceConfigurations.find((c) => c.configuration.id === FIXTURE_CONFIGURATIONS.pinRecovery)!;
      const setting = (pin.configuration as unknown as { omaSettings: { omaUri: string; value: unknown }[] }).omaSettings[0]!;
      setting.omaUri = setting.omaUri.replace('/Device/', '/User/').toUpperCase();
      expect((await make().gateway.tenantFacts()).pinRecovery.assigned).toEqual(['custom_profile']);
      setting.value = false;
      expect((await make().gateway.tenantFacts()).pinRecovery).toEqual({ assigned: [], unassigned: [], notVerified: [] });
    });

    it('says the consent is not verified, naming Application.Read.All, when the app may not read service principals', async () => {
      t.sandbox.control.setAppRoles(t.sandbox.clientId, PRODUCT_ROLES.filter((r) => r !== 'Application.Read.All'));
      try {
        const facts = await make({ credential: t.credentialWith({}) }).gateway.tenantFacts();
        expect(facts.pinResetApps).toEqual({ service: 'not_verified', client: 'not_verified', why: 'the app lacks Application.Read.All' });
      } finally {
        t.sandbox.control.setAppRoles(t.sandbox.clientId, PRODUCT_ROLES);
      }
    });
  });
});
