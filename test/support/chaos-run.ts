import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { RequestState } from '../../src/domain/request';
import { createQueues, type Queues } from '../../src/queue/queues';
import { createRedis, waitForReady } from '../../src/redis/connection';
import { FIXTURE_DEVICES, startSandbox, type ActionScript, type Sandbox, type SandboxOptions } from '@resetpc/sandbox';
import { RequestStore } from '../../src/store/requests';
import { uniquePrefix, waitFor } from './env';
import { JIRA_SECRET, SERVICENOW_SECRET } from './intake';
import { createIntakeFleet, type IntakeFleet, type IntakeProcess } from './intake-process';
import { createWorkerFleet, type WorkerFleet } from './worker-process';

/**
 * A fault scenario's whole product as separate processes: intake processes (`dist/src/bin/intake.js`) and worker
 * processes (`dist/workers/main.js`) on one Redis (standalone or Cluster), against an in-test sandbox. The test
 * process talks to the intakes over HTTP, and reads Redis only to check where each request is.
 */
export interface ChaosRun {
  readonly label: string;
  readonly prefix: string;
  readonly sandbox: Sandbox;
  readonly intakes: IntakeFleet;
  readonly workers: WorkerFleet;
  /** The test's own producer connection and queues, to read states (never to change them). */
  readonly redis: Redis;
  readonly queues: Queues;
  readonly store: RequestStore;
  /** `n` devices of this run's own, copies of the Android Enterprise dedicated fixture (no approval needed here). */
  seedDevices(n: number, script: ActionScript): string[];
  /** One POST /v1/resets to `intake` (default: the first running one). Network errors come back as status 0. */
  submit(deviceId: string, options?: SubmitOptions): Promise<SubmitAnswer>;
  /**
   * Submits every device, `concurrency` at a time, spread over the running intakes; a 503 or a network error is
   * retried with the same Idempotency-Key until it is answered 202 (the ids come back in device order).
   */
  submitAll(deviceIds: readonly string[], concurrency?: number, onAnswer?: (answer: SubmitAnswer) => void): Promise<string[]>;
  /**
   * What submitAll had to work around: Idempotency-Keys left "in progress" (409 idempotency_in_progress for longer
   * than STUCK_KEY_MS, after which it retries with a new key), requests stored although no attempt got a 202, and
   * device reservations left by a refused attempt (409 device_has_active_request naming a request that does not exist),
   * and the devices submitted again under a new key.
   */
  readonly submitStats: { readonly stuckKeys: number; readonly storedWithout202: number; readonly leftoverReservations: number; readonly rekeyedDevices: readonly string[] };
  states(ids: readonly string[]): Promise<(RequestState | undefined)[]>;
  /** How many requests are in each state. */
  tally(ids: readonly string[]): Promise<Record<string, number>>;
  /** Waits until every request is final; on timeout, fails with the states, a few unfinished requests and the processes' output. */
  untilFinal(ids: readonly string[], timeoutMs: number): Promise<void>;
  /** Waits until `check` holds, or fails with the same diagnostics as untilFinal. */
  until(what: string, timeoutMs: number, ids: readonly string[], check: () => boolean | Promise<boolean>): Promise<void>;
  /** The resetPasscode POSTs the sandbox received for these devices (any outcome). */
  resetPosts(deviceIds: readonly string[]): number;
  close(): Promise<void>;
}

export interface SubmitOptions {
  readonly intake?: IntakeProcess;
  readonly idempotencyKey?: string;
}

export interface SubmitAnswer {
  readonly device: string;
  readonly status: number;
  readonly id?: string;
  readonly at: number;
  readonly intake: string;
  /** The error code of a refusal (`unavailable`, `idempotency_in_progress`…). */
  readonly code?: string;
  /** With 409 device_has_active_request: the request the device already has. */
  readonly activeRequestId?: string;
}

export interface ChaosRunOptions {
  readonly label: string;
  readonly redisUrl: string;
  readonly intakes?: number;
  readonly workers?: number;
  readonly intakeEnv?: Readonly<Record<string, string>>;
  /** Worker configuration; a function of the sandbox for settings that point at it (ServiceNow, Jira, SMTP). */
  readonly workerEnv?: Readonly<Record<string, string>> | ((sandbox: Sandbox) => Readonly<Record<string, string>>);
  readonly sandbox?: Pick<SandboxOptions, 'smtpPort' | 'throttleLimits'>;
}

/** How long the test's own reads wait for its Redis connection to be ready again (a restart's reconnect backoff). */
const READY_AFTER_RESTART_MS = 30_000;

/** How long submitAll retries a 409 idempotency_in_progress with the same key before it takes a new one. */
export const STUCK_KEY_MS = 5_000;

export const FINAL_STATES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'ineligible', 'rejected', 'expired', 'timed_out', 'cancelled']);

/** Intune's limits ×10, for scenarios where the Graph budget must not bind (GRAPH_* below stay under them). */
export const ROOMY_THROTTLE = { appWrites: 2000, tenantWrites: 4000, appRequests: 20_000, tenantRequests: 40_000 } as const;
export const ROOMY_BUDGET: Readonly<Record<string, string>> = { GRAPH_WRITE_BUDGET: '1800', GRAPH_READ_BUDGET: '18000' };

/** The size factor of `npm run chaos` (CHAOS_SCALE, default 1 inside `npm test`). */
export function chaosScale(): number {
  const raw = Number(process.env.CHAOS_SCALE ?? '1');
  return Number.isFinite(raw) && raw > 0 ? raw : 1;
}

/** Worker settings that send notifications to the sandbox's ServiceNow, Jira and SMTP catcher (started with smtpPort: 0). */
export function notifyEnv(sandbox: Sandbox): Record<string, string> {
  const jira = sandbox.jira.credentials;
  if (jira === undefined || sandbox.smtp === undefined) throw new Error('the sandbox needs Jira credentials and its SMTP catcher');
  return {
    SERVICENOW_INSTANCE_URL: sandbox.urls.servicenow,
    SERVICENOW_USERNAME: sandbox.servicenow.credentials.basic.username,
    SERVICENOW_PASSWORD: sandbox.servicenow.credentials.basic.password,
    JIRA_SITE_URL: sandbox.urls.jira,
    JIRA_PROJECTS: 'HD',
    JIRA_EMAIL: jira.email,
    JIRA_API_TOKEN: jira.apiToken,
    SMTP_HOST: sandbox.smtp.host,
    SMTP_PORT: String(sandbox.smtp.port),
    NOTIFY_EMAIL_FROM: 'resetpc@sandbox.invalid',
  };
}

/** Prints one line of figures for docs/reliability.md. */
export function report(label: string, figures: Readonly<Record<string, unknown>>): void {
  process.stdout.write(`[chaos:${label}] ${JSON.stringify(figures)}\n`);
}

let runs = 0;

export async function startChaosRun(options: ChaosRunOptions): Promise<ChaosRun> {
  runs += 1;
  const label = options.label;
  const prefix = uniquePrefix(`chaos${label}`);
  const redis = createRedis(options.redisUrl, 'producer', { commandTimeoutMs: 5000, name: 'resetpc-chaos-test' });
  await waitForReady(redis, 20_000);
  const queues = createQueues(redis, prefix);
  const store = new RequestStore(redis, prefix);
  const intakes = createIntakeFleet({ redisUrl: options.redisUrl, prefix, ...(options.intakeEnv === undefined ? {} : { env: options.intakeEnv }) });
  let sandbox: Sandbox | undefined;
  let workers: WorkerFleet | undefined;
  try {
    await intakes.start(options.intakes ?? 1);
    const first = intakes.all[0];
    if (first === undefined) throw new Error('no intake started');
    sandbox = await startSandbox({
      smtpPort: false,
      ...options.sandbox,
      webhooks: { intakeBaseUrl: first.url, servicenowSecret: SERVICENOW_SECRET, jiraSecret: JIRA_SECRET },
    });
    const workerEnv = typeof options.workerEnv === 'function' ? options.workerEnv(sandbox) : options.workerEnv;
    workers = createWorkerFleet({ sandbox, redisUrl: options.redisUrl, prefix, resetQueue: queues.reset, ...(workerEnv === undefined ? {} : { env: workerEnv }) });
    await workers.start(options.workers ?? 1);
  } catch (err) {
    await workers?.stop();
    await sandbox?.close();
    await intakes.stop();
    await queues.close();
    redis.disconnect();
    throw err;
  }
  const sb = sandbox;
  const fleet = workers;
  const idPrefix = (0xc0000000 + runs * 0x10000 + (process.pid % 0x10000)).toString(16).slice(-8);
  let seeded = 0;
  let nextIntake = 0;
  const submitStats = { stuckKeys: 0, storedWithout202: 0, leftoverReservations: 0, rekeyedDevices: [] as string[] };
  const reservedBy = new Set<string>();

  const states = async (ids: readonly string[]): Promise<(RequestState | undefined)[]> => {
    // The test's connection has no offline queue (as production's): after a Redis restart it may still be
    // reconnecting (backoff up to 5 s, src/redis/connection.ts), so wait for it rather than fail the read.
    await waitForReady(redis, READY_AFTER_RESTART_MS);
    const out: (RequestState | undefined)[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const pipeline = redis.pipeline();
      for (const id of ids.slice(i, i + 500)) pipeline.hget(store.keys.request(id), 'state');
      const replies = (await pipeline.exec()) ?? [];
      for (const [err, value] of replies) {
        if (err !== null) throw err;
        out.push((value ?? undefined) as RequestState | undefined);
      }
    }
    return out;
  };

  const tally = async (ids: readonly string[]): Promise<Record<string, number>> =>
    (await states(ids)).reduce<Record<string, number>>((acc, s) => ({ ...acc, [String(s)]: (acc[String(s)] ?? 0) + 1 }), {});

  const until = async (what: string, timeoutMs: number, ids: readonly string[], check: () => boolean | Promise<boolean>): Promise<void> => {
    try {
      await waitFor(check, timeoutMs, what);
    } catch (err) {
      const all = await states(ids).catch(() => ids.map(() => undefined));
      const stuck = ids.filter((_, i) => !FINAL_STATES.has(all[i] ?? '')).slice(0, 3);
      const details = await Promise.all(stuck.map(async (id) => ({ id, stored: await store.get(id).catch(() => undefined), job: await queues.reset.getJob(id).catch(() => undefined) })));
      const described = details.map((d) => ({
        id: d.id,
        timeline: d.stored?.timeline.slice(-4),
        workflow: d.stored?.workflow,
        job: d.job === undefined ? 'no job' : { failedReason: d.job.failedReason, attemptsMade: d.job.attemptsMade, stalledCounter: d.job.stalledCounter, finishedOn: d.job.finishedOn },
      }));
      throw new Error(
        `${(err as Error).message}\nstates: ${JSON.stringify(await tally(ids).catch(() => ({})))}\nunfinished (up to 3): ${JSON.stringify(described)}\nworkers:\n${fleet.output().slice(-8000)}\nintakes:\n${intakes.output().slice(-4000)}`,
        { cause: err },
      );
    }
  };

  const submit = async (deviceId: string, opts: SubmitOptions = {}): Promise<SubmitAnswer> => {
    const running = intakes.running();
    const intake = opts.intake ?? running[nextIntake++ % Math.max(1, running.length)];
    if (intake === undefined) throw new Error('no intake process is running');
    try {
      const res = await fetch(`${intake.url}/v1/resets`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${intakes.token}`,
          'content-type': 'application/json',
          ...(opts.idempotencyKey === undefined ? {} : { 'idempotency-key': opts.idempotencyKey }),
        },
        body: JSON.stringify({ device: { id: deviceId }, requestedBy: 'anna@contoso.com' }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json().catch(() => ({}))) as { id?: unknown; error?: { code?: unknown; details?: { activeRequestId?: unknown } } };
      const code = typeof body.error?.code === 'string' ? body.error.code : undefined;
      const active = body.error?.details?.activeRequestId;
      return {
        device: deviceId,
        status: res.status,
        at: Date.now(),
        intake: intake.name,
        ...(res.status === 202 && typeof body.id === 'string' ? { id: body.id } : {}),
        ...(code === undefined ? {} : { code }),
        ...(typeof active === 'string' ? { activeRequestId: active } : {}),
      };
    } catch {
      return { device: deviceId, status: 0, at: Date.now(), intake: intake.name };
    }
  };

  return {
    label,
    prefix,
    sandbox: sb,
    intakes,
    workers: fleet,
    redis,
    queues,
    store,
    seedDevices(n, script) {
      const template = sb.control.device(FIXTURE_DEVICES.androidDedicated)?.device;
      if (template === undefined) throw new Error('the fixture device is missing');
      return Array.from({ length: n }, () => {
        seeded += 1;
        const serial = seeded.toString(16).padStart(12, '0');
        const id = `${idPrefix}-0000-4000-8000-${serial}`;
        sb.control.upsertDevice({
          device: { ...template, id, deviceName: `CHAOS-${label.toUpperCase()}-${String(seeded)}`, serialNumber: `SBXC${idPrefix}${serial}`, azureADDeviceId: `a${id.slice(1)}` },
          resetScript: script,
        });
        return id;
      });
    },
    submit,
    async submitAll(deviceIds, concurrency = 8, onAnswer) {
      const ids: string[] = new Array<string>(deviceIds.length);
      let next = 0;
      const lane = async (): Promise<void> => {
        for (let i = next++; i < deviceIds.length; i = next++) {
          const device = deviceIds[i] ?? '';
          let key = randomUUID();
          let inProgressSince: number | undefined;
          const seen: string[] = [];
          // A client that retries every 250 ms, for up to 100 s, until its request is accepted.
          const accepted = async (): Promise<boolean> => {
            const answer = await submit(device, { idempotencyKey: key });
            seen.push(`${String(answer.status)}${answer.code === undefined ? '' : ` ${answer.code}`}`);
            onAnswer?.(answer);
            if (answer.status === 202 && answer.id !== undefined) {
              ids[i] = answer.id;
              return true;
            }
            if (answer.status === 409 && answer.code === 'device_has_active_request' && answer.activeRequestId !== undefined) {
              // Only after a new key. Either an earlier attempt stored the request although its answer was not 202,
              // or it left a reservation of the device behind, which lapses after 30 s: then retry.
              if ((await states([answer.activeRequestId]))[0] !== undefined) {
                ids[i] = answer.activeRequestId;
                submitStats.storedWithout202 += 1;
                return true;
              }
              reservedBy.add(answer.activeRequestId);
              submitStats.leftoverReservations = reservedBy.size;
            } else if (answer.status === 409 && answer.code === 'idempotency_in_progress') {
              inProgressSince ??= answer.at;
              if (answer.at - inProgressSince > STUCK_KEY_MS) {
                // The key's first call stopped without an answer and stored nothing: a new key (docs/reliability.md).
                submitStats.stuckKeys += 1;
                submitStats.rekeyedDevices.push(device);
                key = randomUUID();
                inProgressSince = undefined;
              }
            } else {
              inProgressSince = undefined;
              if (answer.status !== 503 && answer.status !== 0) throw new Error(`POST /v1/resets for ${device} answered ${String(answer.status)} ${answer.code ?? ''}`);
            }
            return false;
          };
          try {
            await waitFor(accepted, 100_000, `POST /v1/resets for ${device} to be accepted`, 250);
          } catch (err) {
            throw new Error(`${(err as Error).message}: ${[...new Set(seen)].join(', ')}`, { cause: err });
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, lane));
      return ids;
    },
    submitStats,
    states,
    tally,
    until,
    untilFinal: (ids, timeoutMs) => until(`all ${String(ids.length)} requests to be final`, timeoutMs, ids, async () => (await states(ids)).every((s) => FINAL_STATES.has(s ?? ''))),
    resetPosts(deviceIds) {
      const ours = new Set(deviceIds);
      return sb.control.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/resetPasscode') && ours.has(c.path.split('/').at(-2) ?? '')).length;
    },
    async close() {
      await fleet.stop();
      await intakes.stop();
      await sb.close();
      await queues.close();
      await redis.quit().catch(() => {
        redis.disconnect();
      });
    },
  };
}
