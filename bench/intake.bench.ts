/**
 * Intake benchmark: POST /v1/resets under autocannon, against two baselines loaded in the same run.
 *
 *   bare    a bare Fastify route on the same Fastify version that parses the same JSON body and answers 202;
 *   intake  the real app from buildIntakeApp (auth, rate limiter, zod validation, the job's add and the accept Lua in one pipeline);
 *   queue   a raw BullMQ `queue.add` loop on the same Redis, with as many adds in flight as autocannon has connections.
 *
 * Issue 12's targets: intake ≥ 0.3× (stretch 0.5×) the queue.add loop's accepted/s, p99 < 10 ms at 1,000/s, no non-202,
 * with the production log level (info). The bare route is shown for reference.
 *
 * Each target gets a short warm-up, then rounds alternate bare → intake → queue, first at maximum throughput, then at a
 * fixed 1,000 requests/s (autocannon `overallRate`). The report gives the median of the rounds and ratios of medians.
 *
 * Processes: this one (orchestrator and autocannon), one server child (both HTTP apps and the queue.add loop; only one
 * is loaded at a time) and a dedicated redis-server (AOF everysec, from src/redis/spawn.ts). Everything is loopback.
 *
 * Run with `npm run build && node bench/run.mjs` (bench/run.mjs compiles this file to dist/bench/ and loads it).
 * Settings (environment, each clamped): BENCH_ROUNDS (3), BENCH_SECONDS (6), BENCH_WARMUP_SECONDS (2),
 * BENCH_CONNECTIONS (10), BENCH_RATE (1000), BENCH_TARGETS (bare,intake,queue), BENCH_LOG_LEVEL (info, the production default),
 * BENCH_CPU_PROF (1: the server child writes a V8 CPU profile to a temp directory on exit), BENCH_SERVER_NODE_ARGS (Node
 * flags for the server child, e.g. `--max-semi-space-size=32`, separated by spaces; none by default).
 */
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { TokenRegistry, generateToken, sha256Hex } from '../src/auth/tokens';
import { parseConfig } from '../src/config/load';
import { buildIntakeApp } from '../src/intake/app';
import { createIntakeRedis } from '../src/bin/intake-server';
import { catalog } from '../src/queue/catalog';
import { createQueues } from '../src/queue/queues';
import { createRedis, waitForReady } from '../src/redis/connection';
import { spawnRedisServer, type SpawnedRedis } from '../src/redis/spawn';

// ---------------------------------------------------------------------------------------------------------------
// Settings

type Target = 'bare' | 'intake' | 'queue';
type Mode = 'max' | 'rate';
const ALL_TARGETS: readonly Target[] = ['bare', 'intake', 'queue'];

function intSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number.parseInt(raw, 10);
  if (!Number.isFinite(value)) throw new Error(`${name} must be an integer`);
  return Math.min(max, Math.max(min, value));
}

function settings() {
  const targets = (process.env.BENCH_TARGETS ?? ALL_TARGETS.join(','))
    .split(',')
    .map((t) => t.trim())
    .filter((t): t is Target => (ALL_TARGETS as readonly string[]).includes(t));
  return {
    rounds: intSetting('BENCH_ROUNDS', 3, 1, 9),
    seconds: intSetting('BENCH_SECONDS', 6, 2, 30),
    warmupSeconds: intSetting('BENCH_WARMUP_SECONDS', 2, 0, 10),
    connections: intSetting('BENCH_CONNECTIONS', 10, 1, 256),
    rate: intSetting('BENCH_RATE', 1000, 10, 20_000),
    targets: targets.length === 0 ? [...ALL_TARGETS] : targets,
    // The production default (LOG_LEVEL=info) unless told otherwise: its lines cost CPU, and issue 12's targets count it.
    logLevel: process.env.BENCH_LOG_LEVEL === 'warn' || process.env.BENCH_LOG_LEVEL === 'silent' ? process.env.BENCH_LOG_LEVEL : 'info',
    cpuProfile: process.env.BENCH_CPU_PROF === '1',
    serverNodeArgs: (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((arg) => /^--[a-z0-9-]+(=[A-Za-z0-9._-]+)?$/.test(arg)),
  };
}
type Settings = ReturnType<typeof settings>;

/** Latency samples kept per run; beyond this, a run's percentiles use the first samples only (noted in the JSON). */
const SAMPLE_CAP = 2_000_000;
/** Pause between runs so Redis's AOF fsync and the servers' GC settle. */
const PAUSE_MS = 500;
/** Issue 12: the intake's accepted/s against a raw `queue.add` loop on the same Redis, in the same run. */
const TARGET_RATIO = 0.3;
const STRETCH_RATIO = 0.5;
const TARGET_P99_MS = 10;
/** A run during which other processes kept more than this many cores busy is counted as contended. */
const CONTENDED_CORES = 0.5;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
/** A sleep that does not keep the process alive: for the deadlines raced against shutdown steps. */
const unrefDelay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

// ---------------------------------------------------------------------------------------------------------------
// Latency summaries

interface LatencySummary {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  /** True when more samples arrived than SAMPLE_CAP. */
  readonly truncated: boolean;
}

class Samples {
  private readonly values: Float64Array;
  private n = 0;
  private dropped = 0;
  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }
  add(ms: number): void {
    if (this.n < this.values.length) this.values[this.n++] = ms;
    else this.dropped++;
  }
  summary(): LatencySummary {
    const n = this.n;
    if (n === 0) return { count: 0, p50: null, p90: null, p99: null, max: null, mean: null, truncated: false };
    const sorted = this.values.slice(0, n).sort();
    const at = (q: number): number => round3(sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] ?? Number.NaN);
    let sum = 0;
    for (const v of sorted) sum += v;
    return { count: n + this.dropped, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), mean: round3(sum / n), truncated: this.dropped > 0 };
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function median(values: readonly number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] ?? null) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
}

// ---------------------------------------------------------------------------------------------------------------
// IPC between the orchestrator and the server child

interface QueueRunRequest {
  readonly concurrency: number;
  readonly seconds: number;
  /** Adds per second over all loops, or null for as fast as possible. */
  readonly rate: number | null;
}

interface QueueRunResult {
  readonly seconds: number;
  readonly added: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly latencyMs: LatencySummary;
}

interface ServerStats {
  readonly cpu: NodeJS.CpuUsage;
  readonly elu: EventLoopUtilization;
  readonly rssBytes: number;
}

type ToServer =
  | { readonly id: number; readonly kind: 'queue'; readonly run: QueueRunRequest }
  | { readonly id: number; readonly kind: 'stats' }
  | { readonly id: number; readonly kind: 'stop' };

type FromServer =
  | { readonly kind: 'ready'; readonly bareUrl: string; readonly intakeUrl: string }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: string };

function isFromServer(m: unknown): m is FromServer {
  return typeof m === 'object' && m !== null && 'kind' in m && (m.kind === 'ready' || m.kind === 'reply');
}

function isToServer(m: unknown): m is ToServer {
  return typeof m === 'object' && m !== null && 'kind' in m && 'id' in m && typeof m.id === 'number';
}

// ---------------------------------------------------------------------------------------------------------------
// Server child: the bare route, the intake app and the queue.add loop

/** This file runs compiled, from dist/bench/. */
const REPO_ROOT = resolve(__dirname, '..', '..');
const BENCH_PREFIX = '{bench}';
const QUEUE_BASELINE_PREFIX = '{benchq}';

async function serve(): Promise<void> {
  const send = (m: FromServer): void => {
    if (process.send === undefined) throw new Error('the server mode needs an IPC channel (started by the orchestrator)');
    process.send(m);
  };
  const redisUrl = process.env.BENCH_REDIS_URL ?? '';
  const tokenSha256 = process.env.BENCH_TOKEN_SHA256 ?? '';
  if (!redisUrl.startsWith('redis://127.0.0.1:') || !/^[0-9a-f]{64}$/.test(tokenSha256)) {
    throw new Error('BENCH_REDIS_URL (loopback) and BENCH_TOKEN_SHA256 are required');
  }

  const config = parseConfig({
    REDIS_URL: redisUrl,
    REDIS_PREFIX: BENCH_PREFIX,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    HOST: '127.0.0.1',
    PORT: '0',
    // The limiter still runs (one Redis call per request) but never refuses.
    RATE_LIMIT_MAX: '1000000',
    RATE_LIMIT_WINDOW_MS: '60000',
  });

  // As src/bin/intake-server.ts composes it: one producer connection for the store, the limiter and the queues.
  const redis = createIntakeRedis(config.REDIS_URL, config.REDIS_COMMAND_TIMEOUT_MS, 'bench-intake');
  await waitForReady(redis, 5000);
  const queues = createQueues(redis, config.REDIS_PREFIX);
  const tokens = new TokenRegistry([{ name: 'bench', roles: ['submit'], sha256: tokenSha256 }]);
  const intake = await buildIntakeApp({ config, redis, queues, tokens, version: 'bench' });
  const intakeUrl = await intake.listen({ host: '127.0.0.1', port: 0 });

  // Baseline (a): the same Fastify, the same path and JSON body parsing, a 202 with a body of the same shape.
  const bare = Fastify({ logger: false, bodyLimit: config.BODY_LIMIT_BYTES });
  bare.post('/v1/resets', async (_request, reply) => {
    const id = randomUUID();
    return reply.code(202).send({ id, state: 'received', links: { self: `/v1/resets/${id}` } });
  });
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

  // Baseline (b): its own producer connection and queues (another prefix), the production job options.
  const queueRedis = createRedis(config.REDIS_URL, 'producer', { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, name: 'bench-queue-add' });
  await waitForReady(queueRedis, 5000);
  const baseline = createQueues(queueRedis, QUEUE_BASELINE_PREFIX);

  const addLoop = async (run: QueueRunRequest): Promise<QueueRunResult> => {
    const samples = new Samples(Math.min(SAMPLE_CAP, 200_000 * run.seconds));
    const start = performance.now();
    const deadline = start + run.seconds * 1000;
    let added = 0;
    let errors = 0;
    let firstError: string | null = null;
    // The same pacing as autocannon's overallRate: each loop may start its share of the rate per one-second window.
    const loop = async (i: number): Promise<void> => {
      const budget = run.rate === null ? null : Math.floor(run.rate / run.concurrency) + (i < run.rate % run.concurrency ? 1 : 0);
      let windowStart = start;
      let inWindow = 0;
      for (;;) {
        const now = performance.now();
        if (now >= deadline) return;
        if (budget !== null) {
          if (now - windowStart >= 1000) {
            windowStart += 1000 * Math.floor((now - windowStart) / 1000);
            inWindow = 0;
          }
          if (inWindow >= budget) {
            await sleep(Math.min(windowStart + 1000, deadline) - now);
            continue;
          }
          inWindow++;
        }
        const requestId = randomUUID();
        const t0 = performance.now();
        try {
          await baseline.reset.add(catalog.reset.name, { requestId }, { jobId: requestId });
          samples.add(performance.now() - t0);
          added++;
        } catch (err) {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
          if (errors > 1000) return;
        }
      }
    };
    await Promise.all(Array.from({ length: run.concurrency }, (_, i) => loop(i)));
    return { seconds: (performance.now() - start) / 1000, added, errors, firstError, latencyMs: samples.summary() };
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.allSettled([intake.close(), bare.close()]);
      await Promise.allSettled([queues.close(), baseline.close()]);
      await Promise.allSettled([redis.quit(), queueRedis.quit()]);
    })());

  process.on('message', (message: unknown) => {
    if (!isToServer(message)) return;
    const reply = (work: Promise<unknown>): void => {
      work.then(
        (value) => {
          send({ kind: 'reply', id: message.id, ok: true, value });
        },
        (err: unknown) => {
          send({ kind: 'reply', id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) });
        },
      );
    };
    switch (message.kind) {
      case 'queue':
        reply(addLoop(message.run));
        break;
      case 'stats':
        reply(Promise.resolve({ cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), rssBytes: process.memoryUsage.rss() } satisfies ServerStats));
        break;
      case 'stop':
        reply(stop());
        break;
    }
  });
  process.on('disconnect', () => {
    // The orchestrator is gone: do not linger.
    void stop().finally(() => process.exit(0));
  });
  send({ kind: 'ready', bareUrl, intakeUrl });
}

// ---------------------------------------------------------------------------------------------------------------
// Orchestrator

class ServerChild {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<{ bareUrl: string; intakeUrl: string }>;

  constructor(readonly child: ChildProcess) {
    this.ready = new Promise((resolveReady, rejectReady) => {
      const timer = setTimeout(() => {
        rejectReady(new Error('the server child did not start within 30 s'));
      }, 30_000);
      child.on('message', (m: unknown) => {
        if (!isFromServer(m)) return;
        if (m.kind === 'ready') {
          clearTimeout(timer);
          resolveReady({ bareUrl: m.bareUrl, intakeUrl: m.intakeUrl });
          return;
        }
        const waiter = this.pending.get(m.id);
        if (waiter === undefined) return;
        this.pending.delete(m.id);
        if (m.ok) waiter.resolve(m.value);
        else waiter.reject(new Error(m.error));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const err = new Error(`the server child exited (code ${String(code)}, signal ${String(signal)})`);
        rejectReady(err);
        for (const w of this.pending.values()) w.reject(err);
        this.pending.clear();
      });
    });
  }

  async ask(message: { kind: 'queue'; run: QueueRunRequest } | { kind: 'stats' } | { kind: 'stop' }, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolveAsk, rejectAsk) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        rejectAsk(new Error(`the server child did not answer ${message.kind} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolveAsk(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          rejectAsk(e);
        },
      });
      const payload: ToServer = { ...message, id };
      this.child.send(payload);
    });
  }

  async stats(): Promise<ServerStats> {
    return (await this.ask({ kind: 'stats' }, 5000)) as ServerStats;
  }
}

interface RedisSnapshot {
  readonly cpuSeconds: number;
  readonly commands: number;
  /** INFO commandstats: calls and microseconds by command. */
  readonly calls: Readonly<Record<string, { readonly calls: number; readonly usec: number }>>;
}

interface Snapshot {
  /** Busy CPU time of the whole machine (all processes, all cores), ms, from os.cpus(). */
  readonly machineBusyMs: number;
  readonly client: NodeJS.CpuUsage;
  readonly server: ServerStats;
  readonly redis: RedisSnapshot;
}

interface RunRecord {
  readonly round: number;
  readonly mode: Mode;
  readonly target: Target;
  readonly seconds: number;
  readonly accepted: number;
  readonly acceptedPerSecond: number;
  /** Responses other than 202, by status code, plus socket errors and timeouts. */
  readonly nonAccepted: Readonly<Record<string, number>>;
  /** Latency of accepted requests (202s; or successful adds), measured per response, in ms, no corrections. */
  readonly latencyMs: LatencySummary;
  /** autocannon's own percentiles (integer-ms histogram; with overallRate, its coordinated-omission correction). */
  readonly autocannonLatencyMs?: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly cpu: {
    /** CPU time per accepted request, microseconds. */
    readonly serverUsPerRequest: number | null;
    readonly redisUsPerRequest: number | null;
    readonly clientUsPerRequest: number | null;
    /** Cores busy on average during the run. */
    readonly serverCores: number;
    readonly redisCores: number;
    readonly clientCores: number;
    readonly serverEventLoopUtilization: number;
    /** Cores busy with anything else on the machine (other users' work: the noise). */
    readonly otherCores: number;
  };
  /**
   * Redis commands per accepted request and their server time (µs) per accepted request, from INFO commandstats.
   * Commands called from scripts are counted too (and their time is also inside the eval/evalsha that called them).
   */
  readonly redisCallsPerRequest: Readonly<Record<string, { readonly calls: number; readonly usec: number }>>;
  readonly firstError?: string;
}

async function redisSnapshot(admin: ReturnType<typeof createRedis>): Promise<RedisSnapshot> {
  const text = await admin.info('everything');
  const fields = new Map<string, string>();
  const calls: Record<string, { calls: number; usec: number }> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    fields.set(key, value);
    if (key.startsWith('cmdstat_')) {
      const n = /(?:^|,)calls=(\d+)/.exec(value)?.[1];
      const usec = /(?:^|,)usec=(\d+)/.exec(value)?.[1];
      if (n !== undefined && usec !== undefined) calls[key.slice('cmdstat_'.length)] = { calls: Number(n), usec: Number(usec) };
    }
  }
  const num = (k: string): number => Number(fields.get(k) ?? Number.NaN);
  return { cpuSeconds: num('used_cpu_user') + num('used_cpu_sys'), commands: num('total_commands_processed'), calls };
}

async function snapshot(server: ServerChild, admin: ReturnType<typeof createRedis>): Promise<Snapshot> {
  const [serverStats, redisStats] = await Promise.all([server.stats(), redisSnapshot(admin)]);
  const machineBusyMs = os.cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
  return { machineBusyMs, client: process.cpuUsage(), server: serverStats, redis: redisStats };
}

function costs(before: Snapshot, after: Snapshot, seconds: number, accepted: number): Pick<RunRecord, 'cpu' | 'redisCallsPerRequest'> {
  const us = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number => b.user - a.user + (b.system - a.system);
  const serverUs = us(before.server.cpu, after.server.cpu);
  const clientUs = us(before.client, after.client);
  const redisUs = (after.redis.cpuSeconds - before.redis.cpuSeconds) * 1e6;
  const per = (x: number): number | null => (accepted === 0 ? null : Math.round((x / accepted) * 10) / 10);
  const cores = (x: number): number => Math.round((x / 1e6 / seconds) * 100) / 100;
  const active = after.server.elu.active - before.server.elu.active;
  const idle = after.server.elu.idle - before.server.elu.idle;
  const calls: Record<string, { calls: number; usec: number }> = {};
  if (accepted > 0) {
    for (const [name, stat] of Object.entries(after.redis.calls)) {
      const delta = stat.calls - (before.redis.calls[name]?.calls ?? 0);
      const usec = stat.usec - (before.redis.calls[name]?.usec ?? 0);
      // `info` is the snapshot itself.
      if (delta > 0 && name !== 'info') calls[name] = { calls: Math.round((delta / accepted) * 100) / 100, usec: Math.round((usec / accepted) * 10) / 10 };
    }
  }
  return {
    cpu: {
      serverUsPerRequest: per(serverUs),
      redisUsPerRequest: per(redisUs),
      clientUsPerRequest: per(clientUs),
      serverCores: cores(serverUs),
      redisCores: cores(redisUs),
      clientCores: cores(clientUs),
      serverEventLoopUtilization: active + idle > 0 ? Math.round((active / (active + idle)) * 1000) / 1000 : 0,
      otherCores: Math.max(0, cores((after.machineBusyMs - before.machineBusyMs) * 1000 - serverUs - clientUs - redisUs)),
    },
    redisCallsPerRequest: calls,
  };
}

interface HttpTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** One body per request: each names its own device, since a device holds one active request at a time. */
let serial = 0;
const nextBody = (): string => {
  serial += 1;
  return `{"device":{"serialNumber":"BENCH-${serial}"},"requestedBy":"bench.user@example.com","reason":"benchmark load"}`;
};

interface HttpOutcome {
  readonly seconds: number;
  readonly accepted: number;
  readonly nonAccepted: Record<string, number>;
  readonly latencyMs: LatencySummary;
  readonly autocannonLatencyMs: { p50: number; p99: number; max: number };
}

async function httpLoad(target: HttpTarget, seconds: number, connections: number, rate: number | null): Promise<HttpOutcome> {
  const samples = new Samples(Math.min(SAMPLE_CAP, 100_000 * seconds));
  const options: autocannon.Options = {
    url: target.url,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/v1/resets',
        headers: { ...target.headers },
        setupRequest: (request) => {
          request.body = nextBody();
          return request;
        },
      },
    ],
    ...(rate === null ? {} : { overallRate: rate }),
  };
  const result = await new Promise<autocannon.Result>((resolveRun, rejectRun) => {
    const instance = autocannon(options, (err, res) => {
      if (err === null) resolveRun(res);
      else rejectRun(err);
    });
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode === 202) samples.add(responseTimeMs);
    });
  });
  const nonAccepted: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats)) {
    if (code !== '202' && stat !== undefined && stat.count > 0) nonAccepted[code] = stat.count;
  }
  if (result.errors - result.timeouts > 0) nonAccepted.errors = result.errors - result.timeouts;
  if (result.timeouts > 0) nonAccepted.timeouts = result.timeouts;
  return {
    seconds: result.duration,
    accepted: result.statusCodeStats['202']?.count ?? 0,
    nonAccepted,
    latencyMs: samples.summary(),
    autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
  };
}

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const fmtInt = (x: number | null): string => (x === null ? '–' : Math.round(x).toLocaleString('en-US'));
const fmtMs = (x: number | null): string => (x === null ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const fmtRatio = (x: number | null): string => (x === null ? '–' : x.toFixed(2));

interface Aggregate {
  readonly mode: Mode;
  readonly target: Target;
  readonly acceptedPerSecond: number | null;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly autocannonP99: number | null;
  readonly nonAccepted: number;
  readonly rounds: readonly number[];
  readonly serverUsPerRequest: number | null;
  readonly redisUsPerRequest: number | null;
  readonly clientUsPerRequest: number | null;
  readonly serverCores: number | null;
  readonly redisCores: number | null;
  readonly otherCores: number | null;
}

function aggregate(runs: readonly RunRecord[], mode: Mode, target: Target): Aggregate {
  const mine = runs.filter((r) => r.mode === mode && r.target === target);
  const pick = (f: (r: RunRecord) => number | null | undefined): number | null => median(mine.map((r) => f(r) ?? Number.NaN));
  return {
    mode,
    target,
    acceptedPerSecond: pick((r) => r.acceptedPerSecond),
    p50: pick((r) => r.latencyMs.p50),
    p99: pick((r) => r.latencyMs.p99),
    autocannonP99: pick((r) => r.autocannonLatencyMs?.p99),
    nonAccepted: mine.reduce((sum, r) => sum + Object.values(r.nonAccepted).reduce((a, b) => a + b, 0), 0),
    rounds: mine.map((r) => Math.round(r.acceptedPerSecond)),
    serverUsPerRequest: pick((r) => r.cpu.serverUsPerRequest),
    redisUsPerRequest: pick((r) => r.cpu.redisUsPerRequest),
    clientUsPerRequest: pick((r) => r.cpu.clientUsPerRequest),
    serverCores: pick((r) => r.cpu.serverCores),
    redisCores: pick((r) => r.cpu.redisCores),
    otherCores: pick((r) => r.cpu.otherCores),
  };
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : Math.round((a / b) * 1000) / 1000;

function pairedRatio(runs: readonly RunRecord[], baseline: Target): number | null {
  const per: number[] = [];
  for (const r of runs) {
    if (r.mode !== 'max' || r.target !== 'intake') continue;
    const base = runs.find((b) => b.mode === 'max' && b.target === baseline && b.round === r.round);
    const value = ratio(r.acceptedPerSecond, base?.acceptedPerSecond);
    if (value !== null) per.push(value);
  }
  const m = median(per);
  return m === null ? null : Math.round(m * 1000) / 1000;
}

function markdown(s: Settings, aggregates: readonly Aggregate[], ratios: Record<string, number | null>, verdicts: readonly string[]): string {
  const label: Record<Target, string> = { bare: 'bare Fastify 202', intake: 'intake POST /v1/resets', queue: 'raw BullMQ queue.add' };
  const lines: string[] = [];
  lines.push(`Medians of ${s.rounds} alternating rounds, ${s.seconds} s each, ${s.connections} connections (queue.add: ${s.connections} in flight).`, '');
  lines.push('| Load | Target | Accepted/s (median) | p50 ms | p99 ms | autocannon p99 ms | Non-202 (all rounds) | Accepted/s per round |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---|');
  for (const a of aggregates) {
    const load = a.mode === 'max' ? 'max throughput' : `fixed ${s.rate.toLocaleString('en-US')}/s`;
    lines.push(
      `| ${load} | ${label[a.target]} | ${fmtInt(a.acceptedPerSecond)} | ${fmtMs(a.p50)} | ${fmtMs(a.p99)} | ${a.target === 'queue' ? 'n/a' : fmtMs(a.autocannonP99)} | ${a.nonAccepted} | ${a.rounds.map((x) => fmtInt(x)).join(' / ')} |`,
    );
  }
  lines.push('', '| Ratio (of medians) | Value |', '|---|---:|');
  for (const [name, value] of Object.entries(ratios)) lines.push(`| ${name} | ${fmtRatio(value)} |`);
  lines.push('', '| Max-throughput run | Server CPU µs/accepted | Redis CPU µs/accepted | Client CPU µs/accepted | Server cores | Redis cores | Other processes, cores |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const a of aggregates.filter((x) => x.mode === 'max')) {
    lines.push(
      `| ${label[a.target]} | ${fmtInt(a.serverUsPerRequest)} | ${fmtInt(a.redisUsPerRequest)} | ${a.target === 'queue' ? 'n/a' : fmtInt(a.clientUsPerRequest)} | ${fmtRatio(a.serverCores)} | ${fmtRatio(a.redisCores)} | ${fmtRatio(a.otherCores)} |`,
    );
  }
  lines.push('', ...verdicts.map((v) => `- ${v}`));
  return lines.join('\n');
}

async function orchestrate(): Promise<number> {
  const s = settings();
  const startedAt = new Date();
  const t0 = performance.now();
  const outFlag = process.argv.indexOf('--out');
  const outPath = resolve(outFlag >= 0 ? (process.argv[outFlag + 1] ?? '') : join(REPO_ROOT, 'bench', 'results', 'latest.json'));
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor < 24) console.warn(`warning: running on Node ${process.versions.node}; the project pins Node 24 (run through npm run bench)`);
  const log = (msg: string): void => {
    console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
  };

  const loadBefore = os.loadavg();
  const redisServer: SpawnedRedis = await spawnRedisServer({ appendOnly: true });
  log(`redis-server ${redisServer.url} (AOF everysec) in ${redisServer.dir}`);
  let child: ChildProcess | undefined;
  let server: ServerChild | undefined;
  const admin = createRedis(redisServer.url, 'producer', { name: 'bench-admin', commandTimeoutMs: 5000 });
  const onSignal = (): void => {
    child?.kill('SIGKILL');
    redisServer.process.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await waitForReady(admin, 5000);
    const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? 'unknown';
    const token = generateToken();
    const profDir = s.cpuProfile ? mkdtempSync(join(os.tmpdir(), 'resetpc-bench-prof-')) : undefined;
    child = fork(__filename, ['--server'], {
      env: {
        ...process.env,
        BENCH_REDIS_URL: redisServer.url,
        BENCH_TOKEN_SHA256: sha256Hex(token),
        BENCH_LOG_LEVEL: s.logLevel,
      },
      execArgv: [...s.serverNodeArgs, ...(profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`])],
      // At info the app logs every request: keep that cost, but not the lines.
      stdio: ['ignore', s.logLevel === 'info' ? 'ignore' : 'inherit', 'inherit', 'ipc'],
    });
    server = new ServerChild(child);
    const { bareUrl, intakeUrl } = await server.ready;
    log(`servers up: bare ${bareUrl}, intake ${intakeUrl}`);

    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const http: Record<'bare' | 'intake', HttpTarget> = { bare: { url: bareUrl, headers }, intake: { url: intakeUrl, headers } };

    // A sanity check: both answer 202 to one request, and the intake refuses a second request for the same device.
    for (const [name, t] of Object.entries(http)) {
      const body = nextBody();
      const first = await fetch(`${t.url}/v1/resets`, { method: 'POST', headers: t.headers, body, signal: AbortSignal.timeout(5000) });
      await first.arrayBuffer();
      if (first.status !== 202) throw new Error(`${name}: expected 202 from the sanity request, got ${first.status}`);
      if (name === 'intake') {
        const again = await fetch(`${t.url}/v1/resets`, { method: 'POST', headers: t.headers, body, signal: AbortSignal.timeout(5000) });
        await again.arrayBuffer();
        if (again.status !== 409) throw new Error(`intake: expected 409 for a second request on one device, got ${again.status}`);
      }
    }

    const measure = async (round: number, mode: Mode, target: Target, seconds: number): Promise<RunRecord> => {
      const rate = mode === 'rate' ? s.rate : null;
      const before = await snapshot(server!, admin);
      let record: Omit<RunRecord, 'cpu' | 'redisCallsPerRequest'>;
      if (target === 'queue') {
        const r = (await server!.ask({ kind: 'queue', run: { concurrency: s.connections, seconds, rate } }, seconds * 1000 + 30_000)) as QueueRunResult;
        record = {
          round,
          mode,
          target,
          seconds: r.seconds,
          accepted: r.added,
          acceptedPerSecond: r.added / r.seconds,
          nonAccepted: r.errors > 0 ? { errors: r.errors } : {},
          latencyMs: r.latencyMs,
          ...(r.firstError === null ? {} : { firstError: r.firstError }),
        };
      } else {
        const r = await httpLoad(http[target], seconds, s.connections, rate);
        record = {
          round,
          mode,
          target,
          seconds: r.seconds,
          accepted: r.accepted,
          acceptedPerSecond: r.accepted / r.seconds,
          nonAccepted: r.nonAccepted,
          latencyMs: r.latencyMs,
          autocannonLatencyMs: r.autocannonLatencyMs,
        };
      }
      const after = await snapshot(server!, admin);
      const full: RunRecord = { ...record, ...costs(before, after, record.seconds, record.accepted) };
      const bad = Object.entries(full.nonAccepted).map(([k, v]) => `${k}×${v}`).join(' ');
      log(
        `${round === 0 ? 'warm-up' : `round ${round}`} ${mode.padEnd(4)} ${target.padEnd(6)} ${fmtInt(full.acceptedPerSecond).padStart(7)}/s ` +
          `p50 ${fmtMs(full.latencyMs.p50)} ms p99 ${fmtMs(full.latencyMs.p99)} ms  ` +
          `cores: server ${fmtRatio(full.cpu.serverCores)} redis ${fmtRatio(full.cpu.redisCores)} client ${fmtRatio(full.cpu.clientCores)} other ${fmtRatio(full.cpu.otherCores)}` +
          `${bad === '' ? '' : `  non-202: ${bad}`}${full.firstError === undefined ? '' : `  (${full.firstError})`}`,
      );
      await sleep(PAUSE_MS);
      return full;
    };

    const warmups: RunRecord[] = [];
    if (s.warmupSeconds > 0) for (const target of s.targets) warmups.push(await measure(0, 'max', target, s.warmupSeconds));

    const runs: RunRecord[] = [];
    for (let round = 1; round <= s.rounds; round++) {
      for (const mode of ['max', 'rate'] as const) {
        for (const target of s.targets) runs.push(await measure(round, mode, target, s.seconds));
      }
    }

    const aggregates = (['max', 'rate'] as const).flatMap((mode) => s.targets.map((target) => aggregate(runs, mode, target)));
    const find = (mode: Mode, target: Target): Aggregate | undefined => aggregates.find((a) => a.mode === mode && a.target === target);
    const ratios: Record<string, number | null> = {
      'intake / bare, accepted/s at max throughput': ratio(find('max', 'intake')?.acceptedPerSecond, find('max', 'bare')?.acceptedPerSecond),
      'intake / queue.add, accepted/s at max throughput': ratio(find('max', 'intake')?.acceptedPerSecond, find('max', 'queue')?.acceptedPerSecond),
      'intake / bare, p99 at max throughput': ratio(find('max', 'intake')?.p99, find('max', 'bare')?.p99),
      'intake / queue.add, p99 at max throughput': ratio(find('max', 'intake')?.p99, find('max', 'queue')?.p99),
      [`intake / bare, p99 at ${s.rate}/s`]: ratio(find('rate', 'intake')?.p99, find('rate', 'bare')?.p99),
      [`intake / queue.add, p99 at ${s.rate}/s`]: ratio(find('rate', 'intake')?.p99, find('rate', 'queue')?.p99),
      // A check on the ratio of medians: the two runs of one round are seconds apart, so they see similar noise.
      'intake / bare, accepted/s at max throughput, median of per-round ratios': pairedRatio(runs, 'bare'),
      'intake / queue.add, accepted/s at max throughput, median of per-round ratios': pairedRatio(runs, 'queue'),
    };
    const throughputRatio = ratios['intake / queue.add, accepted/s at max throughput'] ?? null;
    const rateP99 = find('rate', 'intake')?.p99 ?? null;
    const rateAchieved = find('rate', 'intake')?.acceptedPerSecond ?? null;
    const intakeNonAccepted = aggregates.filter((a) => a.target === 'intake').reduce((sum, a) => sum + a.nonAccepted, 0);
    const targets = {
      throughput: {
        goal: `intake ≥ ${TARGET_RATIO}× the raw queue.add loop's accepted/s (stretch ${STRETCH_RATIO}×), LOG_LEVEL=${s.logLevel}`,
        value: throughputRatio,
        met: throughputRatio === null ? null : throughputRatio >= TARGET_RATIO,
        stretchMet: throughputRatio === null ? null : throughputRatio >= STRETCH_RATIO,
      },
      latency: {
        goal: `intake p99 < ${TARGET_P99_MS} ms at ${s.rate} requests/s`,
        value: rateP99,
        achievedRate: rateAchieved,
        met: rateP99 === null || rateAchieved === null ? null : rateP99 < TARGET_P99_MS && rateAchieved >= s.rate * 0.95,
      },
      noRefusals: { goal: 'every intake request answered 202', value: intakeNonAccepted, met: intakeNonAccepted === 0 },
    };
    const others = runs.map((r) => r.cpu.otherCores);
    const noise = { median: median(others), max: others.length === 0 ? null : Math.max(...others), contendedRuns: others.filter((x) => x > CONTENDED_CORES).length };
    const verdict = (met: boolean | null): string => (met === null ? 'NOT MEASURED' : met ? 'MET' : 'MISSED');
    const verdicts = [
      `Throughput target (${targets.throughput.goal}): ${fmtRatio(throughputRatio)} → ${verdict(targets.throughput.met)} (stretch: ${verdict(targets.throughput.stretchMet)})`,
      `Latency target (${targets.latency.goal}): p99 ${fmtMs(rateP99)} ms at ${fmtInt(rateAchieved)}/s achieved → ${verdict(targets.latency.met)}`,
      `Non-202 answers from the intake (all measured rounds): ${intakeNonAccepted}`,
      `Noise: other processes kept a median of ${fmtRatio(noise.median)} cores busy during the measured runs (max ${fmtRatio(noise.max)}, of ${os.cpus().length}); ` +
        `${noise.contendedRuns} of ${runs.length} runs had more than ${CONTENDED_CORES} cores of other load` +
        (noise.median !== null && noise.median > CONTENDED_CORES ? ' — the figures above are contended; rerun on a quieter machine' : ''),
    ];

    const endInfo = await admin.info('memory');
    const report = {
      startedAt: startedAt.toISOString(),
      wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        totalMemoryBytes: os.totalmem(),
        platform: `${os.platform()} ${os.release()}`,
        loadAverageBefore: loadBefore,
        loadAverageAfter: os.loadavg(),
      },
      versions: {
        node: process.versions.node,
        redis: redisVersion,
        fastify: versionOf('fastify'),
        bullmq: versionOf('bullmq'),
        ioredis: versionOf('ioredis'),
        autocannon: versionOf('autocannon'),
      },
      settings: { ...s, pauseMs: PAUSE_MS, redis: 'dedicated redis-server, appendonly yes, appendfsync everysec, loopback' },
      targets,
      noise: { otherCoresMedian: noise.median, otherCoresMax: noise.max, contendedRuns: noise.contendedRuns, contendedAboveCores: CONTENDED_CORES },
      ratios,
      medians: aggregates,
      runs,
      warmups,
      redisUsedMemoryAtEnd: /used_memory_human:(\S+)/.exec(endInfo)?.[1] ?? 'unknown',
      cpuProfileDir: profDir ?? null,
    };
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\n${markdown(s, aggregates, ratios, verdicts)}\n`);
    log(`raw results: ${outPath}`);
    if (profDir !== undefined) log(`CPU profile of the server child: ${profDir} (written when it exits)`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const running = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;
    if (server !== undefined && child !== undefined && running(child)) {
      const exited = new Promise((r) => child?.once('exit', r));
      await server.ask({ kind: 'stop' }, 10_000).catch(() => undefined);
      if (child.connected) child.disconnect();
      await Promise.race([exited, unrefDelay(10_000)]);
      if (running(child)) child.kill('SIGKILL');
    }
    await admin.quit().catch(() => {
      admin.disconnect();
    });
    await Promise.race([redisServer.stop(), unrefDelay(15_000)]);
    if (running(redisServer.process)) redisServer.process.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------------------------

const entry = process.argv.includes('--server')
  ? serve()
  : orchestrate().then((code) => {
      process.exitCode = code;
    });
entry.catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
  if (process.argv.includes('--server')) process.exit(1);
});
