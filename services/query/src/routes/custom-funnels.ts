import {
  compareExperimentVariants,
  MAX_VARIANTS,
  postCustomFunnel,
  postCustomFunnelCustomers,
  postCustomFunnelTrend,
} from '@waymark/api-contract';
import {
  type CustomFunnelCounts,
  type CustomFunnelResult,
  queryCustomFunnel,
  queryCustomFunnelCustomers,
  queryCustomFunnelTrend,
} from '@waymark/clickhouse';
import { compareVariants, experimentFunnel, variantCounts } from '@waymark/journey';
import { currentCustomerModel } from '../customer-model.ts';
import { queryProblem } from '../problems.ts';
import { funnelAnswerOf, funnelQueryOf } from './funnel-request.ts';
import { route } from './route.ts';

/** The steps of a result, numbered and labelled with the names the request gave them. */
const namedSteps = (counts: CustomFunnelCounts, names: readonly (string | null)[]) =>
  counts.steps.map((figures, position) => ({
    step: position + 1,
    name: names[position] ?? null,
    ...figures,
  }));

export const customFunnelRoutes = [
  route(postCustomFunnel, async ({ projectId, body }, { clickhouse }) => {
    const dimensions = body.breakdown;
    const breakdown = dimensions && {
      dimensions,
      limit: body.breakdownLimit,
      ...(dimensions.some((d) => d.kind === 'customer') && {
        model: (await currentCustomerModel(clickhouse, projectId)).model,
      }),
    };
    const result: CustomFunnelResult = await queryCustomFunnel(clickhouse, {
      ...funnelQueryOf(projectId, body),
      ...(breakdown && { breakdown }),
    });
    const names = body.steps.map((step) => step.name ?? null);
    return {
      ...funnelAnswerOf(projectId, body),
      steps: namedSteps(result, names),
      excludedCustomers: result.excludedCustomers,
      ...(dimensions && {
        breakdown: {
          dimension: dimensions.map((d) => d.dimension).join(' / '),
          dimensions: dimensions.map((d) => d.dimension),
          truncated: result.segmentsTruncated ?? false,
          segments: (result.segments ?? []).map((segment) => ({
            value: segment.value,
            values: segment.values,
            excludedCustomers: segment.excludedCustomers,
            steps: namedSteps(segment, names),
          })),
        },
      }),
    };
  }),

  route(postCustomFunnelCustomers, async ({ projectId, body }, { clickhouse }) => {
    const page = await queryCustomFunnelCustomers(clickhouse, {
      ...funnelQueryOf(projectId, body),
      step: body.step,
      outcome: body.outcome,
      limit: body.limit,
      ...(body.after !== undefined && { after: body.after }),
    });
    return {
      step: body.step,
      outcome: body.outcome,
      customers: page.customers.map((c) => ({
        ...c,
        profile: `/v1/projects/${projectId}/customers/${encodeURIComponent(c.customer)}`,
      })),
      next: page.next,
    };
  }),

  route(compareExperimentVariants, async ({ projectId, body }, { clickhouse }) => {
    const result = await queryCustomFunnel(clickhouse, {
      ...funnelQueryOf(projectId, body),
      funnel: experimentFunnel(body),
      breakdown: {
        dimensions: [{ kind: 'touchpoint', dimension: `property:${body.variantProperty}` }],
        limit: MAX_VARIANTS,
      },
      oneValuePerCustomer: true,
    });
    const conversionStep = body.conversionStep ?? body.steps.length;
    const segments = result.segments ?? [];
    const comparison = compareVariants(variantCounts(segments, conversionStep), {
      control: body.control,
      minimumSample: body.minimumSample,
    });
    if (!comparison.ok) {
      throw queryProblem('INVALID_REQUEST', `control: ${comparison.reason}`, {
        extra: { errors: [{ field: 'control', message: comparison.reason }] },
      });
    }
    const names = ['exposure', ...body.steps.map((step) => step.name ?? null)];
    return {
      ...funnelAnswerOf(projectId, body),
      experiment: body.experiment,
      conversionStep,
      control: comparison.control,
      exposedCustomers: result.steps[0]?.customers ?? 0,
      multipleVariantCustomers: result.conflictingCustomers,
      excludedCustomers: result.excludedCustomers,
      variantsTruncated: result.segmentsTruncated ?? false,
      variants: comparison.variants.map((variant) => {
        const segment = segments.find((s) => s.value === variant.variant) as CustomFunnelCounts;
        return {
          ...variant,
          excludedCustomers: segment.excludedCustomers,
          steps: namedSteps(segment, names),
        };
      }),
    };
  }),

  route(postCustomFunnelTrend, async ({ projectId, body }, { clickhouse }) => {
    const periods = await queryCustomFunnelTrend(clickhouse, {
      ...funnelQueryOf(projectId, body),
      interval: body.interval,
      timezone: body.timezone,
    });
    const names = body.steps.map((step) => step.name ?? null);
    return {
      ...funnelAnswerOf(projectId, body),
      interval: body.interval,
      timezone: body.timezone,
      periods: periods.map((period) => ({
        start: period.start,
        excludedCustomers: period.excludedCustomers,
        steps: namedSteps(period, names),
      })),
    };
  }),
];
