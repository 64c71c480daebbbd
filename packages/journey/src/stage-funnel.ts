import { type FunnelStepCount, type FunnelStepFigures, funnelStepFigures } from './funnel-steps.ts';
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

/** Stage funnel breakdowns by the entry touchpoint's campaign, next to the customer dimensions. */
export const ENTRY_BREAKDOWNS = [
  'utm_source',
  'utm_medium',
  'utm_campaign',
] as const satisfies readonly EntryFilterDimension[];
export type EntryBreakdown = (typeof ENTRY_BREAKDOWNS)[number];

/** What the stage funnel query measured for one stage, in stage order. */
export type StageReachCount = FunnelStepCount;

export interface StageFunnelStage extends FunnelStepFigures {
  readonly stage: StageName;
  readonly index: StageIndex;
}

export interface StageFunnel {
  /** The stages counted, in funnel order: all seven, or those of a stage range. */
  readonly stages: readonly StageFunnelStage[];
}

/** A funnel over stages `from` … `to` (indexes, from < to); the whole journey is 1 … 7. */
export interface StageRange {
  readonly from: StageIndex;
  readonly to: StageIndex;
}

export const WHOLE_JOURNEY: StageRange = { from: 1, to: STAGES.length as StageIndex };

/** The stage funnel's ratios and shape from per-stage counts of `range`'s stages (docs/design.md §3). */
export function buildStageFunnel(
  counts: readonly StageReachCount[],
  range: StageRange = WHOLE_JOURNEY,
): StageFunnel {
  const stages = STAGES.slice(range.from - 1, range.to);
  if (range.from >= range.to || counts.length !== stages.length) {
    throw new RangeError(
      `a stage funnel of stages ${range.from}–${range.to} needs ${stages.length} stage counts, got ${counts.length}`,
    );
  }
  const figures = funnelStepFigures(counts);
  return {
    stages: stages.map((stage, position) => ({
      stage: stage.name,
      index: stage.index,
      ...(figures[position] as FunnelStepFigures),
    })),
  };
}
