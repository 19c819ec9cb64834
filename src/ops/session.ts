import type { Redis } from 'ioredis';
import { z } from 'zod';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Caller } from '../auth/tokens';
import { ALL_ROLES, type Role } from '../config/schema';
import { storeCall } from '../store/errors';
import { sessionKeys } from '../store/keys';
import { storedFormat } from '../store/stored';

/**
 * Dashboard sessions, in Redis so any intake process serves any session. The cookie holds a random 256-bit id; Redis
 * holds only its SHA-256 (a leaked Redis dump gives no usable cookie) with the caller's name, roles and the session's
 * CSRF token. The API token used to sign in is never stored. A session ends at its TTL or at sign-out.
 */
export interface OpsSession {
  readonly name: string;
  readonly roles: readonly Role[];
  readonly csrf: string;
  readonly createdAt: string;
}

export const SESSION_COOKIE = 'resetpc_ops';

const sessionFormat = storedFormat<OpsSession>(
  'session',
  z.object({ name: z.string(), roles: z.array(z.custom<Role>((r) => typeof r === 'string' && (ALL_ROLES as readonly string[]).includes(r), 'not a role')), csrf: z.string(), createdAt: z.string() }),
);

const digest = (sid: string): string => createHash('sha256').update(sid, 'utf8').digest('hex');
const SID = /^[A-Za-z0-9_-]{43}$/;
const NOTE = /^[A-Za-z0-9_-]{12}$/;
/** How long a refused action's message stays readable on the page it returned to (a reload within it shows it again). */
const REFUSAL_TTL_SECONDS = 600;

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly ttlSeconds: number,
  ) {}

  private key(sid: string): string {
    return sessionKeys(this.prefix).session(digest(sid));
  }

  async create(caller: Caller): Promise<{ sid: string; session: OpsSession }> {
    const sid = randomBytes(32).toString('base64url');
    const session: OpsSession = { name: caller.name, roles: [...caller.roles], csrf: randomBytes(32).toString('base64url'), createdAt: new Date().toISOString() };
    await storeCall(() => this.redis.set(this.key(sid), sessionFormat.encode(session), 'EX', this.ttlSeconds));
    return { sid, session };
  }

  async get(sid: string | undefined): Promise<OpsSession | undefined> {
    if (sid === undefined || !SID.test(sid)) return undefined;
    const key = this.key(sid);
    const raw = await storeCall(() => this.redis.get(key));
    return raw === null ? undefined : sessionFormat.decode(raw, key);
  }

  async destroy(sid: string | undefined): Promise<void> {
    if (sid === undefined || !SID.test(sid)) return;
    await storeCall(() => this.redis.del(this.key(sid)));
  }

  private refusalKey(sid: string, note: string): string {
    return sessionKeys(this.prefix).refusal(digest(sid), note);
  }

  /**
   * Keeps why an action was refused, for the page the action returns to: the redirect carries only the returned
   * random note id, so the words on the page are always ours, and only this session can read them.
   */
  async keepRefusal(sid: string | undefined, message: string): Promise<string | undefined> {
    if (sid === undefined || !SID.test(sid)) return undefined;
    const note = randomBytes(9).toString('base64url');
    await storeCall(() => this.redis.set(this.refusalKey(sid, note), message, 'EX', REFUSAL_TTL_SECONDS));
    return note;
  }

  /** The refusal kept under `note` for this session; undefined when there is none (or it has expired). */
  async refusal(sid: string | undefined, note: string | undefined): Promise<string | undefined> {
    if (sid === undefined || !SID.test(sid) || note === undefined || !NOTE.test(note)) return undefined;
    return (await storeCall(() => this.redis.get(this.refusalKey(sid, note)))) ?? undefined;
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: OpsSession, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(session.csrf, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function sessionHasRole(session: OpsSession, role: Role): boolean {
  return session.roles.includes(role) || session.roles.includes('admin');
}
