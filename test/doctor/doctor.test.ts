import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { runDoctor, type DoctorReport } from '../../src/doctor';
import { checkRedis, redisHost } from '../../src/doctor/infra';
import { startSandbox, type Sandbox } from '@resetpc/sandbox';
import { startSmtpCatcher, type SmtpCatcher } from '@resetpc/sandbox/smtp';
import { testRedisUrl } from '../support/env';

/** `npm run doctor` against the sandbox: every check over the real clients, a real Redis, a real SMTP peer. */
describe('the doctor', () => {
  let sandbox: Sandbox;
  let smtp: SmtpCatcher;
  let dir: string;
  let env: Record<string, string>;
  const SMTP_USER = 'resetpc-mailer';
  const SMTP_PASSWORD = 'Smtp-Password-Canary-5521';
  const PRODUCT_ROLES = ['DeviceManagementManagedDevices.Read.All', 'DeviceManagementManagedDevices.PrivilegedOperations.All', 'DeviceManagementConfiguration.Read.All', 'Application.Read.All'];

  beforeAll(async () => {
    sandbox = await startSandbox({ smtpPort: false });
    smtp = await startSmtpCatcher({ auth: { user: SMTP_USER, password: SMTP_PASSWORD } });
    dir = mkdtempSync(join(tmpdir(), 'resetpc-doctor-'));
    // One CA bundle: the sandbox's, and the SMTP catcher's own (its STARTTLS certificate), as a TLS-inspecting proxy's
    // and a private mail relay's CAs would share GRAPH_EXTRA_CA_FILE.
    writeFileSync(join(dir, 'sandbox-ca.pem'), `${sandbox.caPem}${smtp.caPem ?? ''}`);
    const jira = sandbox.jira.credentials;
    if (jira === undefined) throw new Error('the sandbox Jira has no API token');
    env = {
      REDIS_URL: testRedisUrl(),
      AZURE_TENANT_ID: sandbox.tenantId,
      AZURE_CLIENT_ID: sandbox.clientId,
      AZURE_CLIENT_SECRET: sandbox.clientSecret,
      AZURE_AUTHORITY_HOST: sandbox.urls.authorityHost,
      GRAPH_BASE_URL: sandbox.urls.graphBaseUrl,
      GRAPH_EXTRA_CA_FILE: join(dir, 'sandbox-ca.pem'),
      SERVICENOW_INSTANCE_URL: sandbox.urls.servicenow,
      SERVICENOW_USERNAME: sandbox.servicenow.credentials.basic.username,
      SERVICENOW_PASSWORD: sandbox.servicenow.credentials.basic.password,
      JIRA_SITE_URL: sandbox.urls.jira,
      JIRA_EMAIL: jira.email,
      JIRA_API_TOKEN: jira.apiToken,
      JIRA_PROJECTS: 'HD',
      NOTIFY_EMAIL_TRANSPORT: 'smtp',
      NOTIFY_EMAIL_FROM: 'resetpc@contoso.com',
      SMTP_HOST: smtp.host,
      SMTP_PORT: String(smtp.port),
      SMTP_USER,
      SMTP_PASSWORD,
    };
  });

  afterAll(async () => {
    await smtp.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    sandbox.control.setAppRoles(sandbox.clientId, PRODUCT_ROLES);
  });

  const secrets = (): string[] => [sandbox.clientSecret, sandbox.servicenow.credentials.basic.password, sandbox.jira.credentials?.apiToken ?? 'none', SMTP_PASSWORD];

  async function doctor(overrides: Record<string, string> = {}, options: { jiraIssue?: string } = {}): Promise<DoctorReport> {
    const config = parseConfig({ ...env, ...overrides });
    return runDoctor(config, { extraCaPem: `${sandbox.caPem}${smtp.caPem ?? ''}`, timeoutMs: 10_000, ...options });
  }

  function statusOf(report: DoctorReport): Record<string, string> {
    return Object.fromEntries(report.results.map((r) => [r.id, r.status]));
  }

  function expectNoSecret(text: string, extra: readonly string[] = []): void {
    for (const secret of [...secrets(), ...extra]) expect(text).not.toContain(secret);
  }

  it('passes a working configuration, listing each check, and changes nothing', async () => {
    const writesBefore = sandbox.servicenow.control.writes.length;
    const report = await doctor({}, { jiraIssue: 'HD-1' });
    expect(statusOf(report)).toEqual({
      redis: 'ok',
      'entra.sign-in': 'ok',
      // The sandbox's tokens are opaque: the reads prove three permissions; PrivilegedOperations.All is "not verified".
      'graph.permissions': 'warn',
      'tenant.prerequisites': 'ok',
      servicenow: 'ok',
      jira: 'ok',
      'jira.transitions': 'ok',
      smtp: 'ok',
    });
    expect(report.exitCode).toBe(0);
    for (const title of ['Redis', 'Entra ID sign-in', 'Graph permissions', 'Tenant prerequisites', 'ServiceNow', 'Jira', 'Jira transitions on HD-1', 'SMTP']) expect(report.text).toContain(title);
    expect(report.text).toMatch(/All checks passed \(1 warning\)/);
    expect(report.text).toContain('PrivilegedOperations.All not verified');
    expectNoSecret(report.text);
    // Reads only: no resetPasscode, no ticket write, no mail, no Redis key.
    expect(sandbox.control.calls.filter((c) => c.method !== 'GET')).toEqual([]);
    expect(sandbox.servicenow.control.writes.length).toBe(writesBefore);
    expect(smtp.messages).toHaveLength(0);
  });

  it('names a missing Graph permission and how to grant it', async () => {
    sandbox.control.setAppRoles(sandbox.clientId, PRODUCT_ROLES.filter((r) => r !== 'DeviceManagementManagedDevices.Read.All'));
    const report = await doctor();
    expect(report.exitCode).toBe(1);
    const check = report.results.find((r) => r.id === 'graph.permissions');
    expect(check).toMatchObject({ status: 'fail', detail: expect.stringContaining('DeviceManagementManagedDevices.Read.All') });
    expect(check?.fix).toMatch(/API permissions.*DeviceManagementManagedDevices\.Read\.All.*Grant admin consent/);
    expect(report.text).toMatch(/FAIL {2}Graph permissions: missing application permission: DeviceManagementManagedDevices\.Read\.All/);
    expect(report.text).toMatch(/1 problem found/);
    expectNoSecret(report.text);
  });

  // The two Windows permissions are optional (docs/deploy.md): they are read only when a Windows device is met, and
  // without them the Windows Hello PIN reset prerequisites are "not verified". The doctor warns; it does not fail.
  it.each([
    [['Application.Read.All'], /consent not verified: .*\(the app lacks Application\.Read\.All\)/],
    [['DeviceManagementConfiguration.Read.All'], /PIN recovery not verified in .*\(the app lacks DeviceManagementConfiguration\.Read\.All\)/],
    [['DeviceManagementConfiguration.Read.All', 'Application.Read.All'], /consent not verified: .*PIN recovery not verified in /],
  ])('warns, and does not fail, when %j is missing, and says what is not verified', async (missing, notVerified) => {
    sandbox.control.setAppRoles(sandbox.clientId, PRODUCT_ROLES.filter((r) => !missing.includes(r)));
    const report = await doctor();
    expect(report.exitCode).toBe(0);
    expect(statusOf(report)).toMatchObject({ 'entra.sign-in': 'ok', 'graph.permissions': 'warn', 'tenant.prerequisites': 'warn' });
    const permissions = report.results.find((r) => r.id === 'graph.permissions');
    expect(permissions?.detail).toMatch(new RegExp(`^optional permissions? missing: ${missing.map((m) => m.replaceAll('.', '\\.')).join('.*')}`));
    expect(permissions?.fix).toMatch(/^Optional: In the Entra admin center: .*Grant admin consent/);
    const prerequisites = report.results.find((r) => r.id === 'tenant.prerequisites');
    expect(prerequisites?.detail).toMatch(notVerified);
    expect(prerequisites?.detail).not.toMatch(/not consented|no policy turns PIN recovery on/);
    expect(report.text).toMatch(/^WARN {2}Tenant prerequisites \(Windows Hello PIN reset\): /m);
    expect(report.text).toMatch(/All checks passed \(2 warnings\)/);
  });

  it('warns with the fix when the tenant lacks a prerequisite: the Pin Reset apps, or PIN recovery', async () => {
    const saved = { sps: sandbox.control.state.servicePrincipals, configurations: sandbox.control.state.deviceConfigurations };
    try {
      sandbox.control.state.servicePrincipals = saved.sps.filter((s) => s.appId !== '9115dd05-fad5-4f9c-acc7-305d08b1b04e');
      sandbox.control.state.deviceConfigurations = saved.configurations.filter((c) => !c.configuration.id.endsWith('000000000003'));
      const report = await doctor();
      expect(report.exitCode).toBe(0);
      const check = report.results.find((r) => r.id === 'tenant.prerequisites');
      expect(check).toMatchObject({ status: 'warn', detail: expect.stringContaining('not consented: Microsoft Pin Reset Client (9115dd05-fad5-4f9c-acc7-305d08b1b04e)') });
      expect(check?.detail).toContain('no policy turns PIN recovery on');
      expect(check?.fix).toContain('https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset#enable-pin-recovery-on-the-clients');
    } finally {
      sandbox.control.state.servicePrincipals = saved.sps;
      sandbox.control.state.deviceConfigurations = saved.configurations;
    }
  });

  it('reports a wrong client secret without printing it, and skips what needs a token', async () => {
    const wrong = 'Wrong-Client-Secret-Canary-9911';
    const report = await doctor({ AZURE_CLIENT_SECRET: wrong });
    expect(report.exitCode).toBe(1);
    const check = report.results.find((r) => r.id === 'entra.sign-in');
    expect(check).toMatchObject({ status: 'fail', detail: expect.stringContaining('refused the app\'s credential') });
    expect(check?.fix).toContain('AZURE_CLIENT_SECRET');
    expect(statusOf(report)).toMatchObject({ 'graph.permissions': 'skip', 'tenant.prerequisites': 'skip', servicenow: 'ok' });
    expectNoSecret(report.text, [wrong]);
    expectNoSecret(JSON.stringify(report.results), [wrong]);

    const unknownApp = await doctor({ AZURE_CLIENT_ID: '0badc0de-0000-4000-8000-000000000000' });
    expect(unknownApp.results.find((r) => r.id === 'entra.sign-in')).toMatchObject({ status: 'fail', detail: expect.stringContaining('AADSTS700016') });
  });

  it('reports ServiceNow down, and refused ServiceNow credentials, with the fix', async () => {
    const down = await doctor({ SERVICENOW_INSTANCE_URL: 'https://127.0.0.1:1/servicenow' });
    expect(down.exitCode).toBe(1);
    const check = down.results.find((r) => r.id === 'servicenow');
    expect(check).toMatchObject({ status: 'fail', detail: expect.stringMatching(/could not be reached/) });
    expect(check?.fix).toContain('SERVICENOW_INSTANCE_URL');
    expect(down.text).toMatch(/FAIL {2}ServiceNow: /);

    const unavailable = sandbox.servicenow.control.injectFault({ path: '**', fault: { kind: 'status', status: 503 } });
    try {
      const failing = await doctor();
      expect(failing.results.find((r) => r.id === 'servicenow')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/unavailable|503/) });
    } finally {
      sandbox.servicenow.control.faults.remove(unavailable);
    }

    const wrong = 'Wrong-SN-Password-Canary-7001';
    const refused = await doctor({ SERVICENOW_PASSWORD: wrong });
    expect(refused.results.find((r) => r.id === 'servicenow')).toMatchObject({ status: 'fail', detail: 'ServiceNow refused the credentials (401)' });
    expectNoSecret(refused.text, [wrong]);
  });

  it('reports refused Jira and SMTP credentials, and a Jira transition the issue does not offer', async () => {
    const report = await doctor({ JIRA_API_TOKEN: 'Wrong-Jira-Token-Canary-3141', SMTP_PASSWORD: 'Wrong-Smtp-Canary-2718', JIRA_SUCCESS_TRANSITIONS: 'Close' });
    expect(statusOf(report)).toMatchObject({ jira: 'fail', smtp: 'fail' });
    expect(report.results.find((r) => r.id === 'jira')?.fix).toContain('JIRA_API_TOKEN');
    expect(report.results.find((r) => r.id === 'smtp')?.detail).toContain('EAUTH');
    expectNoSecret(report.text, ['Wrong-Jira-Token-Canary-3141', 'Wrong-Smtp-Canary-2718']);

    const transitions = await doctor({ JIRA_SUCCESS_TRANSITIONS: 'Close' }, { jiraIssue: 'HD-1' });
    const check = transitions.results.find((r) => r.id === 'jira.transitions');
    expect(check).toMatchObject({ status: 'fail', detail: expect.stringContaining('none of JIRA_SUCCESS_TRANSITIONS (Close)') });
    expect(check?.detail).toContain('Resolve');
  });

  it('fails an SMTP server that offers no STARTTLS, having sent it no password (RFC 4954 §4)', async () => {
    const clearOnly = await startSmtpCatcher({ auth: { user: SMTP_USER, password: SMTP_PASSWORD }, tls: 'none' });
    try {
      const report = await doctor({ SMTP_PORT: String(clearOnly.port) });
      expect(report.results.find((r) => r.id === 'smtp')).toMatchObject({ status: 'fail', detail: expect.stringContaining('offers no STARTTLS') as string, fix: expect.stringContaining('SMTP_SECURE=true') as string });
      expect(clearOnly.authAttempts.total).toBe(0);
      expectNoSecret(report.text, [SMTP_PASSWORD]);
    } finally {
      await clearOnly.close();
    }
  });

  it('reports Redis down, with the fix', async () => {
    const result = await checkRedis(parseConfig({ REDIS_URL: 'redis://:Redis-Password-Canary-1@127.0.0.1:1/0' }), 1000);
    expect(result).toMatchObject({ id: 'redis', status: 'fail', detail: 'redis://127.0.0.1:1 does not answer' });
    expect(result.fix).toContain('REDIS_URL');
    expect(JSON.stringify(result)).not.toContain('Redis-Password-Canary-1');
    expect(redisHost('rediss-cluster://resetpc:Redis-Password-Canary-2@10.0.0.1:7000,10.0.0.2:7001')).toBe('rediss-cluster://10.0.0.1:7000,10.0.0.2:7001');
    expect(redisHost('redis://:pw@redis:6379/2')).toBe('redis://redis:6379');
  });

  it('says what is missing in sandbox mode and for a half-configured system', async () => {
    const report = await runDoctor(parseConfig({ REDIS_URL: testRedisUrl(), SERVICENOW_INSTANCE_URL: 'https://contoso.service-now.com' }));
    expect(report.exitCode).toBe(1);
    expect(statusOf(report)).toMatchObject({ redis: 'ok', 'entra.sign-in': 'fail', servicenow: 'fail', jira: 'skip', smtp: 'skip' });
    expect(report.results.find((r) => r.id === 'servicenow')?.detail).toBe('partly configured: SERVICENOW_USERNAME, SERVICENOW_PASSWORD unset');
  });

  describe('as a process (node dist/src/bin/doctor.js)', () => {
    const DOCTOR = resolve(__dirname, '../../dist/src/bin/doctor.js');

    function run(extra: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
      return new Promise((done) => {
        // In a temporary directory, so no .env of the repository is read.
        const child = spawn(process.execPath, [DOCTOR], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
        child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
        child.once('exit', (code) => {
          done({ code, out, err });
        });
      });
    }

    beforeAll(() => {
      if (!existsSync(DOCTOR)) throw new Error(`${DOCTOR} is missing: run "npm run build" first (npm test does)`);
    });

    it('exits 0 when all is well and 1 naming the problem, never printing a secret', async () => {
      const good = await run({});
      expect(good.err).toBe('');
      expect(good.code).toBe(0);
      expect(good.out).toMatch(/^OK {4}Entra ID sign-in: /m);
      expect(good.out).toMatch(/^OK {4}ServiceNow: /m);

      const bad = await run({ AZURE_CLIENT_SECRET: 'Wrong-Client-Secret-Canary-4242' });
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/^FAIL {2}Entra ID sign-in: Entra ID refused the app's credential/m);
      expect(bad.out).toMatch(/fix: AZURE_CLIENT_SECRET must be/);
      expectNoSecret(bad.out + bad.err, ['Wrong-Client-Secret-Canary-4242']);
    });
  });
});
