/**
 * The doctor's Redis and SMTP checks, reads only:
 * - Redis: it answers, and is set up as BullMQ needs (maxmemory-policy noeviction; AOF for durability). Managed Redis
 *   services may refuse CONFIG GET: then the settings are "not verified", not wrong.
 * - SMTP (when email goes over SMTP): nodemailer `verify()`, which connects, says EHLO, and signs in when
 *   SMTP_USER is set. No message is sent.
 */
import { createTransport } from 'nodemailer';
import type { NotifySection, RedisSection, SmtpSection } from '../config/sections';
import { createRedis, waitForReady } from '../redis/connection';
import { smtpFailure, smtpTransportOptions } from '../notify/email/smtp';
import { fail, ok, skip, warn, type CheckResult } from './report';

/** The URL without its user and password (and without a path): what the report may show. */
export function redisHost(url: string): string {
  const match = /^([a-z-]+:\/\/)(?:[^@/]*@)?([^/?#]*)/.exec(url);
  return match?.[1] === undefined || match[2] === undefined ? 'REDIS_URL' : `${match[1]}${match[2]}`;
}

export async function checkRedis(config: Pick<RedisSection, 'REDIS_URL'>, timeoutMs = 5000): Promise<CheckResult> {
  const id = 'redis';
  const title = 'Redis';
  const where = redisHost(config.REDIS_URL);
  const redis = createRedis(config.REDIS_URL, 'producer', { commandTimeoutMs: timeoutMs, name: 'resetpc-doctor' });
  try {
    try {
      await waitForReady(redis, timeoutMs);
      await redis.ping();
    } catch {
      return fail(id, title, `${where} does not answer`, 'Check REDIS_URL (redis:// or rediss://, password, TLS) and that Redis runs and is reachable from here.');
    }
    let policy: string | undefined;
    let aof: string | undefined;
    try {
      const p = (await redis.config('GET', 'maxmemory-policy')) as string[];
      const a = (await redis.config('GET', 'appendonly')) as string[];
      policy = p[1];
      aof = a[1];
    } catch {
      return warn(id, title, `${where} answers; its settings are not verified (CONFIG GET is refused, as on many managed services)`, 'Make sure maxmemory-policy is noeviction and persistence (AOF) is on, in the service\'s settings.');
    }
    if (policy !== undefined && policy !== 'noeviction') {
      return fail(id, title, `${where} answers, but maxmemory-policy is ${policy}: Redis may evict queue keys and lose requests`, 'Set maxmemory-policy noeviction (docker/redis.conf, or the managed service\'s settings).');
    }
    if (aof !== 'yes') {
      return warn(id, title, `${where} answers, maxmemory-policy noeviction; AOF is off: accepted requests may be lost if Redis restarts`, 'Set appendonly yes and appendfsync everysec (docker/redis.conf).');
    }
    return ok(id, title, `${where} answers; maxmemory-policy noeviction, AOF on`);
  } finally {
    redis.disconnect();
  }
}

export interface SmtpDoctorOptions {
  /** A CA (PEM) to trust in addition to the system roots. */
  readonly extraCaPem?: string;
  readonly timeoutMs?: number;
}

export async function checkSmtp(config: SmtpSection & Pick<NotifySection, 'NOTIFY_EMAIL_TRANSPORT'>, options: SmtpDoctorOptions = {}): Promise<CheckResult> {
  const id = 'smtp';
  const title = 'SMTP';
  const transport = config.NOTIFY_EMAIL_TRANSPORT ?? (config.SMTP_HOST === undefined ? 'none' : 'smtp');
  if (transport !== 'smtp') return skip(id, title, transport === 'graph' ? 'email goes through Graph sendMail (Mail.Send), not SMTP' : 'not configured: no email is sent');
  const host = config.SMTP_HOST;
  if (host === undefined) return fail(id, title, 'NOTIFY_EMAIL_TRANSPORT is smtp but SMTP_HOST is unset', 'Set SMTP_HOST (and SMTP_PORT, SMTP_SECURE, SMTP_USER, SMTP_PASSWORD).');
  const timeoutMs = options.timeoutMs ?? 15_000;
  // The workers' own options (TLS required for a password), so that what the doctor accepts, the workers can use.
  const mailer = createTransport(
    smtpTransportOptions({
      host,
      port: config.SMTP_PORT,
      secure: config.SMTP_SECURE,
      timeoutMs,
      ...(config.SMTP_USER === undefined || config.SMTP_PASSWORD === undefined ? {} : { auth: { user: config.SMTP_USER, password: config.SMTP_PASSWORD } }),
      allowPlaintextAuth: config.SMTP_ALLOW_PLAINTEXT_AUTH,
      ...(options.extraCaPem === undefined ? {} : { ca: options.extraCaPem }),
    }),
  );
  try {
    await mailer.verify();
    return ok(id, title, `${host}:${String(config.SMTP_PORT)} answers${config.SMTP_USER === undefined ? '' : ` and accepts the sign-in of ${config.SMTP_USER}`}; no message was sent`);
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'error';
    if (smtpFailure(e).code === 'smtp_tls_required') return fail(id, title, `${host}:${String(config.SMTP_PORT)} offers no STARTTLS, and SMTP_PASSWORD is sent only over TLS`, 'Use SMTP_SECURE=true (port 465) or a server that offers STARTTLS; SMTP_ALLOW_PLAINTEXT_AUTH=true sends the password in the clear.');
    if (code === 'EAUTH') return fail(id, title, `${host} refused the sign-in (EAUTH)`, 'Check SMTP_USER and SMTP_PASSWORD (an app password or SMTP AUTH may need enabling for the mailbox).');
    return fail(id, title, `${host}:${String(config.SMTP_PORT)} could not be used (${code})`, 'Check SMTP_HOST, SMTP_PORT and SMTP_SECURE (465 = implicit TLS, 587 = STARTTLS), and the network path.');
  } finally {
    mailer.close();
  }
}
