/** The metrics keys are built with every other key, in src/store/keys.ts; the rollups' slot sizes are here. */
export { metricsKeys, type MetricsKeys } from '../store/keys';

export const MINUTE_MS = 60_000;
export const HALF_HOUR_MS = 30 * MINUTE_MS;
