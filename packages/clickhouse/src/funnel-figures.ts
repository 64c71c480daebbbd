import {
  type FunnelStepCount,
  type FunnelStepFigures,
  type TimeToConvertBucket,
  timeToConvertBuckets,
} from '@waymark/journey';
import { ClickHouseQueryRangeError, ClickHouseStorageError } from './errors.ts';
import type { QueryParams } from './sql.ts';
import { toNullableNumber, toNumber } from './values.ts';

/*
 * What the stage funnel and the custom funnel share: the cohort's time bounds as parameters, the per-step
 * quantile columns, and reading a step's count and times back from a row (`n<k>`, `q<k>`).
 */

export interface FunnelPeriod {
  /** Cohort: customers whose entry is in [from, to). */
  readonly from: Date;
  readonly to: Date;
  /** Steps count only when reached at most this long after entry. */
  readonly windowSeconds: number;
}

/** The period in epoch milliseconds, checked: exact in both backends, unlike Date parameters (values.ts). */
export function funnelPeriodMs(period: FunnelPeriod): { fromMs: number; toMs: number; windowMs: number } {
  if (!Number.isFinite(period.windowSeconds) || period.windowSeconds < 0) {
    throw new ClickHouseQueryRangeError(
      'CLICKHOUSE_QUERY_OUT_OF_RANGE',
      `windowSeconds must be a non-negative number, got ${period.windowSeconds}`,
    );
  }
  const fromMs = period.from.getTime();
  const toMs = period.to.getTime();
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) {
    throw new ClickHouseQueryRangeError('CLICKHOUSE_QUERY_OUT_OF_RANGE', 'from/to must be valid dates');
  }
  return { fromMs, toMs, windowMs: Math.round(period.windowSeconds * 1000) };
}

/** The named placeholders `{fromMs:Int64}`, `{toMs:Int64}` and `{windowMs:Int64}` of a funnel's period. */
export function funnelPeriodParams(p: QueryParams, period: FunnelPeriod) {
  const ms = funnelPeriodMs(period);
  return {
    fromMs: p.named('fromMs', ms.fromMs, 'Int64'),
    toMs: p.named('toMs', ms.toMs, 'Int64'),
    windowMs: p.named('windowMs', ms.windowMs, 'Int64'),
  };
}

/**
 * `q<k>`: the median and p90 seconds from step k − 1 to step k over the customers counted at k. Quantiles
 * interpolate linearly between closest ranks (quantileExactInclusive, numpy's default).
 */
export const stepQuantilesSql = (k: number, previousMs: string, reachedMs: string, counted: string) =>
  `quantilesExactInclusiveIf(0.5, 0.9)((${reachedMs} - ${previousMs}) / 1000, ${counted}) AS q${k}`;

/**
 * `h<k>`: the time-to-convert histogram of step k over the customers counted at k, as sumMap's (bucket
 * positions, counts) of the non-empty buckets. A customer's bucket is the number of the window's inner edges
 * (constants of ours, decision 0034) at or below its time from step k − 1, so a time exactly at an edge is in
 * the bucket that edge opens.
 */
export function stepHistogramSql(
  k: number,
  windowSeconds: number,
  previousMs: string,
  reachedMs: string,
  counted: string,
): string {
  const innerEdges = timeToConvertBuckets(windowSeconds)
    .slice(1)
    .map((bucket) => bucket.fromSeconds * 1000);
  const bucket =
    innerEdges.length === 0
      ? '0'
      : innerEdges.map((edgeMs) => `(${reachedMs} - ${previousMs} >= ${edgeMs})`).join(' + ');
  return `sumMapIf([toUInt8(${bucket})], [toUInt64(1)], ${counted}) AS h${k}`;
}

/** A step's time-to-convert histogram: every bucket of the window, `customers` adding up to the step's. */
export type TimeToConvertHistogram = ReadonlyArray<TimeToConvertBucket & { readonly customers: number }>;

/** A funnel step's figures with its histogram (null on step 1, which has no previous step). */
export interface FunnelStepWithHistogram extends FunnelStepFigures {
  readonly timeToConvert: TimeToConvertHistogram | null;
}

/** Step k's histogram (`h<k>`) from a funnel row; a row without it (an empty period) has empty buckets. */
export function stepHistogramOf(
  row: Record<string, unknown>,
  k: number,
  windowSeconds: number,
  what: string,
): TimeToConvertHistogram {
  const counts = new Map<number, number>();
  const value = row[`h${k}`];
  if (value !== undefined && value !== null) {
    const [positions, customers] = Array.isArray(value) ? value : [];
    if (!Array.isArray(positions) || !Array.isArray(customers) || positions.length !== customers.length) {
      throw new ClickHouseStorageError('CLICKHOUSE_BAD_VALUE', `${what} h${k}: expected (positions, counts)`);
    }
    positions.forEach((position, i) => {
      counts.set(toNumber(position, `${what} h${k} position`), toNumber(customers[i], `${what} h${k} count`));
    });
  }
  return timeToConvertBuckets(windowSeconds).map((bucket, position) => ({
    ...bucket,
    customers: counts.get(position) ?? 0,
  }));
}

/** Step k's count (`n<k>`) and times (`q<k>`, none for step 1) from a funnel row. */
export function stepCountOf(row: Record<string, unknown>, k: number, what: string): FunnelStepCount {
  const customers = toNumber(row[`n${k}`], `${what} n${k}`);
  if (k === 1) return { customers, medianSecondsFromPrevious: null, p90SecondsFromPrevious: null };
  const quantiles = row[`q${k}`];
  if (!Array.isArray(quantiles)) {
    throw new ClickHouseStorageError('CLICKHOUSE_BAD_VALUE', `${what} q${k}: expected an array`);
  }
  return {
    customers,
    medianSecondsFromPrevious: toMilliseconds(toNullableNumber(quantiles[0], `${what} q${k}[0]`)),
    p90SecondsFromPrevious: toMilliseconds(toNullableNumber(quantiles[1], `${what} q${k}[1]`)),
  };
}

/** Seconds rounded to the millisecond, the precision of the data (interpolation adds float noise). */
function toMilliseconds(seconds: number | null): number | null {
  return seconds === null ? null : Math.round(seconds * 1000) / 1000;
}
