/**
 * Reset workflow benchmark: N resets (default 2,000) through the real intake, the real `reset` worker and the sandbox,
 * with the Intune throttling limits and the window shortened (default 20 s → 2 s: every limit scaled by the same 10×).
 *
 * A short warm-up round (not counted) comes first, so that every measured round meets a warm sandbox and intake.
 * Each round is fresh: its own redis-server (AOF everysec, src/redis/spawn.ts), sandbox, intake and worker process.
 *   1. The sandbox gets N distinct Android Enterprise dedicated devices, each scripted to finish within 50–200 ms.
 *   2. The worker process starts (workers/compose.ts startWorkers, as workers/main.ts runs it) with the Graph budget
 *      configured to match the shortened window, APPROVAL_REQUIRED=false and a short first poll.
 *   3. All N requests go through the intake (app.inject on the real app from buildIntakeApp) as fast as it takes them.
 *   4. The clock runs until every request is in a final state (the store's per-state indexes, polled every 50 ms).
 * Then it reads what each side saw: the sandbox's call log (429s, POSTs per device, write pacing), the worker process's
 * own process.cpuUsage(), Redis INFO (memory, CPU, commandstats) and every request's timeline. The worker child also
 * counts its Graph budget decisions (a counting wrapper around GraphBudget.prototype.acquire; nothing else changes).
 *
 * Processes: this one (orchestrator: sandbox, intake, submitter, watcher), one or more worker children (this file with
 * `--worker`) and a dedicated redis-server. Everything is loopback.
 *
 * Run with `npm run bench:workflow` (`npm run build && node bench/run.mjs workflow`) (it compiles this file to dist/bench/ and loads it).
 * Settings (environment, each clamped): BENCH_RESETS (2000), BENCH_ROUNDS (3), BENCH_WARMUP_RESETS (200),
 * BENCH_WINDOW_MS (2000), BENCH_WRITE_BUDGET (180), BENCH_READ_BUDGET (1800), BENCH_CONCURRENCY (100),
 * BENCH_WORKER_PROCESSES (1), BENCH_POLL_BASE_MS (200), BENCH_ACTION_MIN_MS (50), BENCH_ACTION_MAX_MS (200),
 * BENCH_SUBMIT_IN_FLIGHT (32), BENCH_DEADLINE_SECONDS (120), BENCH_LOG_LEVEL (warn), BENCH_CPU_PROF (1: worker children
 * write V8 CPU profiles), BENCH_LIMIT_SCALE (1; a diagnostic: every sandbox limit and both budgets × it),
 * BENCH_WORKER_NODE_ARGS (Node flags for the worker children, e.g. `--max-semi-space-size=32`, separated by spaces),
 * BENCH_FLOOR (1; 0 skips the floor).
 *
 * The floor, a baseline in the same round: after the resets, a fresh child runs N bare BullMQ jobs on the round's
 * Redis at the same concurrency, each making four HTTPS GETs to the round's sandbox, one after the other (as a reset
 * makes four Graph calls), through undici's request with an Agent trusting the sandbox CA (as the Graph client's
 * sender does since ADR 018; through fetch before 2026-12-06). Its CPU per job is the least a reset could cost on this machine at that moment; the worker's CPU per reset
 * is also reported as a multiple of it, which moves far less with the machine's speed than the milliseconds do.
 */
import { Queue, QueueEvents, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import { Agent, request } from 'undici';
import { TokenRegistry, generateToken, sha256Hex } from '../src/auth/tokens';
import { parseConfig } from '../src/config/load';
import { sandboxRemoteEnds } from '../src/bin/embedded-sandbox';
import { GraphBudget } from '../src/graph/budget';
import { FINAL_STATES, type RequestState } from '../src/domain/request';
import { buildIntakeApp } from '../src/intake/app';
import { createLogger } from '../src/logging/logger';
import { catalog } from '../src/queue/catalog';
import { createQueues } from '../src/queue/queues';
import { createRedis, waitForReady } from '../src/redis/connection';
import { spawnRedisServer } from '../src/redis/spawn';
import { FIXTURE_DEVICES, INTUNE_THROTTLE_LIMITS, fixtureDevices, startSandbox, type GraphCallRecord, type Sandbox, type ThrottleLimits } from '@resetpc/sandbox';
import { RequestStore } from '../src/store/requests';
import { startWorkers, type RemoteEnds, type RunningWorkers } from '../workers/compose';

// ---------------------------------------------------------------------------------------------------------------
// Settings

function intSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number.parseInt(raw, 10);
  if (!Number.isFinite(value)) throw new Error(`${name} must be an integer`);
  return Math.min(max, Math.max(min, value));
}

function settings() {
  const actionMinMs = intSetting('BENCH_ACTION_MIN_MS', 50, 0, 60_000);
  // A diagnostic: every sandbox limit and both budgets × this factor (at 50, nothing waits for the budget).
  const limitScale = intSetting('BENCH_LIMIT_SCALE', 1, 1, 50);
  return {
    resets: intSetting('BENCH_RESETS', 2000, 10, 20_000),
    rounds: intSetting('BENCH_ROUNDS', 3, 1, 5),
    warmupResets: intSetting('BENCH_WARMUP_RESETS', 200, 0, 2000),
    windowMs: intSetting('BENCH_WINDOW_MS', 2000, 1000, 20_000),
    writeBudget: intSetting('BENCH_WRITE_BUDGET', 180, 1, 10_000) * limitScale,
    readBudget: intSetting('BENCH_READ_BUDGET', 1800, 1, 100_000) * limitScale,
    limitScale,
    concurrency: intSetting('BENCH_CONCURRENCY', 100, 1, 1000),
    workerProcesses: intSetting('BENCH_WORKER_PROCESSES', 1, 1, 4),
    pollBaseMs: intSetting('BENCH_POLL_BASE_MS', 200, 10, 60_000),
    actionMinMs,
    actionMaxMs: Math.max(actionMinMs, intSetting('BENCH_ACTION_MAX_MS', 200, 0, 60_000)),
    submitInFlight: intSetting('BENCH_SUBMIT_IN_FLIGHT', 32, 1, 256),
    deadlineSeconds: intSetting('BENCH_DEADLINE_SECONDS', 120, 10, 600),
    logLevel: process.env.BENCH_LOG_LEVEL === 'info' || process.env.BENCH_LOG_LEVEL === 'silent' ? process.env.BENCH_LOG_LEVEL : 'warn',
    cpuProfile: process.env.BENCH_CPU_PROF === '1',
    workerNodeArgs: (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter((arg) => /^--[a-z0-9-]+(=[A-Za-z0-9._-]+)?$/.test(arg)),
    floor: intSetting('BENCH_FLOOR', 1, 0, 1) === 1,
  };
}
type Settings = ReturnType<typeof settings>;

const TARGET_RATIO = 1.15;
const TARGET_CPU_MS = 5;
const WATCH_EVERY_MS = 50;
const CONTENDED_CORES = 0.5;
const BENCH_PREFIX = '{wfbench}';
/** This file runs compiled, from dist/bench/. */
const REPO_ROOT = resolve(__dirname, '..', '..');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
/** A sleep that does not keep the process alive: for the deadlines raced against shutdown steps. */
const unrefDelay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());
const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function median(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] ?? null) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
}

function percentiles(values: readonly number[]): { p50: number | null; p90: number | null; p99: number | null; max: number | null } {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number): number | null => (v.length === 0 ? null : (v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))] ?? null));
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/** A small deterministic PRNG (mulberry32): round n of every run scripts the same action durations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// IPC between the orchestrator and a worker child

interface WorkerStart {
  readonly redisUrl: string;
  readonly remote: RemoteEnds;
  readonly env: Readonly<Record<string, string>>;
}

interface WorkerStats {
  readonly cpu: NodeJS.CpuUsage;
  readonly elu: EventLoopUtilization;
  readonly rssBytes: number;
  /** Graph budget decisions in this process, e.g. `write:ok`, `read:budget` (see countBudgetDecisions). */
  readonly budget: Readonly<Record<string, number>>;
  /** Processor runs (BullMQ `active` events in this process). */
  readonly jobRuns: number;
  /** This process's write admissions, [asked, answered] in ms since the epoch: only in the final reading. */
  readonly writeAdmissions?: readonly (readonly [number, number])[];
}

/**
 * Bench instrumentation, in the worker child only: counts each Graph budget decision by kind and answer. It wraps
 * GraphBudget.prototype.acquire (one counter increment per call) and changes nothing else.
 */
function countBudgetDecisions(writeAdmissions: [number, number][]): Record<string, number> {
  const counts: Record<string, number> = {};
  const acquire = GraphBudget.prototype.acquire;
  GraphBudget.prototype.acquire = async function counted(this: GraphBudget, ...args: Parameters<GraphBudget['acquire']>) {
    const [, kind] = args;
    const asked = Date.now();
    const decision = await acquire.apply(this, args);
    const key = `${kind}:${decision.ok ? 'ok' : decision.why}`;
    counts[key] = (counts[key] ?? 0) + 1;
    if (kind === 'write' && decision.ok) writeAdmissions.push([asked, Date.now()]);
    return decision;
  };
  return counts;
}

/** What the floor child is given: the round's Redis and sandbox, and how many jobs to run at what concurrency. */
interface FloorStart {
  readonly redisUrl: string;
  readonly url: string;
  readonly caPem: string;
  readonly jobs: number;
  readonly concurrency: number;
}

/** The floor's reading: its process's CPU from its first job to its last, and how long that took. */
interface FloorReading {
  readonly cpuUs: number;
  readonly seconds: number;
}

type ToWorker =
  | { readonly id: number; readonly kind: 'start'; readonly start: WorkerStart }
  | { readonly id: number; readonly kind: 'floor'; readonly floor: FloorStart }
  | { readonly id: number; readonly kind: 'stats'; readonly admissions?: boolean }
  | { readonly id: number; readonly kind: 'stop' };

type FromWorker = { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown } | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: string };

const isToWorker = (m: unknown): m is ToWorker => typeof m === 'object' && m !== null && 'kind' in m && 'id' in m && typeof m.id === 'number';
const isFromWorker = (m: unknown): m is FromWorker => typeof m === 'object' && m !== null && 'kind' in m && m.kind === 'reply';

// ---------------------------------------------------------------------------------------------------------------
// Worker child: the production composition root's startWorkers, measured from inside

function workerChild(): void {
  const writeAdmissions: [number, number][] = [];
  const budget = countBudgetDecisions(writeAdmissions);
  let jobRuns = 0;
  let running: RunningWorkers | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= running === undefined ? Promise.resolve() : running.close());
  process.on('message', (message: unknown) => {
    if (!isToWorker(message)) return;
    const reply = (work: () => Promise<unknown>): void => {
      work().then(
        (value) => process.send?.({ kind: 'reply', id: message.id, ok: true, value } satisfies FromWorker),
        (err: unknown) => process.send?.({ kind: 'reply', id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies FromWorker),
      );
    };
    switch (message.kind) {
      case 'start':
        reply(async () => {
          const config = parseConfig({ ...message.start.env, REDIS_URL: message.start.redisUrl });
          running = startWorkers(config, message.start.remote, createLogger(config.LOG_LEVEL, 'worker'));
          running.reset.on('active', () => {
            jobRuns += 1;
          });
          // The store connection fails fast (no offline queue): wait until it answers, as the health endpoint would.
          const readyBy = Date.now() + 10_000;
          for (;;) {
            try {
              await running.ping();
              break;
            } catch (err) {
              if (Date.now() > readyBy) throw err;
              await sleep(50);
            }
          }
          await running.reset.waitUntilReady();
          return null;
        });
        break;
      case 'floor':
        reply(() => runFloor(message.floor));
        break;
      case 'stats':
        reply(() => {
          const stats: WorkerStats = { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), rssBytes: process.memoryUsage.rss(), budget: { ...budget }, jobRuns };
          return Promise.resolve(message.admissions === true ? { ...stats, writeAdmissions } : stats);
        });
        break;
      case 'stop':
        reply(stop);
        break;
    }
  });
  process.on('disconnect', () => {
    void stop().finally(() => process.exit(0));
  });
}

/**
 * The floor (see the header): bare BullMQ jobs, each making four HTTPS GETs to the sandbox. The jobs are added and the
 * worker made ready before the CPU reading starts; the reading ends when the last job completes.
 */
async function runFloor(floor: FloorStart): Promise<FloorReading> {
  const producer = createRedis(floor.redisUrl, 'producer', { name: 'bench-floor-producer' });
  const connection = createRedis(floor.redisUrl, 'worker', { name: 'bench-floor-worker' });
  const queue = new Queue('floor', { connection: producer, prefix: BENCH_PREFIX });
  const dispatcher = new Agent({ connect: { secureContext: createSecureContext({ ca: floor.caPem }) } });
  try {
    await waitForReady(producer, 5000);
    for (let i = 0; i < floor.jobs; i += 500) {
      await queue.addBulk(Array.from({ length: Math.min(500, floor.jobs - i) }, (_, k) => ({ name: 'floor', data: { n: i + k } })));
    }
    const worker = new Worker(
      'floor',
      async () => {
        for (let call = 0; call < 4; call++) {
          const res = await request(floor.url, { dispatcher });
          if (res.statusCode !== 200) throw new Error(`the floor's GET answered ${String(res.statusCode)}`);
          await res.body.json();
        }
      },
      { connection, prefix: BENCH_PREFIX, concurrency: floor.concurrency, autorun: false },
    );
    try {
      await worker.waitUntilReady();
      let completed = 0;
      let failed = 0;
      const done = new Promise<void>((resolveDone) => {
        const count = (): void => {
          if (completed + failed === floor.jobs) resolveDone();
        };
        worker.on('completed', () => {
          completed++;
          count();
        });
        worker.on('failed', () => {
          failed++;
          count();
        });
      });
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      void worker.run();
      await done;
      const cpu = process.cpuUsage(cpu0);
      const seconds = (performance.now() - t0) / 1000;
      if (failed > 0) throw new Error(`${String(failed)} floor jobs failed`);
      return { cpuUs: cpu.user + cpu.system, seconds };
    } finally {
      await worker.close();
    }
  } finally {
    await queue.close().catch(() => undefined);
    await dispatcher.close().catch(() => undefined);
    producer.disconnect();
    connection.disconnect();
  }
}

class WorkerHandle {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    child.on('message', (m: unknown) => {
      if (!isFromWorker(m)) return;
      const waiter = this.pending.get(m.id);
      if (waiter === undefined) return;
      this.pending.delete(m.id);
      if (m.ok) waiter.resolve(m.value);
      else waiter.reject(new Error(m.error));
    });
    this.exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        const err = new Error(`a worker child exited (code ${String(code)}, signal ${String(signal)})`);
        for (const w of this.pending.values()) w.reject(err);
        this.pending.clear();
        done();
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async ask(message: { kind: 'start'; start: WorkerStart } | { kind: 'floor'; floor: FloorStart } | { kind: 'stats'; admissions?: boolean } | { kind: 'stop' }, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolveAsk, rejectAsk) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        rejectAsk(new Error(`a worker child did not answer ${message.kind} within ${timeoutMs} ms`));
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
      this.child.send({ ...message, id } satisfies ToWorker);
    });
  }

  /** The process's readings; with `admissions`, also the times of its write admissions. */
  async stats(admissions = false): Promise<WorkerStats> {
    return (await this.ask({ kind: 'stats', admissions }, 5000)) as WorkerStats;
  }

  async stop(): Promise<void> {
    if (this.running) {
      await this.ask({ kind: 'stop' }, 30_000).catch(() => undefined);
      if (this.child.connected) this.child.disconnect();
      await Promise.race([this.exited, unrefDelay(10_000)]);
    }
    if (this.running) this.child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Redis readings

interface RedisReading {
  readonly usedMemory: number;
  readonly cpuSeconds: number;
  readonly calls: Readonly<Record<string, number>>;
}

async function readRedis(admin: Redis): Promise<RedisReading> {
  const text = await admin.info('everything');
  const fields = new Map<string, string>();
  const calls: Record<string, number> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    fields.set(key, value);
    const n = key.startsWith('cmdstat_') ? /(?:^|,)calls=(\d+)/.exec(value)?.[1] : undefined;
    if (n !== undefined) calls[key.slice('cmdstat_'.length)] = Number(n);
  }
  const num = (k: string): number => Number(fields.get(k) ?? Number.NaN);
  return { usedMemory: num('used_memory'), cpuSeconds: num('used_cpu_user') + num('used_cpu_sys'), calls };
}

/** Bytes by kind of key (MEMORY USAGE, SAMPLES 0), ids folded, e.g. `{wfbench}:request:<id>:timeline`. */
async function memoryByKeyKind(admin: Redis): Promise<Record<string, { keys: number; bytes: number }>> {
  const kinds: Record<string, { keys: number; bytes: number }> = {};
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${BENCH_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = admin.pipeline();
    for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    const sizes = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const kind = key
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
        .replace(/:device:serialnumber:.*$/, ':device:serialnumber:<serial>')
        .replace(/:wfb-\d+$/, ':<serial>');
      const bytes = Number(sizes[i]?.[1] ?? 0);
      const entry = (kinds[kind] ??= { keys: 0, bytes: 0 });
      entry.keys += 1;
      entry.bytes += bytes;
    });
  } while (cursor !== '0');
  return kinds;
}

// ---------------------------------------------------------------------------------------------------------------
// What the sandbox saw

type CallKind = 'POST resetPasscode' | 'GET managedDevices ($filter)' | 'GET managed device' | 'GET deviceActionResults' | 'other';

function callKind(c: GraphCallRecord): CallKind {
  if (c.method === 'POST' && c.path.endsWith('/resetPasscode')) return 'POST resetPasscode';
  if (c.method === 'GET' && c.path === '/beta/deviceManagement/managedDevices') return 'GET managedDevices ($filter)';
  if (c.method === 'GET' && c.path.startsWith('/v1.0/deviceManagement/managedDevices/')) return 'GET deviceActionResults';
  if (c.method === 'GET' && c.path.startsWith('/beta/deviceManagement/managedDevices/')) return 'GET managed device';
  return 'other';
}

/** The most timestamps in any window (t - windowMs, t], as the sandbox's sliding window counts them. */
function maxInWindow(sortedTimes: readonly number[], windowMs: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sortedTimes.length; hi++) {
    const t = sortedTimes[hi] ?? 0;
    while ((sortedTimes[lo] ?? 0) <= t - windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

// ---------------------------------------------------------------------------------------------------------------
// One round

interface RoundResult {
  readonly round: number;
  readonly complete: boolean;
  readonly submitted: number;
  readonly nonAccepted: Readonly<Record<string, number>>;
  /** From the first submission to the moment the watcher saw every request final. */
  readonly elapsedSeconds: number;
  /** From the first submission to the last final transition in any timeline (ms precision). */
  readonly completionSeconds: number | null;
  readonly minimumSeconds: number;
  readonly ratio: number | null;
  readonly submitSeconds: number;
  readonly finalStates: Readonly<Record<string, number>>;
  readonly graph: {
    readonly calls: Readonly<Record<string, number>>;
    readonly outcomes: Readonly<Record<string, number>>;
    readonly throttled429: number;
    readonly perReset: number;
    readonly maxWritesInWindow: number;
    /** The same count by the budget's admission times (the budget allows `writeBudget`). */
    readonly maxAdmissionsInWindow: number;
    /** The most POSTs that reached the sandbox within a tenth of the window: how bursty the writes are. */
    readonly maxWritesInTenthWindow: number;
    /** How long write acquires took, from the call (the time the budget scores) to the answer in the caller, ms. */
    readonly acquireMs: ReturnType<typeof percentiles>;
    /** k-th POST arrival (refused ones too) − k-th answered write admission, ms (ranks matched: the send delay, roughly). */
    readonly sendDelayMs: ReturnType<typeof percentiles>;
    readonly maxRequestsInWindow: number;
    readonly firstTokenSeconds: number | null;
    readonly firstCallSeconds: number | null;
    readonly firstPostSeconds: number | null;
    readonly lastPostSeconds: number | null;
    /** Σ over the chain of POSTs 180 apart (ending at the last) of (gap − window): write capacity left unused. */
    readonly chainLagSeconds: number | null;
    readonly chainLinks: number;
    readonly budgetRefusals: number | null;
    readonly tokenRequests: number;
  };
  readonly postsPerDevice: Readonly<Record<string, number>>;
  readonly worker: {
    readonly cpuMsPerReset: number | null;
    readonly userMsPerReset: number | null;
    readonly systemMsPerReset: number | null;
    readonly cores: number;
    readonly eventLoopUtilization: number;
    readonly rssMb: number;
    /** Processor runs per reset: one per step-machine run (the first, and one after every wait). */
    readonly jobRunsPerReset: number;
    /** Graph budget decisions per reset, by kind and answer. */
    readonly budgetPerReset: Readonly<Record<string, number>>;
    /** CPU per reset ÷ the floor's CPU per job, in the same round (see the header); null without a floor. */
    readonly cpuPerFloor: number | null;
  };
  /** The same-round baseline (see the header); null when BENCH_FLOOR=0 or the round did not complete. */
  readonly floor: { readonly cpuMsPerJob: number; readonly jobs: number; readonly seconds: number } | null;
  readonly redis: {
    readonly bytesPerRequest: number | null;
    readonly usedMemoryBefore: number;
    readonly usedMemoryAfter: number;
    readonly cpuMsPerReset: number | null;
    readonly commandsPerReset: Readonly<Record<string, number>>;
    readonly byKeyKind: Readonly<Record<string, { keys: number; bytesPerRequest: number }>>;
  };
  readonly orchestratorCpuMsPerReset: number | null;
  readonly otherCores: number;
  readonly queueEvents: Readonly<Record<string, number>>;
  readonly perRequestMs: Readonly<Record<string, ReturnType<typeof percentiles>>>;
  readonly pollChecks: Readonly<Record<string, number>>;
  readonly submitAttempts: Readonly<Record<string, number>>;
}

const serialOf = (n: number): string => `WFB-${n.toString().padStart(6, '0')}`;
const deviceIdOf = (n: number): string => `b0000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

function seedDevices(sandbox: Sandbox, s: Settings, count: number, round: number): string[] {
  const template = fixtureDevices(Date.now()).find((d) => d.device.id === FIXTURE_DEVICES.androidDedicated);
  if (template === undefined) throw new Error('the fixture tenant has no Android Enterprise dedicated device');
  const random = prng(round * 7919);
  const ids: string[] = [];
  for (let n = 1; n <= count; n++) {
    const id = deviceIdOf(n);
    sandbox.control.upsertDevice({
      device: { ...template.device, id, deviceName: `KIOSK-BENCH-${n.toString()}`, serialNumber: serialOf(n), azureADDeviceId: id.replace(/^b/, 'c') },
      note: 'workflow benchmark: Android Enterprise dedicated',
    });
    const finalAfterMs = s.actionMinMs + Math.floor(random() * (s.actionMaxMs - s.actionMinMs + 1));
    sandbox.control.scriptAction(id, { outcome: 'done', activeAfterMs: Math.min(20, finalAfterMs), finalAfterMs });
    ids.push(id);
  }
  return ids;
}

/** The Intune limits with the shortened window (and, for diagnostics only, every limit × BENCH_LIMIT_SCALE). */
function sandboxLimits(s: Settings): ThrottleLimits {
  const l = INTUNE_THROTTLE_LIMITS;
  const k = s.limitScale;
  return {
    windowMs: s.windowMs,
    appWrites: l.appWrites * k,
    appRequests: l.appRequests * k,
    tenantWrites: l.tenantWrites * k,
    tenantRequests: l.tenantRequests * k,
    appConfigReads: l.appConfigReads * k,
    tenantConfigReads: l.tenantConfigReads * k,
  };
}

/** The configuration every worker child runs with (docs/configuration.md). */
function workerEnv(s: Settings): Record<string, string> {
  return {
    REDIS_PREFIX: BENCH_PREFIX,
    LOG_LEVEL: s.logLevel,
    WORKER_CONCURRENCY: String(s.concurrency),
    APPROVAL_REQUIRED: 'false',
    ACTION_POLL_BASE_MS: String(s.pollBaseMs),
    GRAPH_WINDOW_MS: String(s.windowMs),
    GRAPH_WRITE_BUDGET: String(s.writeBudget),
    GRAPH_READ_BUDGET: String(s.readBudget),
    BLAST_RADIUS_PER_HOUR: '100000',
  };
}

const machineBusyMs = (): number => os.cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
const cpuUs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number => b.user - a.user + (b.system - a.system);

/** One round of `count` resets on fresh infrastructure. Round 0 is the warm-up: its figures are reported but not used. */
async function runRound(round: number, count: number, s: Settings, log: (msg: string) => void, profDir: string | undefined): Promise<RoundResult> {
  const redisServer = await spawnRedisServer({ appendOnly: true });
  const admin = createRedis(redisServer.url, 'producer', { name: 'bench-admin', commandTimeoutMs: 10_000 });
  const producer = createRedis(redisServer.url, 'producer', { name: 'bench-intake', commandTimeoutMs: 5000 });
  const eventsConnection = createRedis(redisServer.url, 'worker', { name: 'bench-queue-events' });
  let sandbox: Sandbox | undefined;
  let intake: FastifyInstance | undefined;
  const workers: WorkerHandle[] = [];
  let queueEvents: QueueEvents | undefined;
  const intakeConfig = parseConfig({ REDIS_URL: redisServer.url, REDIS_PREFIX: BENCH_PREFIX, LOG_LEVEL: s.logLevel, RATE_LIMIT_MAX: '1000000', RATE_LIMIT_WINDOW_MS: '60000' });
  const queues = createQueues(producer, BENCH_PREFIX);
  const onSignal = (): void => {
    for (const w of workers) w.child.kill('SIGKILL');
    redisServer.process.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await Promise.all([waitForReady(admin, 5000), waitForReady(producer, 5000)]);
    sandbox = await startSandbox({ smtpPort: false, throttleLimits: sandboxLimits(s) });
    const deviceIds = seedDevices(sandbox, s, count, round);

    const token = generateToken();
    const app = await buildIntakeApp({
      config: intakeConfig,
      redis: producer,
      queues,
      tokens: new TokenRegistry([{ name: 'bench', roles: ['submit'], sha256: sha256Hex(token) }]),
      version: 'bench',
    });
    intake = app;
    await app.ready();

    const start: WorkerStart = {
      redisUrl: redisServer.url,
      env: workerEnv(s),
      // As `npm start` wires the sandbox (no SMTP catcher here: email is off, as for API requests in production).
      remote: sandboxRemoteEnds(sandbox),
    };
    for (let i = 0; i < s.workerProcesses; i++) {
      const child = fork(__filename, ['--worker'], {
        execArgv: [...s.workerNodeArgs, ...(profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`])],
        stdio: ['ignore', s.logLevel === 'info' ? 'ignore' : 'inherit', 'inherit', 'ipc'],
      });
      workers.push(new WorkerHandle(child));
    }
    await Promise.all(workers.map((w) => w.ask({ kind: 'start', start }, 30_000)));
    const registeredBy = Date.now() + 20_000;
    while ((await queues.reset.getWorkers()).length < s.workerProcesses) {
      if (Date.now() > registeredBy) throw new Error('the worker processes did not register on the reset queue within 20 s');
      await sleep(50);
    }
    queueEvents = new QueueEvents(catalog.reset.queue, { connection: eventsConnection, prefix: BENCH_PREFIX, autorun: true });
    await queueEvents.waitUntilReady();
    const events: Record<string, number> = {};
    for (const name of ['delayed', 'stalled', 'failed', 'completed', 'retries-exhausted'] as const) {
      queueEvents.on(name, () => {
        events[name] = (events[name] ?? 0) + 1;
      });
    }
    const store = new RequestStore(admin, BENCH_PREFIX);
    const finalKeys = [...FINAL_STATES].map((state) => ({ state, key: store.keys.byState(state) }));
    log(`round ${String(round)}: redis ${redisServer.url}, sandbox ${sandbox.urls.origin}, ${String(count)} devices, ${String(s.workerProcesses)} worker process(es) × ${String(s.concurrency)}`);

    // --- measured part ---------------------------------------------------------------------------------------------
    const before = { redis: await readRedis(admin), workers: await Promise.all(workers.map((w) => w.stats())), self: process.cpuUsage(), machine: machineBusyMs() };
    const wallStart = Date.now();
    const t0 = performance.now();

    const ids: string[] = [];
    const nonAccepted: Record<string, number> = {};
    let next = 1;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const submitter = async (): Promise<void> => {
      for (;;) {
        const n = next++;
        if (n > count) return;
        const payload = JSON.stringify({ device: { serialNumber: serialOf(n) }, requestedBy: 'bench.user@example.com', reason: 'workflow benchmark' });
        const res = await app.inject({ method: 'POST', url: '/v1/resets', headers, payload });
        if (res.statusCode === 202) ids.push((res.json<{ id: string }>()).id);
        else nonAccepted[String(res.statusCode)] = (nonAccepted[String(res.statusCode)] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: s.submitInFlight }, submitter));
    const submitSeconds = (performance.now() - t0) / 1000;
    log(`round ${String(round)}: ${String(ids.length)} accepted in ${submitSeconds.toFixed(2)} s`);

    const finalStates: Record<string, number> = {};
    let finals = 0;
    let lastLog = performance.now();
    const deadline = t0 + s.deadlineSeconds * 1000;
    while (finals < ids.length && performance.now() < deadline) {
      await sleep(WATCH_EVERY_MS);
      const pipeline = admin.pipeline();
      for (const { key } of finalKeys) pipeline.zcard(key);
      const counts = ((await pipeline.exec()) ?? []).map(([, v]) => Number(v));
      finals = 0;
      finalKeys.forEach(({ state }, i) => {
        finalStates[state] = counts[i] ?? 0;
        finals += counts[i] ?? 0;
      });
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`round ${String(round)}: ${String(finals)} final after ${((lastLog - t0) / 1000).toFixed(1)} s`);
      }
    }
    const elapsedSeconds = (performance.now() - t0) / 1000;
    const after = { workers: await Promise.all(workers.map((w) => w.stats(true))), self: process.cpuUsage(), machine: machineBusyMs(), redis: await readRedis(admin) };
    const complete = finals >= ids.length && ids.length === count;
    log(`round ${String(round)}: ${complete ? 'all final' : `INCOMPLETE (${String(finals)} of ${String(ids.length)})`} after ${elapsedSeconds.toFixed(2)} s`);
    // --- end of the measured part ----------------------------------------------------------------------------------

    const n = Math.max(1, ids.length);
    const workerUs = workers.reduce((sum, _w, i) => sum + cpuUs(before.workers[i]?.cpu ?? { user: 0, system: 0 }, after.workers[i]?.cpu ?? { user: 0, system: 0 }), 0);
    const workerUserUs = workers.reduce((sum, _w, i) => sum + (after.workers[i]?.cpu.user ?? 0) - (before.workers[i]?.cpu.user ?? 0), 0);
    const eluActive = workers.reduce((sum, _w, i) => sum + (after.workers[i]?.elu.active ?? 0) - (before.workers[i]?.elu.active ?? 0), 0);
    const eluIdle = workers.reduce((sum, _w, i) => sum + (after.workers[i]?.elu.idle ?? 0) - (before.workers[i]?.elu.idle ?? 0), 0);
    const selfUs = cpuUs(before.self, after.self);
    const redisUs = (after.redis.cpuSeconds - before.redis.cpuSeconds) * 1e6;
    const otherUs = (after.machine - before.machine) * 1000 - workerUs - selfUs - redisUs;
    const commandsPerReset: Record<string, number> = {};
    for (const [name, calls] of Object.entries(after.redis.calls)) {
      const delta = calls - (before.redis.calls[name] ?? 0);
      if (delta > 0 && name !== 'info') commandsPerReset[name] = round3(delta / n);
    }

    // What the sandbox saw.
    const calls = sandbox.control.calls.filter((c) => c.at >= wallStart);
    const byKind: Record<string, number> = {};
    const outcomes: Record<string, number> = {};
    for (const c of calls) {
      byKind[callKind(c)] = (byKind[callKind(c)] ?? 0) + 1;
      outcomes[String(c.outcome)] = (outcomes[String(c.outcome)] ?? 0) + 1;
    }
    // The POSTs the sandbox admitted (a refused one is not counted in its window, nor did it start an action).
    const posts = calls.filter((c) => callKind(c) === 'POST resetPasscode' && c.outcome !== 429).map((c) => c.at).sort((a, b) => a - b);
    const arrivals = calls.filter((c) => callKind(c) === 'POST resetPasscode').map((c) => c.at).sort((a, b) => a - b);
    const all = calls.map((c) => c.at).sort((a, b) => a - b);
    const tokenTimes = sandbox.control.tokenRequests.map((t) => t.at).sort((a, b) => a - b);
    // The budget scores an admission with the time acquire() was called; the answer reaches the caller later.
    const admitted = after.workers.flatMap((w) => w.writeAdmissions ?? []).filter(([asked]) => asked >= wallStart);
    const admissions = admitted.map(([asked]) => asked).sort((a, b) => a - b);
    const answered = admitted.map(([, at]) => at).sort((a, b) => a - b);
    const minimumSeconds = (Math.floor((count - 1) / s.writeBudget) * s.windowMs) / 1000;
    // The last POST's chain: each link is the POST `writeBudget` places earlier, which freed its slot.
    let chainLag: number | null = null;
    let links = 0;
    if (posts.length === count) {
      chainLag = 0;
      for (let k = posts.length - 1; k - s.writeBudget >= 0; k -= s.writeBudget) {
        chainLag += (posts[k] ?? 0) - (posts[k - s.writeBudget] ?? 0) - s.windowMs;
        links++;
      }
    }
    const postsPerDevice: Record<string, number> = {};
    for (const id of deviceIds) {
      const count = String(sandbox.control.resetPasscodeCount(id));
      postsPerDevice[count] = (postsPerDevice[count] ?? 0) + 1;
    }

    // Every request's timeline: where its time went.
    const waits: Record<string, number[]> = { 'accepted → approved': [], 'approved → POST answered': [], 'accepted → POST answered': [], 'POST answered → final': [], 'accepted → final': [] };
    const pollChecks: Record<string, number> = {};
    const submitAttempts: Record<string, number> = {};
    let lastFinal = 0;
    for (let i = 0; i < ids.length; i += 200) {
      const batch = await Promise.all(ids.slice(i, i + 200).map((id) => store.get(id)));
      for (const stored of batch) {
        if (stored === undefined) continue;
        const at = (to: RequestState): number | undefined => {
          const entry = stored.timeline.find((e) => e.to === to);
          return entry === undefined ? undefined : Date.parse(entry.at);
        };
        const created = Date.parse(stored.request.createdAt);
        const approved = at('approved');
        const posted = at('awaiting_device');
        const finalEntry = stored.timeline.find((e) => FINAL_STATES.has(e.to));
        const final = finalEntry === undefined ? undefined : Date.parse(finalEntry.at);
        if (final !== undefined) lastFinal = Math.max(lastFinal, final);
        const push = (name: string, a: number | undefined, b: number | undefined): void => {
          if (a !== undefined && b !== undefined) waits[name]?.push(b - a);
        };
        push('accepted → approved', created, approved);
        push('approved → POST answered', approved, posted);
        push('accepted → POST answered', created, posted);
        push('POST answered → final', posted, final);
        push('accepted → final', created, final);
        const polls = String(stored.workflow.pollChecks ?? 0);
        pollChecks[polls] = (pollChecks[polls] ?? 0) + 1;
        const attempts = String(stored.workflow.submitAttempts ?? 0);
        submitAttempts[attempts] = (submitAttempts[attempts] ?? 0) + 1;
      }
    }
    const byKeyKind: Record<string, { keys: number; bytesPerRequest: number }> = {};
    for (const [kind, v] of Object.entries(await memoryByKeyKind(admin))) byKeyKind[kind] = { keys: v.keys, bytesPerRequest: round1(v.bytes / n) };

    const completionSeconds = complete && lastFinal > 0 ? (lastFinal - wallStart) / 1000 : null;
    const graphCalls = calls.length;
    const evals = (after.redis.calls.eval ?? 0) - (before.redis.calls.eval ?? 0);

    // The floor (see the header), in a fresh child once the product's workers have stopped.
    let floor: RoundResult['floor'] = null;
    if (s.floor && complete && round > 0) {
      await Promise.all(workers.map((w) => w.stop()));
      const child = new WorkerHandle(fork(__filename, ['--worker'], { execArgv: [...s.workerNodeArgs], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
      workers.push(child);
      const start: FloorStart = { redisUrl: redisServer.url, url: `${sandbox.urls.control}/throttle`, caPem: sandbox.caPem, jobs: count, concurrency: s.concurrency };
      const reading = (await child.ask({ kind: 'floor', floor: start }, s.deadlineSeconds * 1000)) as FloorReading;
      floor = { cpuMsPerJob: round3(reading.cpuUs / 1000 / count), jobs: count, seconds: round3(reading.seconds) };
      log(`round ${String(round)}: floor ${String(count)} jobs × 4 GETs in ${reading.seconds.toFixed(2)} s, ${floor.cpuMsPerJob.toFixed(2)} ms CPU/job`);
    }
    return {
      round,
      complete,
      submitted: ids.length,
      nonAccepted,
      elapsedSeconds: round3(elapsedSeconds),
      completionSeconds: completionSeconds === null ? null : round3(completionSeconds),
      minimumSeconds,
      ratio: completionSeconds === null || minimumSeconds === 0 ? null : round3(completionSeconds / minimumSeconds),
      submitSeconds: round3(submitSeconds),
      finalStates,
      graph: {
        calls: byKind,
        outcomes,
        throttled429: outcomes['429'] ?? 0,
        perReset: round3(graphCalls / n),
        maxWritesInWindow: maxInWindow(posts, s.windowMs),
        maxAdmissionsInWindow: maxInWindow(admissions, s.windowMs),
        maxWritesInTenthWindow: maxInWindow(posts, s.windowMs / 10),
        acquireMs: percentiles(admitted.map(([asked, at]) => at - asked)),
        sendDelayMs: percentiles(answered.slice(0, arrivals.length).map((a, k) => (arrivals[k] ?? a) - a)),
        maxRequestsInWindow: maxInWindow(all, s.windowMs),
        firstTokenSeconds: tokenTimes[0] === undefined ? null : round3((tokenTimes[0] - wallStart) / 1000),
        firstCallSeconds: all[0] === undefined ? null : round3((all[0] - wallStart) / 1000),
        firstPostSeconds: posts[0] === undefined ? null : round3((posts[0] - wallStart) / 1000),
        lastPostSeconds: posts.at(-1) === undefined ? null : round3(((posts.at(-1) ?? 0) - wallStart) / 1000),
        chainLagSeconds: chainLag === null ? null : round3(chainLag / 1000),
        chainLinks: links,
        // Budget scripts run by SHA (EVALSHA) since ADR 010: refusals are counted by the worker's wrapper instead.
        budgetRefusals: evals > 0 ? evals - graphCalls : null,
        tokenRequests: sandbox.control.tokenRequests.length,
      },
      postsPerDevice,
      floor,
      worker: {
        cpuMsPerReset: ids.length === 0 ? null : round3(workerUs / 1000 / n),
        userMsPerReset: ids.length === 0 ? null : round3(workerUserUs / 1000 / n),
        systemMsPerReset: ids.length === 0 ? null : round3((workerUs - workerUserUs) / 1000 / n),
        cores: round3(workerUs / 1e6 / elapsedSeconds),
        eventLoopUtilization: eluActive + eluIdle > 0 ? round3(eluActive / (eluActive + eluIdle)) : 0,
        rssMb: round1(Math.max(...after.workers.map((w) => w.rssBytes)) / 1048576),
        cpuPerFloor: floor === null || ids.length === 0 ? null : round3(workerUs / 1000 / n / floor.cpuMsPerJob),
        jobRunsPerReset: round3(after.workers.reduce((sum, w, i) => sum + w.jobRuns - (before.workers[i]?.jobRuns ?? 0), 0) / n),
        budgetPerReset: Object.fromEntries(
          [...new Set(after.workers.flatMap((w) => Object.keys(w.budget)))].sort().map((key) => [
            key,
            round3(after.workers.reduce((sum, w, i) => sum + (w.budget[key] ?? 0) - (before.workers[i]?.budget[key] ?? 0), 0) / n),
          ]),
        ),
      },
      redis: {
        bytesPerRequest: ids.length === 0 ? null : Math.round((after.redis.usedMemory - before.redis.usedMemory) / n),
        usedMemoryBefore: before.redis.usedMemory,
        usedMemoryAfter: after.redis.usedMemory,
        cpuMsPerReset: ids.length === 0 ? null : round3(redisUs / 1000 / n),
        commandsPerReset,
        byKeyKind,
      },
      orchestratorCpuMsPerReset: ids.length === 0 ? null : round3(selfUs / 1000 / n),
      otherCores: round3(Math.max(0, otherUs) / 1e6 / elapsedSeconds),
      queueEvents: events,
      perRequestMs: Object.fromEntries(Object.entries(waits).map(([k, v]) => [k, percentiles(v)])),
      pollChecks,
      submitAttempts,
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await queueEvents?.close().catch(() => undefined);
    await Promise.all(workers.map((w) => w.stop()));
    await intake?.close().catch(() => undefined);
    await queues.close().catch(() => undefined);
    await sandbox?.close().catch(() => undefined);
    for (const c of [admin, producer, eventsConnection]) {
      await c.quit().catch(() => {
        c.disconnect();
      });
    }
    await Promise.race([redisServer.stop(), unrefDelay(15_000)]);
    if (redisServer.process.exitCode === null && redisServer.process.signalCode === null) redisServer.process.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const fmt = (x: number | null, digits = 2): string => (x === null ? '–' : x.toFixed(digits));
const fmtInt = (x: number | null): string => (x === null ? '–' : Math.round(x).toLocaleString('en-US'));

function markdown(s: Settings, rounds: readonly RoundResult[], medians: Record<string, number | null>, verdicts: readonly string[]): string {
  const lines: string[] = [];
  lines.push(
    `${fmtInt(s.resets)} resets per round; sandbox: Intune limits, window ${String(s.windowMs)} ms; budget ${String(s.writeBudget)} writes / ${String(s.readBudget)} requests per window; ` +
      `${String(s.workerProcesses)} worker process(es) × concurrency ${String(s.concurrency)}; first poll ${String(s.pollBaseMs)} ms; actions final after ${String(s.actionMinMs)}–${String(s.actionMaxMs)} ms.`,
    '',
  );
  lines.push('| Round | Completion s | × minimum | 429s | Worker CPU ms/reset | Worker cores | Worker ELU | Redis B/request | POSTs per device | Graph calls/reset | Budget refusals/reset | Other cores |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|');
  for (const r of rounds) {
    const posts = Object.entries(r.postsPerDevice).map(([k, v]) => `${k}×: ${fmtInt(v)}`).join(', ');
    lines.push(
      `| ${String(r.round)} | ${fmt(r.completionSeconds)} | ${fmt(r.ratio)} | ${String(r.graph.throttled429)} | ${fmt(r.worker.cpuMsPerReset)} | ${fmt(r.worker.cores)} | ${fmt(r.worker.eventLoopUtilization)} | ` +
        `${fmtInt(r.redis.bytesPerRequest)} | ${posts} | ${fmt(r.graph.perReset)} | ${fmt(Object.entries(r.worker.budgetPerReset).filter(([k]) => !k.endsWith(':ok')).reduce((sum, [, v]) => sum + v, 0))} | ${fmt(r.otherCores)} |`,
    );
  }
  lines.push(`| **median** | **${fmt(medians.completionSeconds ?? null)}** | **${fmt(medians.ratio ?? null)}** | **${fmtInt(medians.throttled429 ?? null)}** | **${fmt(medians.workerCpuMs ?? null)}** | | | **${fmtInt(medians.redisBytes ?? null)}** | | | | |`);
  lines.push('', '| Round | Job runs/reset | Budget decisions per reset | Floor CPU ms/job | Worker CPU ÷ floor |', '|---|---:|---|---:|---:|');
  for (const r of rounds) {
    lines.push(
      `| ${String(r.round)} | ${fmt(r.worker.jobRunsPerReset)} | ${Object.entries(r.worker.budgetPerReset).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')} | ` +
        `${fmt(r.floor?.cpuMsPerJob ?? null)} | ${fmt(r.worker.cpuPerFloor)} |`,
    );
  }
  lines.push(`| **median** | | | **${fmt(medians.floorCpuMs ?? null)}** | **${fmt(medians.cpuPerFloor ?? null)}** |`);
  lines.push('', '| Round | First Graph call s | First POST s | Last POST s | Chain lag s (links) | Max writes in a window | Max requests in a window | accepted → POST p50 / p99 ms | POST → final p50 / p99 ms | Polls per request |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|---|---|');
  for (const r of rounds) {
    const a = r.perRequestMs['accepted → POST answered'];
    const b = r.perRequestMs['POST answered → final'];
    const polls = Object.entries(r.pollChecks).map(([k, v]) => `${k}: ${fmtInt(v)}`).join(', ');
    lines.push(
      `| ${String(r.round)} | ${fmt(r.graph.firstCallSeconds)} | ${fmt(r.graph.firstPostSeconds)} | ${fmt(r.graph.lastPostSeconds)} | ${fmt(r.graph.chainLagSeconds)} (${String(r.graph.chainLinks)}) | ${String(r.graph.maxWritesInWindow)} | ${String(r.graph.maxRequestsInWindow)} | ` +
        `${fmtInt(a?.p50 ?? null)} / ${fmtInt(a?.p99 ?? null)} | ${fmtInt(b?.p50 ?? null)} / ${fmtInt(b?.p99 ?? null)} | ${polls} |`,
    );
  }
  lines.push('', '| Round | Most write admissions in a window (budget) | Most POSTs in a window (sandbox, limit 200) | Most POSTs in a tenth of a window | Write acquire p50 / p99 / max ms | Answer → POST arrives p50 / p99 / max ms |', '|---|---:|---:|---:|---|---|');
  for (const r of rounds) {
    const a = r.graph.acquireMs;
    const d = r.graph.sendDelayMs;
    lines.push(
      `| ${String(r.round)} | ${String(r.graph.maxAdmissionsInWindow)} | ${String(r.graph.maxWritesInWindow)} | ${String(r.graph.maxWritesInTenthWindow)} | ` +
        `${fmtInt(a.p50)} / ${fmtInt(a.p99)} / ${fmtInt(a.max)} | ${fmtInt(d.p50)} / ${fmtInt(d.p99)} / ${fmtInt(d.max)} |`,
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
  const outPath = resolve(outFlag >= 0 ? (process.argv[outFlag + 1] ?? '') : join(REPO_ROOT, 'bench', 'results', 'workflow-latest.json'));
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor < 24) console.warn(`warning: running on Node ${process.versions.node}; the project pins Node 24 (run through npm scripts or node_modules/.bin/node)`);
  const log = (msg: string): void => {
    console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
  };
  const profDir = s.cpuProfile ? mkdtempSync(join(os.tmpdir(), 'resetpc-wfbench-prof-')) : undefined;
  const loadBefore = os.loadavg();
  const rounds: RoundResult[] = [];
  let warmup: RoundResult | null = null;
  if (s.warmupResets > 0) {
    // Warms this process (the sandbox and the intake) so that round 1 meets them as rounds 2 and 3 do.
    warmup = await runRound(0, s.warmupResets, s, log, undefined);
    log(`warm-up: ${String(s.warmupResets)} resets in ${fmt(warmup.completionSeconds)} s, not counted`);
  }
  for (let round = 1; round <= s.rounds; round++) {
    const r = await runRound(round, s.resets, s, log, profDir);
    rounds.push(r);
    log(
      `round ${String(round)}: completion ${fmt(r.completionSeconds)} s (${fmt(r.ratio)}× the ${fmt(r.minimumSeconds, 1)} s minimum), 429s ${String(r.graph.throttled429)}, ` +
        `worker ${fmt(r.worker.cpuMsPerReset)} ms CPU/reset, Redis ${fmtInt(r.redis.bytesPerRequest)} B/request, POSTs per device ${JSON.stringify(r.postsPerDevice)}`,
    );
  }

  const medians: Record<string, number | null> = {
    completionSeconds: median(rounds.map((r) => r.completionSeconds)),
    ratio: median(rounds.map((r) => r.ratio)),
    throttled429: median(rounds.map((r) => r.graph.throttled429)),
    workerCpuMs: median(rounds.map((r) => r.worker.cpuMsPerReset)),
    floorCpuMs: median(rounds.map((r) => r.floor?.cpuMsPerJob ?? null)),
    cpuPerFloor: median(rounds.map((r) => r.worker.cpuPerFloor)),
    redisBytes: median(rounds.map((r) => r.redis.bytesPerRequest)),
    redisCpuMs: median(rounds.map((r) => r.redis.cpuMsPerReset)),
    otherCores: median(rounds.map((r) => r.otherCores)),
  };
  const exactlyOnce = rounds.every((r) => Object.keys(r.postsPerDevice).length === 1 && r.postsPerDevice['1'] === s.resets);
  const allSucceeded = rounds.every((r) => r.complete && r.finalStates.succeeded === s.resets);
  const total429 = rounds.reduce((sum, r) => sum + r.graph.throttled429, 0);
  const verdict = (met: boolean | null): string => (met === null ? 'NOT MEASURED' : met ? 'MET' : 'MISSED');
  const ratio = medians.ratio ?? null;
  const cpu = medians.workerCpuMs ?? null;
  const minimum = rounds[0]?.minimumSeconds ?? null;
  const verdicts = [
    `Completion (target ≤ ${TARGET_RATIO.toFixed(2)}× the ${fmt(minimum, 1)} s the write budget allows): median ${fmt(medians.completionSeconds ?? null)} s = ${fmt(ratio)}× → ${verdict(ratio === null ? null : ratio <= TARGET_RATIO)}`,
    `429s received (target 0): ${String(total429)} in ${String(rounds.length)} rounds → ${verdict(total429 === 0)}`,
    `Worker CPU per reset (target < ${String(TARGET_CPU_MS)} ms): median ${fmt(cpu)} ms → ${verdict(cpu === null ? null : cpu < TARGET_CPU_MS)}`,
    `Worker CPU per reset against the floor (a bare BullMQ job with four HTTPS GETs, same round): median ${fmt(medians.cpuPerFloor ?? null)}× ` +
      `(floor ${fmt(medians.floorCpuMs ?? null)} ms/job): the figure to compare across days, as the machine's speed moves`,
    `Redis memory per finished request: median ${fmtInt(medians.redisBytes ?? null)} bytes (INFO used_memory after − before, ÷ ${fmtInt(s.resets)})`,
    `resetPasscode POSTs per device: ${exactlyOnce ? 'exactly 1 for every device in every round' : 'NOT exactly 1 for every device (see postsPerDevice)'} → ${verdict(exactlyOnce)}`,
    `Every request succeeded: ${allSucceeded ? 'yes' : 'NO (see finalStates)'}`,
    `Noise: other processes kept a median of ${fmt(medians.otherCores ?? null)} cores busy during the measured runs (of ${String(os.cpus().length)})` +
      ((medians.otherCores ?? 0) > CONTENDED_CORES ? ' — contended; rerun on a quieter machine' : ''),
  ];

  const report = {
    startedAt: startedAt.toISOString(),
    wallSeconds: round1((performance.now() - t0) / 1000),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      totalMemoryBytes: os.totalmem(),
      platform: `${os.platform()} ${os.release()}`,
      loadAverageBefore: loadBefore,
      loadAverageAfter: os.loadavg(),
    },
    versions: { node: process.versions.node, fastify: versionOf('fastify'), bullmq: versionOf('bullmq'), ioredis: versionOf('ioredis') },
    settings: { ...s, redis: 'dedicated redis-server per round, appendonly yes, appendfsync everysec, loopback', sandboxLimits: sandboxLimits(s), worker: workerEnv(s) },
    medians,
    exactlyOnce,
    allSucceeded,
    rounds,
    warmup,
    cpuProfileDir: profDir ?? null,
  };
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${markdown(s, rounds, medians, verdicts)}\n`);
  log(`raw results: ${outPath}`);
  if (profDir !== undefined) log(`CPU profiles of the worker children: ${profDir}`);
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------

if (process.argv.includes('--worker')) {
  workerChild();
} else {
  orchestrate().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
