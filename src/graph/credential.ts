/**
 * The credential factory of the Graph gateway. Today: a client secret (ClientSecretCredential). An extra CA is
 * trusted only when given (the sandbox's), on top of the system roots; certificate checks are never turned off.
 */
import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import { rootCertificates } from 'node:tls';

export interface ClientSecretSettings {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The Entra ID authority host, e.g. https://login.microsoftonline.us for US Government; default: the public cloud. */
  readonly authorityHost?: string;
  /** Skip instance discovery: needed for an authority Microsoft does not know, such as the sandbox. */
  readonly disableInstanceDiscovery?: boolean;
  /** A CA (PEM) to trust in addition to the system roots. Only for the sandbox. */
  readonly extraCaPem?: string;
}

/** The system roots plus `extraCaPem`, for TLS options that replace the default CA list when set. */
export function caListWith(extraCaPem: string): string[] {
  return [...rootCertificates, extraCaPem];
}

export function createGraphCredential(settings: ClientSecretSettings): TokenCredential {
  return new ClientSecretCredential(settings.tenantId, settings.clientId, settings.clientSecret, {
    ...(settings.authorityHost === undefined ? {} : { authorityHost: settings.authorityHost }),
    ...(settings.disableInstanceDiscovery === undefined ? {} : { disableInstanceDiscovery: settings.disableInstanceDiscovery }),
    ...(settings.extraCaPem === undefined ? {} : { tlsOptions: { ca: caListWith(settings.extraCaPem) } }),
  });
}
