/**
 * Tenant prerequisites and mail. Docs: learn.microsoft.com/graph/api/serviceprincipal-get (by appId key),
 * …/serviceprincipal-list ($filter appId eq), …/intune-deviceconfig-deviceconfiguration-list,
 * …/resources/intune-deviceconfig-windows10customconfiguration (omaSettings),
 * …/intune-deviceconfig-deviceconfigurationassignment-list, …/user-sendmail (202 Accepted).
 */
import { GraphError, ResponseType } from '@microsoft/microsoft-graph-client';
import type { DeviceConfiguration, DeviceConfigurationAssignment, OmaSettingBoolean, ServicePrincipal, Windows10CustomConfiguration } from '@microsoft/microsoft-graph-types';
import {
  FIXTURE_CONFIGURATIONS,
  PIN_RECOVERY_OMA_URI_SUFFIX,
  PIN_RESET_CLIENT_APP_ID,
  PIN_RESET_SERVICE_APP_ID,
  createFixtureTenant,
} from '../../src/sandbox';
import { startTestSandbox, type TestSandbox } from './harness';

type Configuration = DeviceConfiguration & { '@odata.type': string };

describe('sandbox tenant checks and mail', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox({ tenant: createFixtureTenant({ pinResetServicePrincipals: 'serviceOnly', pinRecoveryProfile: 'assigned' }) });
  });
  afterAll(async () => {
    await t.close();
  });

  it("gets a consented service principal by its appId key: GET /servicePrincipals(appId='…')", async () => {
    const sp = (await t.gateway().client.api(`/servicePrincipals(appId='${PIN_RESET_SERVICE_APP_ID}')`).get()) as ServicePrincipal;
    expect(sp).toMatchObject({ appId: PIN_RESET_SERVICE_APP_ID, displayName: expect.stringContaining('Pin Reset Service'), id: expect.any(String) });
  });

  it('answers 404 Request_ResourceNotFound for an app the tenant never consented to', async () => {
    const e = (await t.gateway().client.api(`/servicePrincipals(appId='${PIN_RESET_CLIENT_APP_ID}')`).get().catch((err: unknown) => err)) as GraphError;
    expect(e).toBeInstanceOf(GraphError);
    expect(e.statusCode).toBe(404);
    expect(e.code).toBe('Request_ResourceNotFound');
  });

  it("lists service principals with $filter=appId eq '…' (empty when absent)", async () => {
    const api = (appId: string) => t.gateway().client.api('/servicePrincipals').filter(encodeURIComponent(`appId eq '${appId}'`)).get() as Promise<{ value: ServicePrincipal[] }>;
    expect((await api(PIN_RESET_SERVICE_APP_ID)).value.map((s) => s.appId)).toEqual([PIN_RESET_SERVICE_APP_ID]);
    expect((await api(PIN_RESET_CLIENT_APP_ID)).value).toEqual([]);
  });

  it('lists device configurations with @odata.type, including the EnablePinRecovery custom profile and its omaSettings', async () => {
    const { value } = (await t.gateway().client.api('/deviceManagement/deviceConfigurations').get()) as { value: Configuration[] };
    expect(value.map((c) => c['@odata.type'])).toEqual(expect.arrayContaining(['#microsoft.graph.windows10GeneralConfiguration', '#microsoft.graph.windows10CustomConfiguration']));
    const custom = value.filter((c) => c['@odata.type'] === '#microsoft.graph.windows10CustomConfiguration') as Windows10CustomConfiguration[];
    const settings = custom.flatMap((c) => (c.omaSettings ?? []) as (OmaSettingBoolean & { '@odata.type': string })[]);
    const pin = settings.find((s) => s.omaUri?.endsWith(PIN_RECOVERY_OMA_URI_SUFFIX));
    expect(pin).toMatchObject({ '@odata.type': '#microsoft.graph.omaSettingBoolean', value: true, omaUri: `./Device/Vendor/MSFT/PassportForWork/${t.sandbox.tenantId}/Policies/EnablePinRecovery` });
  });

  it('lists the assignments of a configuration, and 404 for an unknown one', async () => {
    const gateway = t.gateway();
    const { value } = (await gateway.client.api(`/deviceManagement/deviceConfigurations/${FIXTURE_CONFIGURATIONS.pinRecovery}/assignments`).get()) as { value: DeviceConfigurationAssignment[] };
    expect(value).toEqual([{ id: expect.any(String), target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: expect.any(String) } }]);
    await expect(gateway.client.api('/deviceManagement/deviceConfigurations/c0000000-0000-4000-8000-00000000dead/assignments').get()).rejects.toMatchObject({ statusCode: 404 });
  });

  it.each([
    ['unassigned', 1, 0],
    ['missing', 0, 0],
  ] as const)('seeds the EnablePinRecovery profile as %s', (profile, profiles, assignments) => {
    const tenant = createFixtureTenant({ pinRecoveryProfile: profile });
    const pin = tenant.deviceConfigurations.filter((c) => c.configuration.id === FIXTURE_CONFIGURATIONS.pinRecovery);
    expect(pin).toHaveLength(profiles);
    expect(pin.flatMap((c) => c.assignments)).toHaveLength(assignments);
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
    const response = (await t.gateway().client.api('/users/helpdesk@sandbox.example/sendMail').responseType(ResponseType.RAW).post({ message, saveToSentItems: false })) as Response;
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
    expect(t.sandbox.control.sentMail).toEqual([{ at: t.clock.now(), userId: 'helpdesk@sandbox.example', message, saveToSentItems: false }]);
  });

  it('answers sendMail without recipients with 400', async () => {
    await expect(t.gateway().client.api('/users/helpdesk@sandbox.example/sendMail').post({ message: { subject: 'x', toRecipients: [] } })).rejects.toMatchObject({ statusCode: 400, code: 'ErrorInvalidRecipients' });
  });
});
