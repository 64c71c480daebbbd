import {
  type CustomFunnelCounts,
  type CustomFunnelResult,
  queryCustomFunnel,
  queryCustomFunnelCustomers,
} from '@waymark/clickhouse';
import {
  compareVariants,
  FUNNEL_ORDERS,
  MAX_FUNNEL_EXCLUSIONS,
  MAX_FUNNEL_STEPS,
  STAGE_NAMES,
  TOUCHPOINT_DIMENSIONS,
} from '@waymark/journey';
import { currentCustomerModel } from '../customer-model.ts';
import {
  CustomFunnelRequest,
  ExperimentRequest,
  experimentFunnel,
  FunnelCustomersRequest,
  MAX_VARIANTS,
} from '../funnel-requests.ts';
import { dimensionSchema, json, nullableNumber, problem, projectIdParameter } from '../openapi-schemas.ts';
import { queryProblem } from '../problems.ts';
import { parse } from '../validation.ts';
import type { ApiRoutes } from './route.ts';

const rangeProperties = {
  from: { type: 'string', description: 'Start of the entry range, inclusive: ISO-8601 date or date-time' },
  to: { type: 'string', description: 'End of the entry range, exclusive' },
  window: {
    type: 'string',
    default: '30d',
    pattern: '^\\d{1,9}(s|m|h|d)?$',
    description: 'Conversion window after entry: seconds or <n>s|m|h|d, at most 366d',
  },
};

const propertyKeySchema = { type: 'string', pattern: '^[A-Za-z0-9_$][A-Za-z0-9_.$-]{0,99}$' };
const scalar = { type: ['string', 'number', 'boolean', 'null'] };
const oneOrMany = (item: Record<string, unknown>) => ({
  anyOf: [item, { type: 'array', minItems: 1, maxItems: 100, items: item }],
});

function stepMatchSchema(extra: Record<string, unknown> = {}) {
  return {
    type: 'object',
    additionalProperties: false,
    description: 'All conditions present must hold; at least one of type, event, pagePath, stage, properties',
    properties: {
      type: oneOrMany({ type: 'string', enum: ['track', 'page', 'screen', 'identify', 'group', 'alias'] }),
      event: oneOrMany({ type: 'string', minLength: 1, maxLength: 200 }),
      pagePath: {
        ...oneOrMany({ type: 'string', minLength: 1, maxLength: 1024 }),
        description: 'Glob(s): `*` is any run of characters; case-insensitive; the whole path must match',
      },
      stage: {
        description: 'A touchpoint staged at this stage or later',
        anyOf: [
          { type: 'integer', minimum: 1, maximum: 7 },
          { type: 'string', enum: [...STAGE_NAMES] },
        ],
      },
      properties: {
        type: 'array',
        maxItems: 20,
        items: {
          type: 'object',
          required: ['property'],
          additionalProperties: false,
          description: 'On `properties.<property>`; every operator given must hold',
          properties: {
            property: propertyKeySchema,
            eq: scalar,
            neq: { ...scalar, description: 'Also holds when the key is absent' },
            in: { type: 'array', minItems: 1, maxItems: 100, items: scalar },
            gte: { type: 'number', description: 'Numbers and numeric strings' },
            lte: { type: 'number' },
            exists: { type: 'boolean', description: 'Present and not null' },
            contains: { type: 'string', description: 'Case-insensitive substring of a string value' },
          },
        },
      },
      ...extra,
    },
  };
}

const funnelStepSchema = () => stepMatchSchema({ name: { type: 'string', maxLength: 200 } });

function orderProperties() {
  return {
    order: { type: 'string', enum: [...FUNNEL_ORDERS], default: 'ordered' },
    exclusions: {
      type: 'array',
      maxItems: MAX_FUNNEL_EXCLUSIONS,
      description:
        'Customers with a matching touchpoint after `afterStep` and before `beforeStep` leave the funnel',
      items: stepMatchSchema({
        afterStep: { type: 'integer', minimum: 1 },
        beforeStep: { type: 'integer', minimum: 2 },
      }),
    },
  };
}

const excludedCustomersSchema = {
  type: 'integer',
  description: 'Cohort customers dropped by an exclusion step (counted at no step)',
};

const stepsSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['step', 'customers', 'conversionFromStart', 'conversionFromPrevious', 'dropOff'],
    properties: {
      step: { type: 'integer', minimum: 1 },
      name: { type: ['string', 'null'] },
      customers: { type: 'integer' },
      conversionFromStart: { type: 'number' },
      conversionFromPrevious: { type: 'number' },
      dropOff: { type: 'number' },
      medianSecondsFromPrevious: nullableNumber,
      p90SecondsFromPrevious: nullableNumber,
      medianSecondsToNext: nullableNumber,
      p90SecondsToNext: nullableNumber,
    },
  },
};

/** The steps of a result, numbered and labelled with the names the request gave them. */
const namedSteps = (counts: CustomFunnelCounts, names: readonly (string | null)[]) =>
  counts.steps.map((figures, position) => ({
    step: position + 1,
    name: names[position] ?? null,
    ...figures,
  }));

export const customFunnelRoutes: ApiRoutes = {
  register(app, { clickhouse, authorize }) {
    app.post('/v1/projects/:projectId/funnels', async (request) => {
      const projectId = await authorize(request);
      const body = parse(CustomFunnelRequest, request.body);
      const breakdown =
        body.breakdown?.kind === 'customer'
          ? {
              ...body.breakdown,
              limit: body.breakdownLimit,
              model: (await currentCustomerModel(clickhouse, projectId)).model,
            }
          : body.breakdown && { ...body.breakdown, limit: body.breakdownLimit };
      const result: CustomFunnelResult = await queryCustomFunnel(clickhouse, {
        projectId,
        from: body.from,
        to: body.to,
        windowSeconds: body.window,
        funnel: body,
        ...(breakdown && { breakdown }),
      });
      const names = body.steps.map((step) => step.name ?? null);
      return {
        projectId,
        from: body.from.toISOString(),
        to: body.to.toISOString(),
        windowSeconds: body.window,
        order: body.order,
        steps: namedSteps(result, names),
        excludedCustomers: result.excludedCustomers,
        ...(body.breakdown && {
          breakdown: {
            dimension: body.breakdown.dimension,
            truncated: result.segmentsTruncated ?? false,
            segments: (result.segments ?? []).map((segment) => ({
              value: segment.value,
              excludedCustomers: segment.excludedCustomers,
              steps: namedSteps(segment, names),
            })),
          },
        }),
      };
    });

    app.post('/v1/projects/:projectId/funnels/customers', async (request) => {
      const projectId = await authorize(request);
      const body = parse(FunnelCustomersRequest, request.body);
      const page = await queryCustomFunnelCustomers(clickhouse, {
        projectId,
        from: body.from,
        to: body.to,
        windowSeconds: body.window,
        funnel: body,
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
    });

    app.post('/v1/projects/:projectId/experiments/compare', async (request) => {
      const projectId = await authorize(request);
      const body = parse(ExperimentRequest, request.body);
      const result = await queryCustomFunnel(clickhouse, {
        projectId,
        from: body.from,
        to: body.to,
        windowSeconds: body.window,
        funnel: experimentFunnel(body),
        breakdown: { kind: 'touchpoint', dimension: `property:${body.variantProperty}`, limit: MAX_VARIANTS },
        oneValuePerCustomer: true,
      });
      const conversionStep = body.conversionStep ?? body.steps.length;
      // A variant only customers exposed to several variants saw first has nobody left in it.
      const variants = (result.segments ?? []).filter((segment) => (segment.steps[0]?.customers ?? 0) > 0);
      const comparison = compareVariants(
        variants.map((segment) => ({
          variant: segment.value,
          exposed: segment.steps[0]?.customers ?? 0,
          converted: segment.steps[conversionStep]?.customers ?? 0,
        })),
        { control: body.control, minimumSample: body.minimumSample },
      );
      if (!comparison.ok) {
        throw queryProblem('INVALID_REQUEST', `control: ${comparison.reason}`, {
          extra: { errors: [{ field: 'control', message: comparison.reason }] },
        });
      }
      const names = ['exposure', ...body.steps.map((step) => step.name ?? null)];
      return {
        projectId,
        experiment: body.experiment,
        from: body.from.toISOString(),
        to: body.to.toISOString(),
        windowSeconds: body.window,
        order: body.order,
        conversionStep,
        control: comparison.control,
        exposedCustomers: result.steps[0]?.customers ?? 0,
        multipleVariantCustomers: result.conflictingCustomers,
        excludedCustomers: result.excludedCustomers,
        variantsTruncated: result.segmentsTruncated ?? false,
        variants: comparison.variants.map((variant) => {
          const segment = variants.find((s) => s.value === variant.variant) as CustomFunnelCounts;
          return {
            ...variant,
            excludedCustomers: segment.excludedCustomers,
            steps: namedSteps(segment, names),
          };
        }),
      };
    });
  },
  paths: {
    '/v1/projects/{projectId}/funnels': {
      post: {
        operationId: 'postCustomFunnel',
        summary: 'Custom funnel: 2–20 ordered steps over any touchpoints, per identity-resolved customer',
        description:
          'Cohort: customers whose first step-1 touchpoint is in [from, to). Steps count within `window` after that entry: `ordered` (other touchpoints allowed in between), `strict` (none), or `any` (after step 1, any order). Exclusion steps drop customers with a matching touchpoint between two steps. Breakdown by a step-1 touchpoint dimension or a customer dimension. docs/analytics/custom-funnels.md defines every figure.',
        parameters: [projectIdParameter],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['from', 'to', 'steps'],
            additionalProperties: false,
            properties: {
              ...rangeProperties,
              steps: { type: 'array', minItems: 2, maxItems: MAX_FUNNEL_STEPS, items: funnelStepSchema() },
              ...orderProperties(),
              breakdown: {
                type: 'string',
                description: `A step-1 touchpoint dimension (${TOUCHPOINT_DIMENSIONS.join(', ')}, property:<key>) or a customer dimension. ${dimensionSchema.description}`,
                examples: ['utm_source', 'property:plan', 'type'],
              },
              breakdownLimit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            },
          }),
        },
        responses: {
          200: {
            description: 'The steps in order, with the breakdown when asked',
            content: json({
              type: 'object',
              required: ['steps', 'excludedCustomers'],
              properties: {
                projectId: { type: 'string' },
                from: { type: 'string', format: 'date-time' },
                to: { type: 'string', format: 'date-time' },
                windowSeconds: { type: 'integer' },
                order: { type: 'string', enum: [...FUNNEL_ORDERS] },
                steps: stepsSchema,
                excludedCustomers: excludedCustomersSchema,
                breakdown: {
                  type: 'object',
                  description: 'The funnel once per value, most customers at step 1 first',
                  properties: {
                    dimension: { type: 'string' },
                    truncated: { type: 'boolean', description: 'More values than `breakdownLimit`' },
                    segments: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          value: { type: 'string', description: "'' when unknown" },
                          excludedCustomers: excludedCustomersSchema,
                          steps: stepsSchema,
                        },
                      },
                    },
                  },
                },
              },
            }),
          },
          400: problem,
          401: problem,
          403: problem,
        },
      },
    },
    '/v1/projects/{projectId}/funnels/customers': {
      post: {
        operationId: 'postCustomFunnelCustomers',
        summary: 'Drill-down: the customers who reached, or dropped at, a step of a custom funnel (paged)',
        description:
          "The same funnel definition as `POST /funnels` (no breakdown), plus `step` (1-based), `outcome` (`reached`: counted at the step; `dropped`: counted at the step before and not at this one) and keyset paging (`limit`, `after` = the previous page's `next`). The pages add up to the funnel's counts exactly; excluded customers are in neither.",
        parameters: [projectIdParameter],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['from', 'to', 'steps', 'step'],
            additionalProperties: false,
            properties: {
              ...rangeProperties,
              steps: { type: 'array', minItems: 2, maxItems: MAX_FUNNEL_STEPS, items: funnelStepSchema() },
              ...orderProperties(),
              step: { type: 'integer', minimum: 1, maximum: MAX_FUNNEL_STEPS },
              outcome: { type: 'string', enum: ['reached', 'dropped'], default: 'reached' },
              limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
              after: { type: 'string' },
            },
          }),
        },
        responses: {
          200: {
            description: 'Customers in customer-key order; `next` is null on the last page',
            content: json({
              type: 'object',
              properties: {
                step: { type: 'integer' },
                outcome: { type: 'string' },
                customers: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      customer: { type: 'string' },
                      enteredAt: { type: 'string', format: 'date-time' },
                      profile: { type: 'string', description: 'Path of the customer profile' },
                    },
                  },
                },
                next: { type: ['string', 'null'] },
              },
            }),
          },
          400: problem,
          401: problem,
          403: problem,
        },
      },
    },
    '/v1/projects/{projectId}/experiments/compare': {
      post: {
        operationId: 'compareExperimentVariants',
        summary: 'A/B comparison: conversion per variant, lift, two-proportion z-test and 95% interval',
        description:
          "A customer's variant is the value of `variantProperty` on its first touchpoint carrying `experimentProperty` = `experiment` (its exposure); customers exposed to several variants are left out and counted. Cohort: first exposure in [from, to). Conversion: reaching `conversionStep` of `steps` within `window` after the exposure. Each variant is compared with the control; below the minimum sample or when n·p or n·(1−p) < 5 the verdict is `not enough data`. docs/analytics/experiments.md.",
        parameters: [projectIdParameter],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['from', 'to', 'experiment', 'steps'],
            additionalProperties: false,
            properties: {
              ...rangeProperties,
              experiment: { type: 'string', minLength: 1, maxLength: 200 },
              experimentProperty: { ...propertyKeySchema, default: 'experiment' },
              variantProperty: { ...propertyKeySchema, default: 'variant' },
              exposure: { ...stepMatchSchema(), description: 'More conditions on the exposure touchpoint' },
              steps: {
                type: 'array',
                minItems: 1,
                maxItems: MAX_FUNNEL_STEPS - 1,
                description: 'What follows the exposure; `[{ "stage": "purchase" }]` for a stage',
                items: funnelStepSchema(),
              },
              ...orderProperties(),
              conversionStep: { type: 'integer', minimum: 1, description: 'Default: the last step' },
              control: { type: 'string', description: 'Default: the alphabetically first variant' },
              minimumSample: { type: 'integer', minimum: 0, default: 100 },
            },
          }),
        },
        responses: {
          200: {
            description: 'The variants, control first',
            content: json({
              type: 'object',
              required: ['variants', 'control', 'exposedCustomers', 'multipleVariantCustomers'],
              properties: {
                projectId: { type: 'string' },
                experiment: { type: 'string' },
                from: { type: 'string', format: 'date-time' },
                to: { type: 'string', format: 'date-time' },
                windowSeconds: { type: 'integer' },
                order: { type: 'string', enum: [...FUNNEL_ORDERS] },
                conversionStep: { type: 'integer' },
                control: { type: ['string', 'null'] },
                exposedCustomers: { type: 'integer', description: 'Cohort customers with one variant' },
                multipleVariantCustomers: {
                  type: 'integer',
                  description: 'Cohort customers exposed to more than one variant, left out',
                },
                excludedCustomers: excludedCustomersSchema,
                variantsTruncated: { type: 'boolean', description: `More than ${MAX_VARIANTS} variants` },
                variants: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      variant: { type: 'string' },
                      exposed: { type: 'integer' },
                      converted: { type: 'integer' },
                      conversionRate: { type: 'number' },
                      excludedCustomers: excludedCustomersSchema,
                      steps: { ...stepsSchema, description: 'Step 1 is the exposure' },
                      comparison: {
                        type: ['object', 'null'],
                        description: 'Against the control; null for the control',
                        properties: {
                          absoluteLift: { type: 'number' },
                          relativeLift: nullableNumber,
                          zScore: nullableNumber,
                          pValue: {
                            ...nullableNumber,
                            description: 'Two-sided, pooled two-proportion z-test',
                          },
                          confidenceInterval: {
                            type: 'object',
                            description: 'Unpooled Wald interval of the difference in conversion rate',
                            properties: {
                              level: { type: 'number' },
                              lower: { type: 'number' },
                              upper: { type: 'number' },
                            },
                          },
                          enoughData: { type: 'boolean' },
                          verdict: {
                            type: 'string',
                            enum: ['better', 'worse', 'no significant difference', 'not enough data'],
                          },
                        },
                      },
                    },
                  },
                },
              },
            }),
          },
          400: problem,
          401: problem,
          403: problem,
        },
      },
    },
  },
};
