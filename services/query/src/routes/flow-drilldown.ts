import {
  getBottlenecks,
  getCustomerTimeline,
  getStageFlow,
  getStageFunnelCustomers,
  timelineCursor,
} from '@waymark/api-contract';
import {
  queryCustomerTimeline,
  queryFunnelCustomers,
  queryStageFlow,
  queryStageFlowBreakdown,
  queryStageFunnel,
} from '@waymark/clickhouse';
import { rankBottlenecks, stageName } from '@waymark/journey';
import { currentCustomerModel } from '../customer-model.ts';
import { queryProblem } from '../problems.ts';
import { route } from './route.ts';
import { cohortOf } from './stage-funnel.ts';

const profilePath = (projectId: string, customer: string) =>
  `/v1/projects/${projectId}/customers/${encodeURIComponent(customer)}`;

export const flowDrilldownRoutes = [
  route(getStageFlow, async ({ projectId, query }, { clickhouse }) => {
    const asOf = new Date();
    const flowQuery = {
      projectId,
      from: query.from,
      to: query.to,
      exitAfterSeconds: query.exitAfter,
      asOf,
    };
    const model = query.breakdown && (await currentCustomerModel(clickhouse, projectId)).model;
    return {
      projectId,
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      exitAfterSeconds: query.exitAfter,
      asOf: asOf.toISOString(),
      ...(await queryStageFlow(clickhouse, flowQuery)),
      ...(query.breakdown &&
        model && {
          breakdown: {
            dimension: query.breakdown,
            segments: await queryStageFlowBreakdown(clickhouse, {
              ...flowQuery,
              dimension: query.breakdown,
              model,
            }),
          },
        }),
    };
  }),

  route(getBottlenecks, async ({ projectId, query }, { clickhouse }) => {
    const now = Date.now();
    const cohort = cohortOf(projectId, query);
    const span = query.to.getTime() - query.from.getTime();
    const periodOf = (from: Date, to: Date) => ({
      from: from.toISOString(),
      to: to.toISOString(),
      windowComplete: to.getTime() + query.window * 1000 <= now,
    });
    const funnelOf = (from: Date, to: Date) => queryStageFunnel(clickhouse, { ...cohort.store, from, to });
    const previous =
      query.compare === undefined
        ? undefined
        : { from: new Date(query.from.getTime() - span), to: query.from };
    const current = await funnelOf(query.from, query.to);
    const before = previous && (await funnelOf(previous.from, previous.to));
    return {
      ...cohort.answer,
      ...periodOf(query.from, query.to),
      ...(previous && { previous: periodOf(previous.from, previous.to) }),
      ...rankBottlenecks(current, before),
    };
  }),

  route(getStageFunnelCustomers, async ({ projectId, query }, { clickhouse }) => {
    const cohort = cohortOf(projectId, query);
    const page = await queryFunnelCustomers(clickhouse, {
      ...cohort.store,
      stage: query.stage,
      outcome: query.outcome,
      limit: query.limit,
      ...(query.after !== undefined && { after: query.after }),
    });
    return {
      ...cohort.answer,
      stage: stageName(query.stage),
      outcome: query.outcome,
      customers: page.customers.map((c) => ({ ...c, profile: profilePath(projectId, c.customer) })),
      next: page.next,
    };
  }),

  route(getCustomerTimeline, async ({ projectId, params: { customer }, query }, { clickhouse }) => {
    const { limit, before } = query;
    const timeline = await queryCustomerTimeline(clickhouse, {
      projectId,
      customer,
      limit,
      ...(before !== undefined && { before }),
    });
    if (timeline === undefined) throw queryProblem('NOT_FOUND', `no customer ${customer} in this project`);
    return {
      customer: timeline.customer,
      profile: profilePath(projectId, timeline.customer),
      touchpoints: timeline.touchpoints,
      next: timeline.next && timelineCursor(timeline.next),
    };
  }),
];
