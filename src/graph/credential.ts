/**
 * The credential factory of the Graph gateway. Four kinds, chosen by configuration (AZURE_CREDENTIAL_KIND):
 * - client_secret: ClientSecretCredential (the default; what the sandbox uses);
 * - certificate: ClientCertificateCredential with a PEM file holding the certificate and its private key;
 * - workload_identity: WorkloadIdentityCredential, a federated token file (Kubernetes workload identity);
 * - managed_identity: ManagedIdentityCredential of a user-assigned managed identity (Azure hosts only).
 * An extra CA is trusted only when given (the sandbox's), on top of the system roots; certificate checks are never
 * turned off.
 */
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { rootCertificates } from 'node:tls';

export const CREDENTIAL_KINDS = ['client_secret', 'certificate', 'workload_identity', 'managed_identity'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

interface AuthoritySettings {
  readonly tenantId: string;
  readonly clientId: string;
  /** The Entra ID authority host, e.g. https://login.microsoftonline.us for US Government; default: the public cloud. */
  readonly authorityHost?: string;
  /** Skip instance discovery: needed for an authority Microsoft does not know, such as the sandbox. */
  readonly disableInstanceDiscovery?: boolean;
  /** A CA (PEM) to trust in addition to the system roots. Only for the sandbox. */
  readonly extraCaPem?: string;
}

/** A client secret. `kind` may be left out: that is what every caller before the other kinds passed. */
export interface ClientSecretSettings extends AuthoritySettings {
  readonly kind?: 'client_secret';
  readonly clientSecret: string;
}

export interface CertificateSettings extends AuthoritySettings {
  readonly kind: 'certificate';
  /** A PEM file with the certificate and its (optionally encrypted) private key. */
  readonly certificatePath: string;
  readonly certificatePassword?: string;
  /** Send the x5c chain (subject name / issuer authentication). */
  readonly sendCertificateChain?: boolean;
}

export interface WorkloadIdentitySettings extends AuthoritySettings {
  readonly kind: 'workload_identity';
  /** The projected service-account token; default: AZURE_FEDERATED_TOKEN_FILE as the workload identity webhook sets it. */
  readonly tokenFilePath?: string;
}

export interface ManagedIdentitySettings {
  readonly kind: 'managed_identity';
  /** The tenant the managed identity lives in (for the Graph budget and the logs; the identity endpoint knows it). */
  readonly tenantId: string;
  /** The client id of the user-assigned managed identity. */
  readonly clientId: string;
}

export type GraphCredentialSettings = ClientSecretSettings | CertificateSettings | WorkloadIdentitySettings | ManagedIdentitySettings;

/** The system roots plus `extraCaPem`, for TLS options that replace the default CA list when set. */
export function caListWith(extraCaPem: string): string[] {
  return [...rootCertificates, extraCaPem];
}

function authorityOptions(settings: AuthoritySettings) {
  return {
    ...(settings.authorityHost === undefined ? {} : { authorityHost: settings.authorityHost }),
    ...(settings.disableInstanceDiscovery === undefined ? {} : { disableInstanceDiscovery: settings.disableInstanceDiscovery }),
    ...(settings.extraCaPem === undefined ? {} : { tlsOptions: { ca: caListWith(settings.extraCaPem) } }),
  };
}

export function createGraphCredential(settings: GraphCredentialSettings): TokenCredential {
  if (settings.kind === undefined || settings.kind === 'client_secret') {
    return new ClientSecretCredential(settings.tenantId, settings.clientId, settings.clientSecret, authorityOptions(settings));
  }
  switch (settings.kind) {
    case 'certificate':
      return new ClientCertificateCredential(
        settings.tenantId,
        settings.clientId,
        {
          certificatePath: settings.certificatePath,
          ...(settings.certificatePassword === undefined ? {} : { certificatePassword: settings.certificatePassword }),
        },
        { ...authorityOptions(settings), ...(settings.sendCertificateChain === undefined ? {} : { sendCertificateChain: settings.sendCertificateChain }) },
      );
    case 'workload_identity':
      return new WorkloadIdentityCredential({
        tenantId: settings.tenantId,
        clientId: settings.clientId,
        ...(settings.tokenFilePath === undefined ? {} : { tokenFilePath: settings.tokenFilePath }),
        ...authorityOptions(settings),
      });
    case 'managed_identity':
      return new ManagedIdentityCredential({ clientId: settings.clientId });
  }
}

/** The configuration a credential is built from (a subset of Config, so callers and tests can pass plain objects). */
export interface CredentialConfig {
  readonly AZURE_CREDENTIAL_KIND: CredentialKind;
  readonly AZURE_CLIENT_SECRET?: string | undefined;
  readonly AZURE_CLIENT_CERTIFICATE_PATH?: string | undefined;
  readonly AZURE_CLIENT_CERTIFICATE_PASSWORD?: string | undefined;
  readonly AZURE_CLIENT_SEND_CERTIFICATE_CHAIN?: boolean | undefined;
  readonly AZURE_FEDERATED_TOKEN_FILE?: string | undefined;
}

export class CredentialConfigError extends Error {
  override readonly name = 'CredentialConfigError';
  readonly code = 'invalid_credential_config';
}

/**
 * The credential settings for AZURE_CREDENTIAL_KIND. `authority` carries the tenant, client and cloud. For
 * client_secret, `clientSecret` (the sandbox's, or AZURE_CLIENT_SECRET) wins over the configuration's.
 * Throws CredentialConfigError naming the missing variable; never its value.
 */
export function credentialSettingsFromConfig(config: CredentialConfig, authority: AuthoritySettings & { readonly clientSecret?: string }): GraphCredentialSettings {
  const { tenantId, clientId } = authority;
  const base: AuthoritySettings = {
    tenantId,
    clientId,
    ...(authority.authorityHost === undefined ? {} : { authorityHost: authority.authorityHost }),
    ...(authority.disableInstanceDiscovery === undefined ? {} : { disableInstanceDiscovery: authority.disableInstanceDiscovery }),
    ...(authority.extraCaPem === undefined ? {} : { extraCaPem: authority.extraCaPem }),
  };
  switch (config.AZURE_CREDENTIAL_KIND) {
    case 'client_secret': {
      const clientSecret = authority.clientSecret ?? config.AZURE_CLIENT_SECRET;
      if (clientSecret === undefined || clientSecret === '') throw new CredentialConfigError('AZURE_CLIENT_SECRET: required when AZURE_CREDENTIAL_KIND is client_secret');
      return { kind: 'client_secret', ...base, clientSecret };
    }
    case 'certificate': {
      const path = config.AZURE_CLIENT_CERTIFICATE_PATH;
      if (path === undefined) throw new CredentialConfigError('AZURE_CLIENT_CERTIFICATE_PATH: required when AZURE_CREDENTIAL_KIND is certificate');
      return {
        kind: 'certificate',
        ...base,
        certificatePath: path,
        ...(config.AZURE_CLIENT_CERTIFICATE_PASSWORD === undefined ? {} : { certificatePassword: config.AZURE_CLIENT_CERTIFICATE_PASSWORD }),
        ...(config.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN === undefined ? {} : { sendCertificateChain: config.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN }),
      };
    }
    case 'workload_identity':
      return { kind: 'workload_identity', ...base, ...(config.AZURE_FEDERATED_TOKEN_FILE === undefined ? {} : { tokenFilePath: config.AZURE_FEDERATED_TOKEN_FILE }) };
    case 'managed_identity':
      return { kind: 'managed_identity', tenantId, clientId };
  }
}
