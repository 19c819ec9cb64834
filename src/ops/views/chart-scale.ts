import type { Series, SeriesPoint } from '../../metrics/snapshot';

/**
 * The throughput charts' scales, as pure functions: round tick values for the count and duration axes, clock-aligned
 * time ticks, and the time window to draw (short when the data is short, so a few minutes of data are readable).
 */

const MINUTE_MS = 60_000;

/** The smallest step of `candidates` that gives at most `maxTicks` intervals up to `max` (the largest otherwise). */
function pickStep(max: number, maxTicks: number, candidates: readonly number[]): number {
  return candidates.find((step) => Math.ceil(max / step) <= maxTicks) ?? candidates.at(-1) ?? 1;
}

/** 1, 2 and 5 times the powers of ten from 1 to 10^9. */
const COUNT_STEPS = Array.from({ length: 10 }, (_, k) => [1, 2, 5].map((m) => m * 10 ** k)).flat();

/** Round seconds: 1 s up to 1 day. */
const DURATION_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

/** Clock-aligned minutes between time ticks. */
const TIME_STEPS_MIN = [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720];

/** Whole-number ticks from 0 to a round top at or above `max` (at least 1), at most `maxTicks` intervals. */
export function countTicks(max: number, maxTicks = 4): number[] {
  const top = Math.max(1, Math.ceil(max));
  const step = pickStep(top, maxTicks, COUNT_STEPS);
  return ticksTo(Math.ceil(top / step) * step, step);
}

/** Ticks in seconds from 0 to a round top at or above `maxSeconds`, at most `maxTicks` intervals. */
export function durationTicks(maxSeconds: number, maxTicks = 4): number[] {
  const top = Math.max(1, maxSeconds);
  const step = pickStep(top, maxTicks, DURATION_STEPS);
  return ticksTo(Math.ceil(top / step) * step, step);
}

function ticksTo(top: number, step: number): number[] {
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
}

/** Times (epoch ms) within [from, to] on whole multiples of a round step, at most `maxTicks` of them. */
export function timeTicks(from: number, to: number, maxTicks = 6): number[] {
  const spanMin = Math.max(1, (to - from) / MINUTE_MS);
  const step = pickStep(spanMin, maxTicks, TIME_STEPS_MIN) * MINUTE_MS;
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}

export interface ChartWindow {
  /** Epoch ms: the start of the first slot drawn, and the end of the last (the current slot's end). */
  readonly from: number;
  readonly to: number;
  readonly points: readonly SeriesPoint[];
  /** True when the window is shorter than the series (nothing finished before it). */
  readonly trimmed: boolean;
}

/**
 * The slots to draw: the shortest of a quarter, a half or all of the series that holds every slot with data. An hour
 * of minutes with three minutes of data shows the last 15 minutes; a day with data since this morning, 6 or 12 hours.
 */
export function chartWindow(series: Series): ChartWindow {
  const { points, slotMs } = series;
  const n = points.length;
  const firstWithData = points.findIndex((p) => p.done > 0);
  const needed = firstWithData === -1 ? n : n - firstWithData;
  const length = [Math.ceil(n / 4), Math.ceil(n / 2), n].find((l) => l >= needed) ?? n;
  const shown = points.slice(n - length);
  const first = shown[0];
  const last = shown.at(-1);
  if (first === undefined || last === undefined) return { from: 0, to: slotMs, points: [], trimmed: false };
  return { from: first.at, to: last.at + slotMs, points: shown, trimmed: length < n };
}

/** A UTC clock time: 14:05. */
export function clockLabel(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 16);
}
