import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiTokenSpec, Role } from '../config/schema';

export interface Caller {
  /** The token's name: the caller's identity in timelines and approval checks. */
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
}

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** A new random API token: 256 bits, URL-safe. Only its SHA-256 is ever stored. */
export function generateToken(): string {
  return `rpt_${randomBytes(32).toString('base64url')}`;
}

/**
 * Holds token hashes and finds the caller for a presented token. Tokens are 256-bit random values, so a plain
 * SHA-256 is a sound verifier (no password stretching needed). Every configured hash is compared, in constant time,
 * so the time taken says nothing about which token, or how much of one, matched.
 */
export class TokenRegistry {
  private readonly entries: readonly { digest: Buffer; caller: Caller }[];

  constructor(specs: readonly ApiTokenSpec[]) {
    this.entries = specs.map((s) => ({
      digest: Buffer.from(s.sha256, 'hex'),
      caller: { name: s.name, roles: new Set(s.roles) },
    }));
  }

  /** The caller a token name stands for now (its current roles), or undefined once the token is gone. */
  byName(name: string): Caller | undefined {
    return this.entries.find((e) => e.caller.name === name)?.caller;
  }

  get size(): number {
    return this.entries.length;
  }

  authenticate(presented: string): Caller | undefined {
    // One-shot hashing: no Hash object per request.
    const digest = hash('sha256', presented, 'buffer');
    let found: Caller | undefined;
    for (const entry of this.entries) {
      // Both digests are 32 bytes, so timingSafeEqual's length precondition always holds.
      if (timingSafeEqual(digest, entry.digest)) found = entry.caller;
    }
    return found;
  }
}

/** `admin` holds every role. */
export function hasRole(caller: Caller, role: Role): boolean {
  return caller.roles.has(role) || caller.roles.has('admin');
}
