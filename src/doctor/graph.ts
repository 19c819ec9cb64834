/**
 * The doctor's Entra ID and Graph checks, all reads:
 * - sign-in: a token for Graph from the configured credential (AZURE_CREDENTIAL_KIND);
 * - permissions: the application roles in the token (a JWT from the real Entra ID), and a read that needs each
 *   read permission (a 403 names the missing one). PrivilegedOperations.All can only be seen in the token's roles:
 *   proving it by calling resetPasscode would change a device, so the doctor never does;
 * - the Windows Hello PIN reset prerequisites (Windows desktops' self-service, and the retired Windows 10 Mobile),
 *   read exactly as the worker reads them (tenant-checks.ts). Their two permissions are optional: without them the
 *   doctor warns, and the prerequisites show as "not verified".
 */
import { AuthenticationError, type TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Redis } from 'ioredis';
import type { GraphSection, NotifySection } from '../config/sections';
import { graphRequest, type GuardedCall } from '../graph/call';
import { createGraphClient, GRAPH_PUBLIC_BASE_URL } from '../graph/client';
import { CredentialConfigError, createGraphCredential, credentialSettingsFromConfig } from '../graph/credential';
import { DOCS } from '../domain/reasons';
import { describeNotVerified, describeSources, pinRecoveryStatus, pinResetAppsWith } from '../domain/tenant-facts';
import { GraphError, toGraphError, type CallContext, type GraphPermission } from '../graph/errors';
import { readTenantFacts } from '../graph/tenant-checks';
import { fail, ok, skip, warn, type CheckResult } from './report';

type OptionalPermission = 'DeviceManagementConfiguration.Read.All' | 'Application.Read.All';
type RequiredPermission = Exclude<GraphPermission, OptionalPermission>;

/** The least-privilege application permissions the product needs, and why (docs/deploy.md says the same). */
export const REQUIRED_GRAPH_PERMISSIONS: Readonly<Record<RequiredPermission, string>> = {
  'DeviceManagementManagedDevices.Read.All': 'read a device, find it by name or serial number, and poll its action results',
  'DeviceManagementManagedDevices.PrivilegedOperations.All': 'send POST …/resetPasscode (the only write)',
};

/**
 * Optional: read only when a Windows device is met, to check the Windows Hello PIN reset prerequisites. Without them
 * a Windows request still ends with what the user does, and the prerequisites are "not verified".
 */
export const OPTIONAL_GRAPH_PERMISSIONS: Readonly<Record<OptionalPermission, string>> = {
  'DeviceManagementConfiguration.Read.All': 'check where PIN recovery is set and assigned, a Windows Hello PIN reset prerequisite',
  'Application.Read.All': 'check the consent to the Microsoft Pin Reset apps, a Windows Hello PIN reset prerequisite',
};

/** Broader permissions that would also work but grant more than the product needs. */
const BROADER = [
  'DeviceManagementManagedDevices.ReadWrite.All',
  'DeviceManagementConfiguration.ReadWrite.All',
  'Application.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];

const PERMISSIONS_FIX = (missing: readonly string[]): string =>
  `In the Entra admin center: App registrations → the app → API permissions → Add a permission → Microsoft Graph → Application permissions: ${missing.join(', ')}; then "Grant admin consent". New roles reach tokens issued after the consent (a few minutes).`;

export interface GraphDoctorOptions {
  /** A CA (PEM) to trust in addition to the system roots (GRAPH_EXTRA_CA_FILE's content). */
  readonly extraCaPem?: string;
  /** Per call; default 20 s. */
  readonly timeoutMs?: number;
}

/** The roles claim of a JWT access token, or undefined when the token is not a JWT (the sandbox's are opaque). */
export function rolesOf(accessToken: string): string[] | undefined {
  const parts = accessToken.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (typeof payload !== 'object' || payload === null) return undefined;
    const roles = (payload as { roles?: unknown }).roles;
    return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return undefined;
  }
}

/** Entra ID's OAuth error and AADSTS number, from an AuthenticationError or MSAL's message ("invalid_client: … AADSTS7000215: …"). */
function entraCodes(error: unknown): { code?: string; aadsts?: string; status?: number } | undefined {
  if (error instanceof AuthenticationError) {
    const aadsts = /AADSTS(\d+)/.exec(error.errorResponse.errorDescription)?.[1];
    return { code: error.errorResponse.error, ...(aadsts === undefined ? {} : { aadsts }), status: error.statusCode };
  }
  if (!(error instanceof Error)) return undefined;
  const code = /^([a-z_]{3,40}): /.exec(error.message)?.[1];
  const aadsts = /AADSTS(\d+)/.exec(error.message)?.[1];
  if (code === undefined && aadsts === undefined) return undefined;
  return { ...(code === undefined ? {} : { code }), ...(aadsts === undefined ? {} : { aadsts }) };
}

/** Why a token request failed, from Entra ID's error codes (never its raw message, never a secret). */
export function explainSignInError(error: unknown, config: Pick<GraphSection, 'AZURE_CREDENTIAL_KIND'>): { detail: string; fix: string } {
  const kind = config.AZURE_CREDENTIAL_KIND;
  const codes = entraCodes(error);
  if (codes !== undefined) {
    const { code, aadsts } = codes;
    const tag = [code, aadsts === undefined ? undefined : `AADSTS${aadsts}`].filter((t) => t !== undefined).join(', ');
    if (code === 'invalid_client' || aadsts === '7000215' || aadsts === '7000222') {
      return {
        detail: `Entra ID refused the app's credential (${tag})`,
        fix:
          kind === 'client_secret'
            ? 'AZURE_CLIENT_SECRET must be the secret\'s Value (not its Secret ID), for this AZURE_CLIENT_ID, and not expired: App registrations → the app → Certificates & secrets → New client secret.'
            : kind === 'certificate'
              ? 'Upload the certificate (public part) to App registrations → the app → Certificates & secrets, and point AZURE_CLIENT_CERTIFICATE_PATH at the PEM with its private key.'
              : 'Check the federated credential (issuer, subject, audience api://AzureADTokenExchange) on the app registration.',
      };
    }
    if (code === 'unauthorized_client' || aadsts === '700016') {
      return { detail: `the app AZURE_CLIENT_ID is not known in tenant AZURE_TENANT_ID (${tag})`, fix: 'Check AZURE_CLIENT_ID (the Application (client) ID) and AZURE_TENANT_ID (the Directory (tenant) ID) on the app registration\'s Overview page.' };
    }
    if (aadsts === '90002' || aadsts === '900023') {
      return { detail: `tenant AZURE_TENANT_ID was not found (${tag})`, fix: 'Set AZURE_TENANT_ID to the Directory (tenant) ID GUID, and AZURE_AUTHORITY_HOST to the tenant\'s cloud (national clouds have their own).' };
    }
    if (code === 'invalid_scope' || code === 'invalid_resource') {
      return { detail: `Entra ID refused the Graph scope (${tag})`, fix: 'GRAPH_BASE_URL and AZURE_AUTHORITY_HOST must belong to the same cloud (docs/deploy.md, national clouds).' };
    }
    return { detail: `Entra ID refused the token request (${tag}${codes.status === undefined ? '' : `, HTTP ${String(codes.status)}`})`, fix: 'Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the credential; see docs/deploy.md.' };
  }
  const name = error instanceof Error ? error.name : 'Error';
  if (name === 'CredentialUnavailableError') {
    return {
      detail: `the ${kind} credential is not available on this host (${name})`,
      fix:
        kind === 'managed_identity'
          ? 'Run on an Azure host with the user-assigned managed identity AZURE_CLIENT_ID attached.'
          : kind === 'workload_identity'
            ? 'The pod needs the workload identity label and service account (AZURE_FEDERATED_TOKEN_FILE must exist).'
            : 'Check AZURE_AUTHORITY_HOST: its OpenID configuration could not be read.',
    };
  }
  return { detail: `no token from Entra ID (${name}): the authority could not be reached or answered unexpectedly`, fix: 'Check AZURE_AUTHORITY_HOST, the network path (proxy, firewall) to it, and GRAPH_EXTRA_CA_FILE for a TLS-inspecting proxy.' };
}

/** No budget in the doctor: a handful of reads, each mapped to the product's typed errors. */
const unguarded: GuardedCall = async (_kind, call, send) => {
  try {
    return await send();
  } catch (e) {
    throw toGraphError(e, call);
  }
};

/** readTenantFacts caches in Redis; the doctor writes nothing, so its "cache" is always empty and keeps nothing. */
const NO_CACHE = { get: () => Promise.resolve(null), set: () => Promise.resolve('OK') } as unknown as Redis;

async function probe(client: Client, path: string, call: CallContext, signal: AbortSignal): Promise<GraphError | undefined> {
  try {
    await unguarded('read', call, () => graphRequest(client, path, 'v1.0', signal).get() as Promise<unknown>);
    return undefined;
  } catch (e) {
    return e instanceof GraphError ? e : toGraphError(e, call);
  }
}

const PROBES: readonly { readonly path: string; readonly call: CallContext }[] = [
  { path: '/deviceManagement/managedDevices?$top=1&$select=id', call: { what: 'GET managed devices', permission: 'DeviceManagementManagedDevices.Read.All' } },
  { path: '/deviceManagement/deviceConfigurations', call: { what: 'GET device configurations', permission: 'DeviceManagementConfiguration.Read.All' } },
  { path: "/servicePrincipals(appId='b8456c59-1230-44c7-a4a2-99b085333e84')?$select=id", call: { what: 'GET service principal', permission: 'Application.Read.All' } },
];

/** What the Graph checks read: the tenant and its credential, and whether email goes through Graph (Mail.Send). */
export type GraphDoctorConfig = GraphSection & Pick<NotifySection, 'NOTIFY_EMAIL_TRANSPORT'>;

export async function checkGraph(config: GraphDoctorConfig, options: GraphDoctorOptions = {}): Promise<CheckResult[]> {
  const title = 'Entra ID sign-in';
  const { AZURE_TENANT_ID: tenantId, AZURE_CLIENT_ID: clientId } = config;
  if (tenantId === undefined || clientId === undefined) {
    return [
      fail('entra.sign-in', title, 'AZURE_TENANT_ID and AZURE_CLIENT_ID are not set (sandbox mode: npm start simulates the tenant)', 'Set AZURE_TENANT_ID, AZURE_CLIENT_ID and the credential (docs/deploy.md) to check a real tenant.'),
    ];
  }
  const baseUrl = config.GRAPH_BASE_URL ?? GRAPH_PUBLIC_BASE_URL;
  const scope = `${new URL(baseUrl).origin}/.default`;
  const timeoutMs = options.timeoutMs ?? 20_000;

  let credential: TokenCredential;
  try {
    credential = createGraphCredential(
      credentialSettingsFromConfig(config, {
        tenantId,
        clientId,
        ...(config.AZURE_AUTHORITY_HOST === undefined ? {} : { authorityHost: config.AZURE_AUTHORITY_HOST, disableInstanceDiscovery: true }),
        ...(options.extraCaPem === undefined ? {} : { extraCaPem: options.extraCaPem }),
      }),
    );
  } catch (e) {
    if (e instanceof CredentialConfigError) return [fail('entra.sign-in', title, e.message, 'Set the variable named above (docs/configuration.md, Microsoft Entra ID).')];
    throw e;
  }

  let roles: string[] | undefined;
  try {
    const token = await credential.getToken(scope, { abortSignal: AbortSignal.timeout(timeoutMs) });
    if (token === null) throw new Error('the credential returned no token');
    roles = rolesOf(token.token);
  } catch (e) {
    const { detail, fix } = explainSignInError(e, config);
    return [fail('entra.sign-in', title, detail, fix), skip('graph.permissions', 'Graph permissions', 'not checked: no token'), skip('tenant.prerequisites', 'Tenant prerequisites', 'not checked: no token')];
  }
  const results: CheckResult[] = [ok('entra.sign-in', title, `token for ${scope} (${config.AZURE_CREDENTIAL_KIND}, tenant ${tenantId}, app ${clientId})`)];

  const graph = createGraphClient({ credential, baseUrl, ...(options.extraCaPem === undefined ? {} : { extraCaPem: options.extraCaPem }) });
  try {
    results.push(await permissions(graph.client, roles, timeoutMs, config.NOTIFY_EMAIL_TRANSPORT === 'graph'));
    results.push(await prerequisites(graph.client, tenantId, timeoutMs));
  } finally {
    await graph.close();
  }
  return results;
}

const MAIL_SEND = 'Mail.Send';

async function permissions(client: Client, roles: string[] | undefined, timeoutMs: number, graphMail: boolean): Promise<CheckResult> {
  const forbidden: string[] = [];
  const problems: string[] = [];
  for (const { path, call } of PROBES) {
    const error = await probe(client, path, call, AbortSignal.timeout(timeoutMs));
    if (error === undefined || error.code === 'graph_not_found') continue;
    if (error.code === 'graph_forbidden') forbidden.push(call.permission);
    else problems.push(error.message);
  }
  return judgeGraphPermissions({ roles, forbidden, problems, graphMail });
}

/**
 * The permissions verdict, pure: `roles` from the token (undefined when it is not a JWT), the permissions whose probe
 * read Graph refused with 403, the probes that failed otherwise, and whether email goes through Graph (Mail.Send).
 */
export function judgeGraphPermissions(input: { roles: readonly string[] | undefined; forbidden: readonly string[]; problems: readonly string[]; graphMail: boolean }): CheckResult {
  const { roles, graphMail } = input;
  const title = 'Graph permissions';
  const required = Object.keys(REQUIRED_GRAPH_PERMISSIONS) as RequiredPermission[];
  const optional = Object.keys(OPTIONAL_GRAPH_PERMISSIONS) as OptionalPermission[];
  const all: GraphPermission[] = [...required, ...optional];
  const missing = new Set<string>([...(roles === undefined ? [] : all.filter((p) => !roles.includes(p))), ...input.forbidden]);
  const why = (p: GraphPermission): string => `${p} (to ${p in REQUIRED_GRAPH_PERMISSIONS ? REQUIRED_GRAPH_PERMISSIONS[p as RequiredPermission] : OPTIONAL_GRAPH_PERMISSIONS[p as OptionalPermission]})`;
  if (input.problems.length > 0) {
    return fail('graph.permissions', title, `Graph did not answer the reads: ${input.problems.join('; ')}`, 'Check GRAPH_BASE_URL (same cloud as AZURE_AUTHORITY_HOST) and the network path to Graph.');
  }
  const missingRequired = required.filter((p) => missing.has(p));
  const missingOptional = optional.filter((p) => missing.has(p));
  if (missingRequired.length > 0) {
    const also = missingOptional.length === 0 ? '' : `; and, optional, ${missingOptional.map(why).join(', ')}`;
    return fail('graph.permissions', title, `missing application permission${missingRequired.length === 1 ? '' : 's'}: ${missingRequired.map(why).join(', ')}${also}`, PERMISSIONS_FIX([...missingRequired, ...missingOptional]));
  }
  // Warnings: the product works, but something is worth a look. They are all told at once.
  const warnings: { detail: string; fix: string }[] = [];
  if (missingOptional.length > 0) {
    warnings.push({
      detail: `optional permission${missingOptional.length === 1 ? '' : 's'} missing: ${missingOptional.map(why).join(', ')}; Windows requests still end with what the user does, with these prerequisites "not verified"`,
      fix: `Optional: ${PERMISSIONS_FIX(missingOptional)}`,
    });
  }
  // Mail.Send scoped with Exchange RBAC for Applications is granted in Exchange Online, not in Entra ID: it is not in
  // the token. So its absence is a warning to check, never a failure.
  const mailNote = graphMail ? ` and ${MAIL_SEND}` : '';
  const granted = all.filter((p) => !missing.has(p));
  if (roles === undefined) {
    const reads = granted.filter((p) => p !== 'DeviceManagementManagedDevices.PrivilegedOperations.All');
    warnings.push({
      detail: `the reads succeed (${reads.join(', ')}); DeviceManagementManagedDevices.PrivilegedOperations.All${mailNote} not verified: the token is not a JWT with roles, and only a write could prove ${graphMail ? 'them' : 'it'}`,
      fix: `Make sure DeviceManagementManagedDevices.PrivilegedOperations.All is granted with admin consent (Entra admin center → the app → API permissions)${graphMail ? `, and ${MAIL_SEND} for the sending mailbox (docs/deploy.md)` : ''}.`,
    });
  } else if (graphMail && !roles.includes(MAIL_SEND)) {
    warnings.push({
      detail: `${granted.join(', ')} granted; ${MAIL_SEND} is not in the token (NOTIFY_EMAIL_TRANSPORT=graph)`,
      fix: `Fine if ${MAIL_SEND} is granted with Exchange RBAC for Applications (scoped to the sending mailbox; it does not show in the token). Otherwise grant it, scoped that way (docs/deploy.md).`,
    });
  } else {
    const broader = roles.filter((r) => BROADER.includes(r));
    if (broader.length > 0) {
      warnings.push({
        detail: `every needed permission is granted, and more than needed: ${broader.join(', ')}`,
        fix: `Remove the broader permissions (least privilege): the product needs only ${all.join(', ')}${graphMail ? ` and ${MAIL_SEND}` : ''} (docs/deploy.md).`,
      });
    }
  }
  if (warnings.length > 0) return warn('graph.permissions', title, warnings.map((w) => w.detail).join('; '), warnings.map((w) => w.fix).join(' '));
  const mailGranted = graphMail || (roles?.includes(MAIL_SEND) ?? false) ? `; ${MAIL_SEND} in the token is tenant-wide unless an Exchange application access policy or RBAC scope limits it` : '';
  return ok('graph.permissions', title, `granted: ${all.join(', ')}${mailGranted}`);
}

/**
 * The Windows Hello PIN reset prerequisites: a warning, never a failure, when one is missing or not verified. Android
 * and iOS resets never need them; a Windows request still ends with what the user does (or what to fix first).
 */
async function prerequisites(client: Client, tenantId: string, timeoutMs: number): Promise<CheckResult> {
  const title = 'Tenant prerequisites (Windows Hello PIN reset)';
  try {
    const facts = await readTenantFacts({ client, guarded: unguarded, redis: NO_CACHE, cacheKey: 'doctor', ttlMs: 1 }, AbortSignal.timeout(timeoutMs));
    const fixes: string[] = [];
    const notes: string[] = [];
    const absent = pinResetAppsWith(facts.pinResetApps, 'absent');
    if (absent.length > 0) {
      notes.push(`not consented: ${absent.join(', ')}`);
      fixes.push(`an Application Administrator consents to the Microsoft Pin Reset Service and Client apps (${DOCS.windowsHelloPinResetApps})`);
    }
    const unverifiedApps = pinResetAppsWith(facts.pinResetApps, 'not_verified');
    if (unverifiedApps.length > 0) {
      notes.push(`consent not verified: ${unverifiedApps.join(', ')} (${facts.pinResetApps.why ?? 'not read'})`);
      fixes.push(PERMISSIONS_FIX(['Application.Read.All']).replace(/\.$/, ''));
    }
    const recovery = pinRecoveryStatus(facts.pinRecovery);
    if (recovery === 'unassigned') {
      notes.push(`PIN recovery is turned on in ${describeSources(facts.pinRecovery.unassigned)}, assigned to nobody`);
      fixes.push('assign that policy to the users or devices concerned');
    } else if (recovery === 'absent') {
      notes.push('no policy turns PIN recovery on (Settings catalog, Account protection, Identity protection and custom profiles were all read)');
      fixes.push(`turn on Enable Pin Recovery in a Settings catalog policy (or ./Device/Vendor/MSFT/PassportForWork/${tenantId}/Policies/EnablePinRecovery = true in a custom profile) and assign it (${DOCS.windowsHelloPinRecovery})`);
    } else if (recovery === 'not_verified') {
      notes.push(`PIN recovery not verified in ${describeNotVerified(facts.pinRecovery.notVerified)}`);
      if (facts.pinRecovery.notVerified.some((n) => n.why.includes('DeviceManagementConfiguration.Read.All'))) fixes.push(PERMISSIONS_FIX(['DeviceManagementConfiguration.Read.All']).replace(/\.$/, ''));
    }
    if (notes.length === 0) {
      return ok('tenant.prerequisites', title, `Pin Reset Service and Client consented; PIN recovery is turned on and assigned in ${describeSources(facts.pinRecovery.assigned)}`);
    }
    const optional = 'only Windows devices use these: without them a Windows user\'s "I forgot my PIN" is destructive';
    return warn('tenant.prerequisites', title, `${notes.join('; ')} (${optional})`, fixes.length === 0 ? 'Nothing to do unless Windows users reset their PIN.' : `${fixes.join('; ')}.`);
  } catch (e) {
    const error = e instanceof GraphError ? e : toGraphError(e, { what: 'tenant checks', permission: 'Application.Read.All' });
    return fail('tenant.prerequisites', title, `could not read them: ${error.message}`, 'Check GRAPH_BASE_URL and the network path to Graph.');
  }
}
