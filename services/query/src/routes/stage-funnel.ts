import { getStageFunnel, getStageFunnelTrend } from '@waymark/api-contract';
import { queryStageFunnel, queryStageFunnelBreakdown, queryStageFunnelTrend } from '@waymark/clickhouse';
import { currentCustomerModel } from '../customer-model.ts';
import { route } from './route.ts';

export const stageFunnelRoutes = [
  route(getStageFunnel, async ({ projectId, query }, { clickhouse }) => {
    const funnelQuery = {
      projectId,
      from: query.from,
      to: query.to,
      windowSeconds: query.window,
      mode: query.mode,
      filters: query.filters,
    };
    const funnel = await queryStageFunnel(clickhouse, funnelQuery);
    const breakdown =
      query.breakdown === undefined
        ? undefined
        : {
            dimension: query.breakdown,
            segments: await queryStageFunnelBreakdown(clickhouse, {
              ...funnelQuery,
              dimension: query.breakdown,
              model: (await currentCustomerModel(clickhouse, projectId)).model,
            }),
          };
    return {
      projectId,
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      windowSeconds: query.window,
      mode: query.mode,
      filters: query.filters,
      ...funnel,
      ...(breakdown && { breakdown }),
    };
  }),
  route(getStageFunnelTrend, async ({ projectId, query }, { clickhouse }) => {
    const periods = await queryStageFunnelTrend(clickhouse, {
      projectId,
      from: query.from,
      to: query.to,
      windowSeconds: query.window,
      mode: query.mode,
      filters: query.filters,
      interval: query.interval,
      timezone: query.timezone,
    });
    return {
      projectId,
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      windowSeconds: query.window,
      mode: query.mode,
      interval: query.interval,
      timezone: query.timezone,
      filters: query.filters,
      periods: periods.map(({ start, entered, stages }) => ({ start, entered, stages })),
    };
  }),
];
