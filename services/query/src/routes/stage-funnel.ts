import { getStageFunnel, getStageFunnelTrend, type StageFunnelQuery } from '@waymark/api-contract';
import { queryStageFunnel, queryStageFunnelBreakdown, queryStageFunnelTrend } from '@waymark/clickhouse';
import { stageName } from '@waymark/journey';
import { currentCustomerModel } from '../customer-model.ts';
import { route } from './route.ts';

type Cohort = Pick<StageFunnelQuery, 'from' | 'to' | 'window' | 'mode' | 'stages' | 'filters'>;

/** The cohort the stage funnel endpoints count, as the store reads it and as the answers repeat it. */
export const cohortOf = (projectId: string, query: Cohort) => ({
  store: {
    projectId,
    from: query.from,
    to: query.to,
    windowSeconds: query.window,
    mode: query.mode,
    stages: query.stages,
    filters: query.filters,
  },
  answer: {
    projectId,
    from: query.from.toISOString(),
    to: query.to.toISOString(),
    windowSeconds: query.window,
    mode: query.mode,
    fromStage: stageName(query.stages.from),
    toStage: stageName(query.stages.to),
    filters: query.filters,
  },
});

export const stageFunnelRoutes = [
  route(getStageFunnel, async ({ projectId, query }, { clickhouse }) => {
    const cohort = cohortOf(projectId, query);
    const funnel = await queryStageFunnel(clickhouse, cohort.store);
    const breakdown =
      query.breakdown === undefined
        ? undefined
        : {
            dimension: query.breakdown,
            segments: await queryStageFunnelBreakdown(clickhouse, {
              ...cohort.store,
              dimension: query.breakdown,
              model: (await currentCustomerModel(clickhouse, projectId)).model,
            }),
          };
    return { ...cohort.answer, ...funnel, ...(breakdown && { breakdown }) };
  }),
  route(getStageFunnelTrend, async ({ projectId, query }, { clickhouse }) => {
    const cohort = cohortOf(projectId, query);
    const periods = await queryStageFunnelTrend(clickhouse, {
      ...cohort.store,
      interval: query.interval,
      timezone: query.timezone,
    });
    return {
      ...cohort.answer,
      interval: query.interval,
      timezone: query.timezone,
      periods: periods.map(({ start, entered, stages }) => ({ start, entered, stages })),
    };
  }),
];
