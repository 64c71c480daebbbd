import { type FunnelStepCount, type FunnelStepFigures, funnelStepFigures } from './funnel-steps.ts';
import { STAGES, type StageIndex, type StageName } from './stages.ts';

/** What the stage funnel query measured for one stage, in stage order. */
export type StageReachCount = FunnelStepCount;

export interface StageFunnelStage extends FunnelStepFigures {
  readonly stage: StageName;
  readonly index: StageIndex;
}

export interface StageFunnel {
  /** All seven stages, in funnel order. */
  readonly stages: readonly StageFunnelStage[];
}

/** The stage funnel's ratios and shape from per-stage counts (DESIGN §3). */
export function buildStageFunnel(counts: readonly StageReachCount[]): StageFunnel {
  if (counts.length !== STAGES.length) {
    throw new RangeError(`a stage funnel needs ${STAGES.length} stage counts, got ${counts.length}`);
  }
  const figures = funnelStepFigures(counts);
  return {
    stages: STAGES.map((stage, position) => ({
      stage: stage.name,
      index: stage.index,
      ...(figures[position] as FunnelStepFigures),
    })),
  };
}
