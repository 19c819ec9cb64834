import type { Series, SeriesPoint } from '../../src/metrics/snapshot';
import { chartWindow, clockLabel, countTicks, durationTicks, timeTicks } from '../../src/ops/views/chart-scale';
import { seriesChart } from '../../src/ops/views/chart';
import { outcomeSummary, reasonWords, shorten } from '../../src/ops/views/outcome';
import type { StoredRequest } from '../../src/store/requests';

/** The throughput charts' scales and drawing, and the outcome words of the requests list: pure, no Redis. */
const MINUTE = 60_000;
const NOW_SLOT = Date.UTC(2025, 0, 1, 10, 59) / MINUTE;

/** An hour of one-minute slots ending at 10:59 UTC, with `data` in the slots `minutesAgo` before the current one. */
function hour(data: Readonly<Record<number, Partial<SeriesPoint>>> = {}): Series {
  const points: SeriesPoint[] = Array.from({ length: 60 }, (_, i) => ({ at: (NOW_SLOT - 59 + i) * MINUTE, done: 0, succeeded: 0, ...data[59 - i] }));
  const done = points.reduce((n, p) => n + p.done, 0);
  const succeeded = points.reduce((n, p) => n + p.succeeded, 0);
  return { slotMs: MINUTE, points, done, succeeded, ...(done > 0 ? { p50: 20, p95: 40 } : {}) };
}

describe('chart scales', () => {
  it.each([
    [0, [0, 1]],
    [1, [0, 1]],
    [3, [0, 1, 2, 3]],
    [4, [0, 1, 2, 3, 4]],
    [7, [0, 2, 4, 6, 8]],
    [13, [0, 5, 10, 15]],
    [180, [0, 50, 100, 150, 200]],
  ])('counts up to %d tick at round whole numbers: %j', (max, ticks) => {
    expect(countTicks(max)).toEqual(ticks);
  });

  it.each([
    [0.4, [0, 1]],
    [7, [0, 2, 4, 6, 8]],
    [38, [0, 10, 20, 30, 40]],
    [95, [0, 30, 60, 90, 120]],
    [1000, [0, 300, 600, 900, 1200]],
  ])('durations up to %d s tick at round seconds: %j', (max, ticks) => {
    expect(durationTicks(max)).toEqual(ticks);
  });

  it('puts time ticks on round clock times within the window', () => {
    const from = Date.UTC(2025, 0, 1, 10, 3);
    expect(timeTicks(from, from + 15 * MINUTE).map(clockLabel)).toEqual(['10:05', '10:10', '10:15']);
    expect(timeTicks(from, from + 60 * MINUTE).map(clockLabel)).toEqual(['10:10', '10:20', '10:30', '10:40', '10:50', '11:00']);
    const day = Date.UTC(2025, 0, 1, 10, 30);
    expect(timeTicks(day, day + 24 * 60 * MINUTE).map(clockLabel)).toEqual(['12:00', '16:00', '20:00', '00:00', '04:00', '08:00']);
  });

  it('shortens the window to the data: a few minutes of data show the last 15 minutes, older data the whole hour', () => {
    const recent = chartWindow(hour({ 0: { done: 1, succeeded: 1 }, 2: { done: 2, succeeded: 1 } }));
    expect(recent.points).toHaveLength(15);
    expect(recent.trimmed).toBe(true);
    expect(recent.to - recent.from).toBe(15 * MINUTE);
    expect(chartWindow(hour({ 20: { done: 1, succeeded: 1 } })).points).toHaveLength(30);
    const old = chartWindow(hour({ 50: { done: 1, succeeded: 1 } }));
    expect(old.points).toHaveLength(60);
    expect(old.trimmed).toBe(false);
  });
});

describe('seriesChart', () => {
  it('says there are no resets yet in this window instead of drawing an empty chart', () => {
    const out = seriesChart('Last hour', hour(), 'the last hour').value;
    expect(out).toContain('No resets yet in this window: none finished in the last hour.');
    expect(out).not.toContain('<svg');
  });

  it('draws labelled count, time-to-outcome and UTC time axes with round ticks over a short window', () => {
    const out = seriesChart('Last hour', hour({ 0: { done: 3, succeeded: 2, p50: 20, p95: 38 }, 2: { done: 1, succeeded: 1, p50: 10, p95: 12 } }), 'the last hour').value;
    expect(out).toContain('finished per minute</text>');
    expect(out).toContain('time to outcome</text>');
    expect(out).toContain('time (UTC)</text>');
    // Count ticks 0..3, duration ticks 0..40 s, time ticks every 5 minutes of the last 15.
    for (const v of ['0', '1', '2', '3']) expect(out).toMatch(new RegExp(`text-anchor="end">${v}</text>`));
    expect(out).toContain('>40 s</text>');
    expect(out).toContain('>10:50</text>');
    expect(out).toContain('>10:55</text>');
    expect(out).toContain('Showing the last 15 minutes: nothing finished earlier.');
    expect(out).toContain('<rect class="bar fail"');
    expect(out).toContain('<circle class="p95"');
    expect(out).not.toMatch(/\sstyle=/);
    expect(out).not.toContain('preserveAspectRatio="none"');
  });
});

describe('outcome words', () => {
  it('says each reason code in words, and an unknown code readably', () => {
    expect(reasonWords('stale_sync')).toBe('Device has not synced recently');
    expect(reasonWords('action_failed')).toBe('Intune reported the reset failed');
    expect(reasonWords('graph_unavailable')).toBe('Microsoft Graph kept failing');
    expect(reasonWords('servicenow_forbidden')).toBe('ServiceNow denied the product\'s account');
    expect(reasonWords('something_new')).toBe('something new');
  });

  it('shortens a long reason at a word, with an ellipsis', () => {
    const long = 'The device last synced with Intune 41 days ago (2024-11-21T08:00:00Z), more than the 168-hour limit. Ask the user to connect the device and sync it.';
    const short = shorten(long);
    expect(short.length).toBeLessThanOrEqual(90);
    expect(short.endsWith('…')).toBe(true);
    expect(long.startsWith(short.slice(0, -1))).toBe(true);
    expect(shorten('short enough')).toBe('short enough');
  });

  it('takes the reason of the entry that ended the request, not a later note', () => {
    const at = '2025-01-01T00:00:00.000Z';
    const stored = {
      request: { state: 'failed' },
      workflow: { outcomeReason: 'action_failed' },
      timeline: [
        { at, from: null, to: 'received', actor: 'api', reason: 'submitted' },
        { at, from: 'awaiting_device', to: 'failed', actor: 'worker', reason: 'Intune reported failed (error 0x87d1fde8)' },
        { at, from: 'failed', to: 'failed', actor: 'operator', reason: 'notification retried' },
      ],
    } as unknown as StoredRequest;
    expect(outcomeSummary(stored)).toEqual({ code: 'action_failed', words: 'Intune reported the reset failed', detail: 'Intune reported failed (error 0x87d1fde8)', full: undefined });
  });
});
