import { STAGES, type StageIndex, type StageName } from './stages.ts';

/**
 * How a customer counts at a stage (docs/analytics/stage-funnel.md): `reached` any stage ≥ k within the window
 * after entry; `ordered` stages 1 … k in order within it; `strict` in order with no other staged touchpoint
 * in between.
 */
export const STAGE_FUNNEL_MODES = ['reached', 'ordered', 'strict'] as const;
export type StageFunnelMode = (typeof STAGE_FUNNEL_MODES)[number];

/** Fields of the entry touchpoint (the customer's first staged touchpoint) the funnel's cohort is filtered on. */
export const ENTRY_FILTER_DIMENSIONS = [
  'channel',
  'country',
  'device',
  'os',
  'browser',
  'utm_source',
  'utm_medium',
  'utm_campaign',
] as const;
export type EntryFilterDimension = (typeof ENTRY_FILTER_DIMENSIONS)[number];
/** Values of one dimension are alternatives; dimensions combine (a customer must match each one given). */
export type EntryFilters = Partial<Record<EntryFilterDimension, readonly string[]>>;

/** What the stage funnel query measured for one stage, in stage order. */
export interface StageReachCount {
  /** n_k: cohort customers counted at this stage. */
  readonly customers: number;
  /**
   * Among the customers counted at this stage, the median / p90 seconds from first reaching the previous
   * stage to first reaching this one or a later one. Ignored for the first stage.
   */
  readonly medianSecondsFromPrevious: number | null;
  readonly p90SecondsFromPrevious: number | null;
}

export interface StageFunnelStage {
  readonly stage: StageName;
  readonly index: StageIndex;
  readonly customers: number;
  /** n_k / n_1; 0 when n_1 is 0. */
  readonly conversionFromStart: number;
  /** n_k / n_(k−1), 1 for the first stage; 0 when the denominator is 0. */
  readonly conversionFromPrevious: number;
  /** 1 − conversionFromPrevious; 0 when the denominator is 0 (nobody to lose). */
  readonly dropOff: number;
  /** Time from the previous stage to this one; null on the first stage and when nobody reached this one. */
  readonly medianSecondsFromPrevious: number | null;
  readonly p90SecondsFromPrevious: number | null;
  /** The next stage's `…FromPrevious` (DESIGN §3's field); null on the last stage. */
  readonly medianSecondsToNext: number | null;
  readonly p90SecondsToNext: number | null;
}

export interface StageFunnel {
  /** All seven stages, in funnel order. */
  readonly stages: readonly StageFunnelStage[];
}

/**
 * The stage funnel's ratios and shape from per-stage counts (DESIGN §3). Empty cohorts give all zeros and
 * null times rather than NaN, and a stage nobody reached has no drop-off to report from it onwards.
 */
export function buildStageFunnel(counts: readonly StageReachCount[]): StageFunnel {
  if (counts.length !== STAGES.length) {
    throw new RangeError(`a stage funnel needs ${STAGES.length} stage counts, got ${counts.length}`);
  }
  for (const count of counts) {
    if (!Number.isInteger(count.customers) || count.customers < 0) {
      throw new RangeError(`stage customer counts are non-negative integers, got ${count.customers}`);
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
  const stages = STAGES.map((stage, position): StageFunnelStage => {
    const count = counts[position] as StageReachCount;
    const previous = position === 0 ? count.customers : (counts[position - 1] as StageReachCount).customers;
    const conversionFromPrevious = ratio(count.customers, previous);
    const next = fromPrevious[position + 1];
    return {
      stage: stage.name,
      index: stage.index,
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
  return { stages };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}
