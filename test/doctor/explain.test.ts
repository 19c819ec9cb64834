import { CredentialUnavailableError } from '@azure/identity';
import { parseConfig } from '../../src/config/load';
import { explainSignInError, judgeGraphPermissions, rolesOf } from '../../src/doctor/graph';
import { blankSecrets, exitCodeOf, formatReport, fail, ok, skip, warn } from '../../src/doctor/report';

const jwt = (payload: unknown): string => `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2lnbmF0dXJl`;
const config = parseConfig({ AZURE_TENANT_ID: '5a9d0c1e-0000-4000-8000-5a9d0c1e0001', AZURE_CLIENT_ID: '5a9d0c1e-0000-4000-8000-5a9d0c1e00a1', AZURE_CLIENT_SECRET: 'x' });

/** The parts of the doctor a real tenant exercises and the sandbox cannot: JWT roles, Entra ID's error codes. */
describe('the doctor, piece by piece', () => {
  it('reads the application roles of a real (JWT) access token, and nothing from an opaque one', () => {
    expect(rolesOf(jwt({ aud: 'https://graph.microsoft.com', roles: ['DeviceManagementManagedDevices.Read.All', 'Application.Read.All'] }))).toEqual(['DeviceManagementManagedDevices.Read.All', 'Application.Read.All']);
    expect(rolesOf(jwt({ aud: 'https://graph.microsoft.com' }))).toEqual([]);
    expect(rolesOf('sbx-at.opaque-token')).toBeUndefined();
    expect(rolesOf('a.%%%.c')).toBeUndefined();
  });

  it('judges the permissions from the token\'s roles and the probe reads', () => {
    const all = ['DeviceManagementManagedDevices.Read.All', 'DeviceManagementManagedDevices.PrivilegedOperations.All', 'DeviceManagementConfiguration.Read.All', 'Application.Read.All'];
    const judge = (roles: readonly string[] | undefined, more: { forbidden?: string[]; problems?: string[]; graphMail?: boolean } = {}) =>
      judgeGraphPermissions({ roles, forbidden: more.forbidden ?? [], problems: more.problems ?? [], graphMail: more.graphMail ?? false });
    expect(judge(all)).toMatchObject({ status: 'ok', detail: `granted: ${all.join(', ')}` });
    const noReset = judge(all.filter((r) => !r.includes('PrivilegedOperations')));
    expect(noReset).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^missing application permission: DeviceManagementManagedDevices\.PrivilegedOperations\.All \(to send POST …\/resetPasscode/) });
    expect(noReset.fix).toMatch(/Grant admin consent/);
    // Mail.Send scoped with Exchange RBAC for Applications is not in the token: a warning to check, not a failure.
    expect(judge(all, { graphMail: true })).toMatchObject({ status: 'warn', detail: expect.stringContaining('Mail.Send is not in the token'), fix: expect.stringContaining('RBAC for Applications') });
    expect(judge([...all, 'Mail.Send'], { graphMail: true })).toMatchObject({ status: 'ok', detail: expect.stringContaining('tenant-wide unless') });
    expect(judge([...all, 'Directory.Read.All'])).toMatchObject({ status: 'warn', detail: expect.stringContaining('Directory.Read.All') });
    // A token's roles can lag a consent change; a 403 on the probe read counts as missing either way. The two Windows
    // permissions are optional: missing, they are a warning, not a failure.
    expect(judge(all, { forbidden: ['DeviceManagementConfiguration.Read.All'] })).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^optional permission missing: DeviceManagementConfiguration\.Read\.All/) });
    expect(judge(all.filter((r) => r !== 'Application.Read.All'))).toMatchObject({ status: 'warn', detail: expect.stringContaining('Windows requests still end with what the user does'), fix: expect.stringMatching(/^Optional: .*Application\.Read\.All/) });
    const both = judge(all.filter((r) => r.startsWith('DeviceManagementManagedDevices')), { graphMail: true });
    expect(both).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^optional permissions missing: DeviceManagementConfiguration\.Read\.All .*, Application\.Read\.All .*; .*Mail\.Send is not in the token/) });
    const requiredToo = judge(all.filter((r) => r !== 'DeviceManagementManagedDevices.Read.All' && r !== 'Application.Read.All'));
    expect(requiredToo).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^missing application permission: DeviceManagementManagedDevices\.Read\.All .*; and, optional, Application\.Read\.All/) });
    expect(requiredToo.fix).toContain('DeviceManagementManagedDevices.Read.All, Application.Read.All');
    expect(judge(undefined)).toMatchObject({ status: 'warn', detail: expect.stringContaining('PrivilegedOperations.All not verified') });
    expect(judge(undefined, { problems: ['GET managed devices: Graph is unavailable (503)'] })).toMatchObject({ status: 'fail', fix: expect.stringContaining('GRAPH_BASE_URL') });
  });

  it.each([
    ['invalid_client: Error(s): 7000215 - Description: AADSTS7000215: Invalid client secret provided.', /refused the app's credential \(invalid_client, AADSTS7000215\)/, /AZURE_CLIENT_SECRET must be the secret's Value/],
    ['unauthorized_client: Error(s): 700016 - Description: AADSTS700016: Application not found', /not known in tenant/, /Application \(client\) ID/],
    ['invalid_request: Error(s): 90002 - Description: AADSTS90002: Tenant not found.', /tenant AZURE_TENANT_ID was not found/, /AZURE_AUTHORITY_HOST/],
    ['invalid_scope: Error(s): 1002012 - Description: AADSTS1002012: scope not valid', /refused the Graph scope/, /same cloud/],
    ['invalid_grant: Error(s): 50000 - Description: AADSTS50000: something else', /refused the token request \(invalid_grant, AADSTS50000\)/, /docs\/deploy\.md/],
  ])('explains Entra ID error %#', (message, detail, fix) => {
    const explained = explainSignInError(Object.assign(new Error(message), { name: 'AuthenticationRequiredError' }), config);
    expect(explained.detail).toMatch(detail);
    expect(explained.fix).toMatch(fix);
    expect(explained.detail).not.toContain('Description');
  });

  it('explains an unavailable managed identity or workload identity, and an unreachable authority', () => {
    const managed = parseConfig({ AZURE_TENANT_ID: '5a9d0c1e-0000-4000-8000-5a9d0c1e0001', AZURE_CLIENT_ID: '5a9d0c1e-0000-4000-8000-5a9d0c1e00a1', AZURE_CREDENTIAL_KIND: 'managed_identity' });
    expect(explainSignInError(new CredentialUnavailableError('no IMDS'), managed).fix).toMatch(/user-assigned managed identity/);
    const workload = parseConfig({ AZURE_TENANT_ID: '5a9d0c1e-0000-4000-8000-5a9d0c1e0001', AZURE_CLIENT_ID: '5a9d0c1e-0000-4000-8000-5a9d0c1e00a1', AZURE_CREDENTIAL_KIND: 'workload_identity' });
    expect(explainSignInError(new CredentialUnavailableError('no token file'), workload).fix).toMatch(/AZURE_FEDERATED_TOKEN_FILE/);
    expect(explainSignInError(new TypeError('fetch failed'), config)).toMatchObject({ detail: expect.stringMatching(/could not be reached/), fix: expect.stringMatching(/AZURE_AUTHORITY_HOST/) });
  });

  it('prints one line per check, a fix under each problem, a summary, and never a secret', () => {
    const results = [ok('a', 'Alpha', 'fine'), warn('b', 'Beta', 'meh', 'do b'), fail('c', 'Gamma', 'broken with Secret-Value-123', 'set C=Secret-Value-123'), skip('d', 'Delta', 'not configured')];
    const text = formatReport(results, ['Secret-Value-123', undefined, 'abc']);
    expect(text.split('\n').filter((l) => /^(OK|WARN|FAIL|SKIP)/.test(l))).toEqual(['OK    Alpha: fine', 'WARN  Beta: meh', 'FAIL  Gamma: broken with [secret]', 'SKIP  Delta: not configured']);
    expect(text).toContain('      fix: do b');
    expect(text).toContain('      fix: set C=[secret]');
    expect(text).toMatch(/1 problem found, 1 warning/);
    expect(text).not.toContain('Secret-Value-123');
    expect(exitCodeOf(results)).toBe(1);
    expect(exitCodeOf([ok('a', 'A', ''), warn('b', 'B', '', ''), skip('c', 'C', '')])).toBe(0);
    expect(blankSecrets('a short one: abc', ['abc'])).toBe('a short one: abc');
  });
});
