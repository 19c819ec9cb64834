/**
 * Operations dashboard benchmark: the server time of GET /ops (the overview) and of filtered request lists with
 * 100,000 requests in history (target: under 300 ms each).
 *
 *   1. A dedicated redis-server (src/redis/spawn.ts) gets BENCH_OPS_REQUESTS requests (default 100,000) through the
 *      store's own reserve + commit (the intake's write path, without HTTP), created over the last 30 days, in a mix of
 *      final states (mostly succeeded) with some still active, half with a Jira ticket, 2,000 requesters.
 *   2. The metrics aggregator folds the audit stream in (as a running intake does in the background), so the overview
 *      reads steady-state rollups. Its time is reported too.
 *   3. Each page is requested BENCH_OPS_WARMUP times (not counted), then BENCH_OPS_ITERATIONS times, one at a time,
 *      through app.inject on the real app from buildIntakeApp with a signed-in admin session. The time is from inject
 *      to the full response: routing, session lookup in Redis, every Redis read, rendering. No network.
 *
 * Run with `npm run build && node bench/run.mjs ops [--out path.json]`.
 * Settings (environment, each clamped): BENCH_OPS_REQUESTS (100000), BENCH_OPS_ITERATIONS (30), BENCH_OPS_WARMUP (5).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TokenRegistry, generateToken, sha256Hex } from '../src/auth/tokens';
import { parseConfig } from '../src/config/load';
import type { RequestState, ResetRequest, TimelineEntry } from '../src/domain/request';
import { buildIntakeApp } from '../src/intake/app';
import { createAuditAggregator } from '../src/metrics/aggregator';
import { createQueues } from '../src/queue/queues';
import { createRedis, waitForReady } from '../src/redis/connection';
import { spawnRedisServer } from '../src/redis/spawn';
import { RequestStore } from '../src/store/requests';

const REPO_ROOT = resolve(__dirname, '..', '..');
const DAY_MS = 86_400_000;
const TARGET_MS = 300;

function intSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number.parseInt(raw, 10);
  if (!Number.isFinite(value)) throw new Error(`${name} must be an integer`);
  return Math.min(max, Math.max(min, value));
}

const log = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

/** The state mix of the history: mostly finished, a few still moving. */
function stateFor(i: number): RequestState {
  const r = i % 100;
  if (r < 84) return 'succeeded';
  if (r < 89) return 'failed';
  if (r < 92) return 'ineligible';
  if (r < 94) return 'cancelled';
  if (r < 96) return 'timed_out';
  if (r < 97) return 'rejected';
  if (r < 98) return 'awaiting_approval';
  if (r < 99) return 'awaiting_device';
  return 'approved';
}

async function seed(store: RequestStore, count: number, now: number): Promise<number> {
  const started = performance.now();
  const inFlight = 256;
  let next = 0;
  async function one(i: number): Promise<void> {
    const createdAt = new Date(now - Math.floor(((count - i) / count) * 30 * DAY_MS)).toISOString();
    const id = randomUUID();
    const state = stateFor(i);
    const request: ResetRequest = {
      id,
      state,
      device: { kind: 'serialNumber', value: `BENCH-SN-${String(i).padStart(6, '0')}` },
      requestedBy: `user${String(i % 2000)}@contoso.com`,
      reason: 'locked out',
      ...(i % 2 === 0 ? { ticket: { system: 'jira' as const, key: `HD-${String(i)}` } } : {}),
      linkedTickets: [],
      source: i % 2 === 0 ? 'jira' : 'api',
      submittedBy: i % 2 === 0 ? 'webhook:jira' : 'bench',
      createdAt,
      updatedAt: createdAt,
    };
    const reserved = await store.reserve(id, request);
    if (!reserved.ok) throw new Error(`reservation failed for ${String(i)}`);
    const entry: TimelineEntry = { at: createdAt, from: null, to: state, actor: 'bench', reason: 'seeded history' };
    if (!(await store.commit(request, entry))) throw new Error(`commit failed for ${String(i)}`);
  }
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < count; i = next++) await one(i);
    }),
  );
  return performance.now() - started;
}

interface Timing {
  readonly name: string;
  readonly url: string;
  readonly status: number;
  readonly bytes: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly met: boolean;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

async function main(): Promise<void> {
  const count = intSetting('BENCH_OPS_REQUESTS', 100_000, 1000, 1_000_000);
  const iterations = intSetting('BENCH_OPS_ITERATIONS', 30, 3, 1000);
  const warmup = intSetting('BENCH_OPS_WARMUP', 5, 0, 100);
  const redisServer = await spawnRedisServer();
  const token = generateToken();
  const config = parseConfig({ REDIS_URL: redisServer.url, REDIS_PREFIX: '{bench}', LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '1000000' });
  const redis = createRedis(config.REDIS_URL, 'producer', { commandTimeoutMs: 30_000 });
  await waitForReady(redis, 10_000);
  const queues = createQueues(redis, config.REDIS_PREFIX);
  const store = new RequestStore(redis, config.REDIS_PREFIX);
  const app = await buildIntakeApp({ config, redis, queues, tokens: new TokenRegistry([{ name: 'bench-admin', roles: ['admin'], sha256: sha256Hex(token) }]) });
  try {
    const now = Date.now();
    log(`seeding ${count.toLocaleString('en')} requests…`);
    const seedMs = await seed(store, count, now);
    log(`seeded in ${(seedMs / 1000).toFixed(1)} s`);
    const aggStarted = performance.now();
    const folded = await createAuditAggregator(redis, config.REDIS_PREFIX).catchUp(100_000);
    const aggregateMs = performance.now() - aggStarted;
    log(`aggregated ${folded.toLocaleString('en')} audit entries in ${(aggregateMs / 1000).toFixed(1)} s`);

    const login = await app.inject({ method: 'POST', url: '/ops/login', payload: { token } });
    const cookie = login.cookies.find((c) => c.name === 'resetpc_ops');
    if (login.statusCode !== 303 || cookie === undefined) throw new Error(`sign-in failed: ${String(login.statusCode)}`);
    const headers = { cookie: `resetpc_ops=${cookie.value}` };
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    const middle = String(Math.floor(count / 2) + 1).padStart(6, '0');
    const someRequest = (await store.list({ device: `BENCH-SN-${middle}` }, 1)).items[0]?.id ?? '';
    const pages = [
      { name: 'overview', url: '/ops' },
      { name: 'list, no filter (first page)', url: '/ops/requests' },
      { name: 'list, state=failed, last 7 days', url: `/ops/requests?state=failed&from=${day(now - 7 * DAY_MS)}&to=${day(now)}` },
      { name: 'list, state=awaiting_approval (1 % of history)', url: '/ops/requests?state=awaiting_approval' },
      { name: 'list, requester', url: '/ops/requests?requester=user1234%40contoso.com' },
      { name: 'list, ticket', url: `/ops/requests?ticket=HD-${String(Math.floor(count / 2))}` },
      { name: 'list, device', url: `/ops/requests?device=BENCH-SN-${middle}` },
      { name: 'list, requester + state=failed (no index on the pair)', url: '/ops/requests?requester=user7%40contoso.com&state=failed' },
      { name: 'request page', url: `/ops/requests/${someRequest}` },
    ];
    const timings: Timing[] = [];
    for (const p of pages) {
      let status = 0;
      let bytes = 0;
      for (let i = 0; i < warmup; i++) await app.inject({ method: 'GET', url: p.url, headers });
      const samples: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const t0 = performance.now();
        const res = await app.inject({ method: 'GET', url: p.url, headers });
        samples.push(performance.now() - t0);
        status = res.statusCode;
        bytes = res.body.length;
      }
      samples.sort((a, b) => a - b);
      const timing = { name: p.name, url: p.url, status, bytes, p50: percentile(samples, 0.5), p95: percentile(samples, 0.95), max: samples.at(-1) ?? NaN };
      timings.push({ ...timing, met: timing.p95 < TARGET_MS && status === 200 });
      log(`${p.name}: ${String(status)}, p50 ${timing.p50.toFixed(1)} ms, p95 ${timing.p95.toFixed(1)} ms`);
    }

    const info = await redis.info('memory');
    const usedMemory = /used_memory:(\d+)/.exec(info)?.[1];
    const report = {
      at: new Date().toISOString(),
      node: process.version,
      requests: count,
      iterations,
      warmup,
      seedSeconds: seedMs / 1000,
      aggregate: { entries: folded, seconds: aggregateMs / 1000 },
      redisUsedMemoryBytes: usedMemory === undefined ? null : Number(usedMemory),
      targetMs: TARGET_MS,
      timings,
    };
    const outFlag = process.argv.indexOf('--out');
    const outPath = resolve(outFlag >= 0 ? (process.argv[outFlag + 1] ?? '') : join(REPO_ROOT, 'bench', 'results', 'ops-latest.json'));
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, `${JSON.stringify(report, null, 2)}\n`);
    log('');
    log(`| Page (${count.toLocaleString('en')} requests in history) | Status | p50 ms | p95 ms | max ms | < ${String(TARGET_MS)} ms |`);
    log('|---|---:|---:|---:|---:|---|');
    for (const t of timings) log(`| ${t.name} | ${String(t.status)} | ${t.p50.toFixed(1)} | ${t.p95.toFixed(1)} | ${t.max.toFixed(1)} | ${t.met ? 'met' : '**missed**'} |`);
    log('');
    log(`raw results: ${outPath}`);
    if (timings.some((t) => !t.met)) process.exitCode = 1;
  } finally {
    await app.close();
    await queues.close();
    await redis.quit().catch(() => undefined);
    await redisServer.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
