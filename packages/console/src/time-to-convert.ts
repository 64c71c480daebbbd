import { formatDuration } from './format.ts';

/** One bucket of a step's time-to-convert histogram, [from, to) in seconds (docs/analytics/custom-funnels.md). */
export interface ConvertBucket {
  readonly fromSeconds: number;
  readonly toSeconds: number;
  readonly customers: number;
}

/** A funnel step that has a histogram (every step but the first), as the time-to-convert section shows it. */
export interface ConvertStep {
  /** How the URL names the step: a stage on the Journey, a step number on a custom funnel. */
  readonly key: string;
  /** The step before and this one, as the screen labels them. */
  readonly from: string;
  readonly to: string;
  readonly customers: number;
  readonly medianSecondsFromPrevious?: number | null;
  readonly p90SecondsFromPrevious?: number | null;
  readonly timeToConvert: readonly ConvertBucket[];
}

/** The URL parameter that names the step whose histogram a screen shows. */
export const CONVERT_PARAM = 'convert';

/**
 * The buckets worth drawing: from the first with customers to the last. The API lists every bucket up to the
 * window (fourteen for 180 days), so the empty ones at either end would squeeze the bars that matter into a
 * corner; the empty ones in between stay, so the time axis keeps its steps and a gap between two peaks reads
 * as a gap. No customers, no buckets.
 */
export function shownBuckets(buckets: readonly ConvertBucket[]): readonly ConvertBucket[] {
  const first = buckets.findIndex((b) => b.customers > 0);
  return first === -1 ? [] : buckets.slice(first, buckets.findLastIndex((b) => b.customers > 0) + 1);
}

/** A bucket as its two edges: "1h–6h". */
export const bucketLabel = (bucket: ConvertBucket): string =>
  `${formatDuration(bucket.fromSeconds)}–${formatDuration(bucket.toSeconds)}`;

/**
 * The step shown until one is chosen: the first with customers, the `preferred` one before the others (the
 * Journey's purchase); when nobody converted anywhere, the first, so the screen says so.
 */
export function defaultStep(steps: readonly ConvertStep[], preferred?: string): ConvertStep | undefined {
  const ordered = [...steps.filter((s) => s.key === preferred), ...steps.filter((s) => s.key !== preferred)];
  return ordered.find((s) => s.customers > 0) ?? steps[0];
}
