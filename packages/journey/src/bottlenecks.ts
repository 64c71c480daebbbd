import type { StageFunnel, StageFunnelStage } from './stage-funnel.ts';
import type { StageIndex, StageName } from './stages.ts';
import { SIGNIFICANCE_LEVEL, twoProportionZTest } from './two-proportions.ts';

/**
 * … and only when every expected count (successes and failures of both periods under the pooled
 * proportion) is at least this: below it the normal approximation behind the z-test does not hold.
 */
export const MIN_EXPECTED_COUNT = 5;

/** How a stage's conversion from the previous stage moved against the comparison period. */
export interface BottleneckChange {
  /** The comparison period's customers at the previous stage and at this one, and its ratios. */
  readonly previousFrom: number;
  readonly previousCustomers: number;
  readonly previousConversionFromPrevious: number;
  readonly previousDropOff: number;
  /** (conversion now − conversion then) × 100; negative = worse. Null when either period had nobody to convert. */
  readonly percentagePoints: number | null;
  /** conversion now ÷ conversion then − 1; null also when the conversion then was 0. */
  readonly relative: number | null;
  /** Two-proportion z-test, now against then; null when undefined (docs/analytics/flow-and-drilldown.md). */
  readonly zScore: number | null;
  readonly pValue: number | null;
  /** p < SIGNIFICANCE_LEVEL with every expected count ≥ MIN_EXPECTED_COUNT. */
  readonly significant: boolean;
}

/** A stage (2 … 7) as a possible bottleneck: the step into it from the previous stage. */
export interface Bottleneck {
  readonly stage: StageName;
  readonly index: StageIndex;
  /** Customers counted at the previous stage: those who could convert. */
  readonly from: number;
  /** Customers counted at this stage. */
  readonly customers: number;
  /** from − customers. */
  readonly lost: number;
  readonly conversionFromPrevious: number;
  readonly dropOff: number;
  readonly medianSecondsFromPrevious: number | null;
  /** With a comparison period. */
  readonly change?: BottleneckChange;
}

export interface BottleneckRanking {
  /** Largest drop-off first; ties: more customers lost first, then funnel order. */
  readonly byDropOff: readonly Bottleneck[];
  /**
   * With a comparison period: the largest fall in conversion first (percentage points), ties by the more
   * negative z; stages without a comparable conversion last, in funnel order.
   */
  readonly byChange?: readonly Bottleneck[];
}

/** Ranks the steps of a reached-mode stage funnel, optionally against the same funnel of another period. */
export function rankBottlenecks(current: StageFunnel, previous?: StageFunnel): BottleneckRanking {
  const steps = current.stages.slice(1).map((stage, position): Bottleneck => {
    const from = (current.stages[position] as StageFunnelStage).customers;
    const before = previous?.stages[position + 1];
    const beforeFrom = previous?.stages[position]?.customers;
    return {
      stage: stage.stage,
      index: stage.index,
      from,
      customers: stage.customers,
      lost: from - stage.customers,
      conversionFromPrevious: stage.conversionFromPrevious,
      dropOff: stage.dropOff,
      medianSecondsFromPrevious: stage.medianSecondsFromPrevious,
      ...(before &&
        beforeFrom !== undefined && {
          change: changeOf({ from, stage }, { from: beforeFrom, stage: before }),
        }),
    };
  });
  const byDropOff = [...steps].sort((a, b) => b.dropOff - a.dropOff || b.lost - a.lost || a.index - b.index);
  if (previous === undefined) return { byDropOff };
  const byChange = [...steps].sort((a, b) => {
    const [x, y] = [a.change?.percentagePoints ?? null, b.change?.percentagePoints ?? null];
    if (x === null || y === null) return (x === null ? 1 : 0) - (y === null ? 1 : 0) || a.index - b.index;
    return x - y || (a.change?.zScore ?? 0) - (b.change?.zScore ?? 0) || a.index - b.index;
  });
  return { byDropOff, byChange };
}

interface Step {
  /** Customers counted at the previous stage. */
  readonly from: number;
  readonly stage: StageFunnelStage;
}

function changeOf(now: Step, then: Step): BottleneckChange {
  const comparable = now.from > 0 && then.from > 0;
  const conversionNow = now.stage.conversionFromPrevious;
  const conversionThen = then.stage.conversionFromPrevious;
  const test = twoProportionZTest(
    { successes: now.stage.customers, trials: now.from },
    { successes: then.stage.customers, trials: then.from },
  );
  return {
    previousFrom: then.from,
    previousCustomers: then.stage.customers,
    previousConversionFromPrevious: then.stage.conversionFromPrevious,
    previousDropOff: then.stage.dropOff,
    percentagePoints: comparable ? (conversionNow - conversionThen) * 100 : null,
    relative: comparable && conversionThen > 0 ? conversionNow / conversionThen - 1 : null,
    zScore: test.zScore,
    pValue: test.pValue,
    significant:
      test.pValue !== null &&
      test.pValue < SIGNIFICANCE_LEVEL &&
      largeEnough(now.stage.customers, now.from, then.stage.customers, then.from),
  };
}

function largeEnough(successesA: number, trialsA: number, successesB: number, trialsB: number): boolean {
  const pooled = (successesA + successesB) / (trialsA + trialsB);
  return [trialsA, trialsB].every(
    (n) => n * pooled >= MIN_EXPECTED_COUNT && n * (1 - pooled) >= MIN_EXPECTED_COUNT,
  );
}
