import { getKpis, getRetention } from '@waymark/api-contract';
import { queryKpis, queryRetention } from '@waymark/clickhouse';
import { currentCustomerModel } from '../customer-model.ts';
import { route } from './route.ts';

export const kpiRoutes = [
  route(getKpis, async ({ projectId, query }, { clickhouse }) => {
    return {
      interval: query.interval,
      timezone: query.timezone,
      periods: await queryKpis(clickhouse, { projectId, ...query }),
    };
  }),
  route(getRetention, async ({ projectId, query: { breakdown, ...query } }, { clickhouse }) => {
    const model =
      breakdown === undefined ? undefined : (await currentCustomerModel(clickhouse, projectId)).model;
    const cohorts = await queryRetention(clickhouse, {
      projectId,
      ...query,
      ...(breakdown === undefined || model === undefined
        ? {}
        : { breakdown: { dimension: breakdown, model } }),
    });
    return { interval: query.interval, timezone: query.timezone, periods: query.periods, cohorts };
  }),
];
