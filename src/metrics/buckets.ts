/**
 * Histogram buckets for durations (seconds) and a quantile estimate from bucket counts. Pure: no I/O.
 * The upper bounds cover a reset's life: seconds for checks and submission, hours for an approval or a slow device.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600, 86_400, 259_200];

/** The index of the first bucket whose upper bound holds `seconds`; the last index + 1 is the +Inf bucket. */
export function bucketIndex(seconds: number): number {
  const i = DURATION_BUCKETS_SECONDS.findIndex((upper) => seconds <= upper);
  return i === -1 ? DURATION_BUCKETS_SECONDS.length : i;
}

/**
 * Estimates the q-quantile (0 < q < 1) from per-bucket counts (not cumulative; index = bucketIndex), by linear
 * interpolation inside the bucket, as Prometheus's histogram_quantile does. Undefined when there is no observation.
 */
export function quantileFromBuckets(counts: readonly number[], q: number): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] ?? 0;
    if (n > 0 && seen + n >= rank) {
      const lower = i === 0 ? 0 : (DURATION_BUCKETS_SECONDS[i - 1] ?? 0);
      // The +Inf bucket has no upper bound: report its lower bound, as histogram_quantile does.
      const upper = DURATION_BUCKETS_SECONDS[i];
      if (upper === undefined) return lower;
      return lower + ((upper - lower) * (rank - seen)) / n;
    }
    seen += n;
  }
  return DURATION_BUCKETS_SECONDS.at(-1);
}
