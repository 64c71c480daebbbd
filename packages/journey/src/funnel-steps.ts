/** What a funnel query measured for one step (or stage), in funnel order. */
export interface FunnelStepCount {
  /** n_k: cohort customers counted at this step. */
  readonly customers: number;
  /**
   * Among the customers counted at this step, the median / p90 seconds from reaching the previous step to
   * reaching this one. Ignored for the first step.
   */
  readonly medianSecondsFromPrevious: number | null;
  readonly p90SecondsFromPrevious: number | null;
}

/** A step's figures, the same for stage funnels and custom funnels (docs/design.md §3). */
export interface FunnelStepFigures {
  readonly customers: number;
  /** n_k / n_1; 0 when n_1 is 0. */
  readonly conversionFromStart: number;
  /**
   * n_k / n_p, 1 for the first step; 0 when the denominator is 0. p is the previous step, or with optional
   * steps the nearest earlier step that is not optional (a customer may skip the ones in between).
   */
  readonly conversionFromPrevious: number;
  /** 1 − conversionFromPrevious; 0 when the denominator is 0 (nobody to lose). */
  readonly dropOff: number;
  /** Time from the previous step to this one; null on the first step and when nobody reached this one. */
  readonly medianSecondsFromPrevious: number | null;
  readonly p90SecondsFromPrevious: number | null;
  /** The next step's `…FromPrevious`; null on the last step. */
  readonly medianSecondsToNext: number | null;
  readonly p90SecondsToNext: number | null;
}

/**
 * The ratios and times of a funnel from its per-step counts. Empty cohorts give all zeros and null times
 * rather than NaN, and a step nobody reached has no drop-off to report from it onwards. `optional[k]` marks
 * step k + 1 as one the customer may skip (custom funnels, decision 0033).
 */
export function funnelStepFigures(
  counts: readonly FunnelStepCount[],
  optional: readonly boolean[] = [],
): FunnelStepFigures[] {
  for (const count of counts) {
    if (!Number.isInteger(count.customers) || count.customers < 0) {
      throw new RangeError(`step customer counts are non-negative integers, got ${count.customers}`);
    }
  }
  const start = counts[0]?.customers ?? 0;
  const fromPrevious = counts.map((count, position) => {
    const reached = position > 0 && count.customers > 0;
    return {
      median: reached ? count.medianSecondsFromPrevious : null,
      p90: reached ? count.p90SecondsFromPrevious : null,
    };
  });
  return counts.map((count, position) => {
    let p = position - 1;
    while (p > 0 && optional[p] === true) p--;
    const previous = position === 0 ? count.customers : (counts[p] as FunnelStepCount).customers;
    const conversionFromPrevious = ratio(count.customers, previous);
    const next = fromPrevious[position + 1];
    return {
      customers: count.customers,
      conversionFromStart: ratio(count.customers, start),
      conversionFromPrevious,
      dropOff: previous === 0 ? 0 : 1 - conversionFromPrevious,
      medianSecondsFromPrevious: fromPrevious[position]?.median ?? null,
      p90SecondsFromPrevious: fromPrevious[position]?.p90 ?? null,
      medianSecondsToNext: next?.median ?? null,
      p90SecondsToNext: next?.p90 ?? null,
    };
  });
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}
