import { getStageFunnelWhyDrop, postCustomFunnelWhyDrop, WHY_DROP_BOUNDS } from '@waymark/api-contract';
import {
  queryCustomFunnelWhyDrop,
  queryStageFunnelWhyDrop,
  type WhyDropCounts,
  type WhyDropLimits,
} from '@waymark/clickhouse';
import { type CustomerDimension, rankFactors, type StageIndex, stageName } from '@waymark/journey';
import { currentCustomerModel } from '../customer-model.ts';
import { funnelAnswerOf, funnelQueryOf } from './funnel-request.ts';
import { route } from './route.ts';
import { cohortOf } from './stage-funnel.ts';

interface AskedLimits {
  readonly factors: number;
  readonly minSupport: number;
  readonly pathLength: number;
  readonly paths: number;
  readonly dimensions: readonly CustomerDimension[];
}

const queryLimits = (asked: AskedLimits): WhyDropLimits => ({
  events: WHY_DROP_BOUNDS.events,
  propertyKeys: WHY_DROP_BOUNDS.propertyKeys,
  values: WHY_DROP_BOUNDS.valuesPerKey,
  pairs: WHY_DROP_BOUNDS.segmentTouchpointPairs,
  minimumSupport: asked.minSupport,
  pathLength: asked.pathLength,
  paths: asked.paths,
});

/** The counts ranked (packages/journey/src/why-drop.ts) and the paths as shares of the droppers. */
function whyDropFigures(counts: WhyDropCounts, asked: AskedLimits) {
  const ranked = rankFactors(
    counts.factors,
    { converted: counts.converted, dropped: counts.dropped },
    asked.minSupport,
  );
  return {
    converted: counts.converted,
    dropped: counts.dropped,
    limits: {
      factors: asked.factors,
      minSupport: asked.minSupport,
      pathLength: asked.pathLength,
      paths: asked.paths,
      dimensions: [...asked.dimensions],
      ...WHY_DROP_BOUNDS,
    },
    testedFactors: ranked.length,
    factors: ranked.slice(0, asked.factors).map(({ corrected, ...factor }) => ({
      ...factor,
      haldaneCorrected: corrected,
    })),
    paths: counts.paths.map((path) => ({
      ...path,
      touchpoints: [...path.touchpoints],
      share: counts.dropped === 0 ? 0 : path.customers / counts.dropped,
    })),
  };
}

const optionsOf = async (
  clickhouse: Parameters<typeof currentCustomerModel>[0],
  projectId: string,
  asked: AskedLimits,
) => ({
  limits: queryLimits(asked),
  dimensions: asked.dimensions,
  model: (await currentCustomerModel(clickhouse, projectId)).model,
});

export const whyDropRoutes = [
  route(postCustomFunnelWhyDrop, async ({ projectId, body }, { clickhouse }) => {
    const counts = await queryCustomFunnelWhyDrop(
      clickhouse,
      { ...funnelQueryOf(projectId, body), step: body.step },
      await optionsOf(clickhouse, projectId, body),
    );
    return {
      ...funnelAnswerOf(projectId, body),
      step: body.step,
      ...whyDropFigures(counts, body),
    };
  }),

  route(getStageFunnelWhyDrop, async ({ projectId, query }, { clickhouse }) => {
    const cohort = cohortOf(projectId, query);
    const counts = await queryStageFunnelWhyDrop(
      clickhouse,
      { ...cohort.store, stage: query.stage },
      await optionsOf(clickhouse, projectId, query),
    );
    return {
      ...cohort.answer,
      stage: stageName(query.stage),
      nextStage: stageName((query.stage + 1) as StageIndex),
      ...whyDropFigures(counts, query),
    };
  }),
];
