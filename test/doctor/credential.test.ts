import { ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential, WorkloadIdentityCredential } from '@azure/identity';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { CredentialConfigError, createGraphCredential, credentialSettingsFromConfig } from '../../src/graph/credential';
import { startSandbox, type Sandbox } from '@resetpc/sandbox';
import { x509 } from '@resetpc/sandbox/pki';
import { webcrypto } from 'node:crypto';

const TENANT = '5a9d0c1e-0000-4000-8000-5a9d0c1e0001';
const CLIENT = '5a9d0c1e-0000-4000-8000-5a9d0c1e00a1';
const AUTHORITY = { tenantId: TENANT, clientId: CLIENT };

/** A self-signed RSA certificate and its private key in one PEM, as Entra ID app credentials are. */
async function appCertificatePem(): Promise<string> {
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=resetpc-app', keys, signingAlgorithm: algorithm, notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000) }, webcrypto);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return `${cert.toString('pem')}\n-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
}

function settingsFor(vars: Record<string, string>, clientSecret?: string) {
  const config = parseConfig({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, ...vars });
  return credentialSettingsFromConfig(config, { ...AUTHORITY, ...(clientSecret === undefined ? {} : { clientSecret }) });
}

/** AZURE_CREDENTIAL_KIND picks the @azure/identity credential; no real tenant is needed to see which one. */
describe('the Graph credential kinds', () => {
  let dir: string;
  let certificatePath: string;
  let sandbox: Sandbox;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'resetpc-cred-'));
    certificatePath = join(dir, 'app.pem');
    writeFileSync(certificatePath, await appCertificatePem());
    sandbox = await startSandbox({ smtpPort: false });
  });

  afterAll(async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the client secret as the default, and its settings as before', () => {
    const settings = settingsFor({ AZURE_CLIENT_SECRET: 'configured-secret' });
    expect(settings).toEqual({ kind: 'client_secret', tenantId: TENANT, clientId: CLIENT, clientSecret: 'configured-secret' });
    expect(createGraphCredential(settings)).toBeInstanceOf(ClientSecretCredential);
    // The settings shape every caller passed before the other kinds existed still works.
    expect(createGraphCredential({ tenantId: TENANT, clientId: CLIENT, clientSecret: 's' })).toBeInstanceOf(ClientSecretCredential);
    // The sandbox's secret wins over the configuration's.
    expect(settingsFor({ AZURE_CLIENT_SECRET: 'configured-secret' }, 'sandbox-secret')).toMatchObject({ clientSecret: 'sandbox-secret' });
  });

  it('selects a certificate, workload identity or managed identity credential by AZURE_CREDENTIAL_KIND', () => {
    const certificate = settingsFor({ AZURE_CREDENTIAL_KIND: 'certificate', AZURE_CLIENT_CERTIFICATE_PATH: certificatePath, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: 'true' });
    expect(certificate).toEqual({ kind: 'certificate', tenantId: TENANT, clientId: CLIENT, certificatePath, sendCertificateChain: true });
    expect(createGraphCredential(certificate)).toBeInstanceOf(ClientCertificateCredential);

    const workload = settingsFor({ AZURE_CREDENTIAL_KIND: 'workload_identity', AZURE_FEDERATED_TOKEN_FILE: join(dir, 'token') });
    expect(workload).toEqual({ kind: 'workload_identity', tenantId: TENANT, clientId: CLIENT, tokenFilePath: join(dir, 'token') });
    expect(createGraphCredential(workload)).toBeInstanceOf(WorkloadIdentityCredential);

    const managed = settingsFor({ AZURE_CREDENTIAL_KIND: 'managed_identity', AZURE_CLIENT_SECRET: 'ignored' });
    expect(managed).toEqual({ kind: 'managed_identity', tenantId: TENANT, clientId: CLIENT });
    expect(createGraphCredential(managed)).toBeInstanceOf(ManagedIdentityCredential);
  });

  it('names the missing variable, never a value', () => {
    expect(() => settingsFor({})).toThrow(CredentialConfigError);
    expect(() => settingsFor({})).toThrow(/^AZURE_CLIENT_SECRET: required when AZURE_CREDENTIAL_KIND is client_secret$/);
    expect(() => parseConfig({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CREDENTIAL_KIND: 'certificate' })).toThrow(/AZURE_CLIENT_CERTIFICATE_PATH: required when AZURE_CREDENTIAL_KIND is certificate/);
    expect(() => parseConfig({ AZURE_CREDENTIAL_KIND: 'password' })).toThrow(/AZURE_CREDENTIAL_KIND/);
  });

  it('signs in with the client secret against the sandbox, and the certificate credential sends a client assertion there', async () => {
    const authority = { tenantId: sandbox.tenantId, clientId: sandbox.clientId, authorityHost: sandbox.urls.authorityHost, disableInstanceDiscovery: true, extraCaPem: sandbox.caPem };
    const scope = `${sandbox.urls.origin}/.default`;
    const secret = createGraphCredential({ ...authority, clientSecret: sandbox.clientSecret });
    expect((await secret.getToken(scope))?.token).toMatch(/^sbx-at\./);

    // The sandbox's Entra ID takes client secrets only: it refuses the certificate's assertion with AADSTS7000218,
    // which shows the certificate was read, signed an assertion, and reached the token endpoint.
    const before = sandbox.control.tokenRequests.length;
    const certificate = createGraphCredential({ kind: 'certificate', ...authority, certificatePath });
    await expect(certificate.getToken(scope)).rejects.toThrow(/AADSTS7000218/);
    expect(sandbox.control.tokenRequests.slice(before)).toEqual([expect.objectContaining({ clientId: sandbox.clientId, grantType: 'client_credentials', status: 401, error: 'invalid_client' })]);

    const missing = createGraphCredential({ kind: 'certificate', ...authority, certificatePath: join(dir, 'missing.pem') });
    await expect(missing.getToken(scope)).rejects.toThrow();
    expect(sandbox.control.tokenRequests).toHaveLength(before + 1);
  });
});
