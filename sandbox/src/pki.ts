/**
 * The sandbox's own PKI: a CA made at start-up, kept in memory only, and a server certificate it signs for the
 * loopback names. The product trusts the CA only in sandbox mode, so certificate checks stay on everywhere.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

/**
 * The X.509 toolkit this PKI is built on, with the reflect polyfill it needs already loaded. Tests that make a
 * certificate of their own (a certificate credential for Entra ID) take it from here, not as a dependency of the product.
 */
export { x509 };

export interface SandboxPki {
  /** The CA certificate, PEM. Give it to clients as an extra trusted CA. */
  readonly caPem: string;
  /** The server certificate (leaf), PEM. */
  readonly certPem: string;
  /** The server's private key, PKCS#8 PEM. Never leaves the process. */
  readonly keyPem: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A fresh CA and a server certificate for `dnsNames` and `ipAddresses`, valid from yesterday for `validDays`. */
export async function createSandboxPki(
  dnsNames: readonly string[] = ['localhost'],
  ipAddresses: readonly string[] = ['127.0.0.1', '::1'],
  validDays = 30,
): Promise<SandboxPki> {
  const crypto = webcrypto;
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + validDays * DAY_MS);

  const caKeys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: 'CN=Intune Passcode Reset Sandbox CA, O=Sandbox (simulated tenant)',
      keys: caKeys,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  const serverKeys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const server = await x509.X509CertificateGenerator.create(
    {
      subject: `CN=${dnsNames[0] ?? 'localhost'}`,
      issuer: ca.subject,
      publicKey: serverKeys.publicKey,
      signingKey: caKeys.privateKey,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension([
          ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
          ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  const pkcs8 = await crypto.subtle.exportKey('pkcs8', serverKeys.privateKey);
  // Each PEM ends with a line break, as PEM files do (RFC 7468 §2), so that two of them can be concatenated into one
  // CA bundle (@peculiar/x509 writes none after the END line).
  return {
    caPem: `${ca.toString('pem')}\n`,
    certPem: `${server.toString('pem')}\n`,
    keyPem: toPem(pkcs8, 'PRIVATE KEY'),
  };
}
