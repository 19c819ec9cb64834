import type { Redis } from 'ioredis';
import { metricsKeys } from './keys';

/**
 * Facts that happen inside worker processes (Graph calls, 429s, budget waits, notification failures) and that the
 * audit stream does not hold. Each process adds to counters in one Redis hash; whichever intake process serves
 * GET /metrics reads the hash at scrape time, so the numbers are totals over every process and survive restarts.
 *
 * Recording is best effort and never throws: a metric must not fail a reset. Label values must come from small,
 * fixed sets (a route template such as `getDevice`, never a URL with an id; a status code; a tenant id).
 */
export interface MetricsRecorder {
  /** One Graph call: `route` is the gateway's call name (getDevice, findDevices, resetPasscode, …), `status` the HTTP status (0 when no response). */
  graphCall(route: string, status: number): void;
  /** A 429 from Graph for the tenant (the budget then pauses it for Retry-After). */
  graphThrottled(tenantId: string): void;
  /** The shared budget (or a 429 pause) made a call wait `waitMs` before it could be sent. */
  budgetWait(tenantId: string, why: 'budget' | 'paused', waitMs: number): void;
  /** A notification attempt failed; `final` when it will not be tried again (undeliverable). */
  notificationFailed(channel: 'ticket' | 'email', event: string, final: boolean): void;
}

/** Label values are joined with `|`, so they may not contain it (or newlines); anything else becomes `_`. */
export function labelValue(value: string): string {
  return value.replace(/[^A-Za-z0-9._:@/-]/g, '_').slice(0, 80);
}

export function counterField(name: string, ...labels: readonly (string | number)[]): string {
  return [name, ...labels.map((l) => labelValue(String(l)))].join('|');
}

export interface BufferedMetricsRecorder extends MetricsRecorder {
  /** Writes what was counted since the last flush (one pipelined write), then stops the timer. */
  close(): Promise<void>;
}

/**
 * Counts in memory and adds the counts to Redis every `flushIntervalMs` in one pipelined write, so a busy worker pays
 * a map update per fact instead of a Redis command (the reset workflow makes several Graph calls per request).
 */
export function createMetricsRecorder(redis: Redis, prefix: string, onError: (err: unknown) => void = () => undefined, flushIntervalMs = 1_000): BufferedMetricsRecorder {
  const key = metricsKeys(prefix).counters;
  let pending = new Map<string, number>();
  const add = (field: string, by: number): void => {
    pending.set(field, (pending.get(field) ?? 0) + by);
  };
  const flush = async (): Promise<void> => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const pipeline = redis.pipeline();
    for (const [field, by] of batch) pipeline.hincrbyfloat(key, field, by);
    try {
      const results = (await pipeline.exec()) ?? [];
      for (const [err] of results) if (err !== null) onError(err);
    } catch (err) {
      onError(err);
    }
  };
  const timer = setInterval(() => {
    void flush();
  }, flushIntervalMs);
  timer.unref();
  return {
    graphCall(route, status) {
      add(counterField('graph_calls', route, status), 1);
    },
    graphThrottled(tenantId) {
      add(counterField('graph_throttled', tenantId), 1);
    },
    budgetWait(tenantId, why, waitMs) {
      add(counterField('budget_waits', tenantId, why), 1);
      add(counterField('budget_wait_seconds', tenantId, why), Math.max(0, waitMs) / 1000);
    },
    notificationFailed(channel, event, final) {
      add(counterField('notification_failures', channel, event, final ? 'final' : 'retrying'), 1);
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

/** A recorder that records nothing: for processes and tests that do not report metrics. */
export const NO_METRICS: MetricsRecorder = {
  graphCall: () => undefined,
  graphThrottled: () => undefined,
  budgetWait: () => undefined,
  notificationFailed: () => undefined,
};
