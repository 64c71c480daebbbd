/*
 * The time-to-convert histogram of a funnel step (docs/analytics/custom-funnels.md, decision 0034): fixed,
 * human edges, so that two funnels (or two periods, or two segments) are read against the same buckets, cut
 * at the conversion window, whose end is the last bucket's inclusive bound.
 */

/** The edges, in seconds: 1 min, 5 min, 15 min, 1 h, 6 h, 1 d, 3 d, 7 d, 14 d, 30 d, 60 d, 90 d, 180 d. */
export const TIME_TO_CONVERT_EDGES_SECONDS = [
  60, 300, 900, 3600, 21_600, 86_400, 259_200, 604_800, 1_209_600, 2_592_000, 5_184_000, 7_776_000,
  15_552_000,
] as const;

/** Bucket `[fromSeconds, toSeconds)`; the last one includes `toSeconds` (the window's end). */
export interface TimeToConvertBucket {
  readonly fromSeconds: number;
  readonly toSeconds: number;
}

/**
 * The buckets for a window: from 0 to each edge below the window in turn, the last up to the window itself
 * (so a window of exactly 7 days ends with [3 d, 7 d]). A window of 0 has the one bucket [0, 0].
 */
export function timeToConvertBuckets(windowSeconds: number): TimeToConvertBucket[] {
  if (!Number.isFinite(windowSeconds) || windowSeconds < 0) {
    throw new RangeError(`windowSeconds must be a non-negative number, got ${windowSeconds}`);
  }
  const bounds = [0, ...TIME_TO_CONVERT_EDGES_SECONDS.filter((edge) => edge < windowSeconds), windowSeconds];
  return bounds
    .slice(1)
    .map((toSeconds, position) => ({ fromSeconds: bounds[position] as number, toSeconds }));
}
