import {
  checkFunnelSteps,
  FUNNEL_ORDERS,
  FunnelBreakdown,
  funnelShape,
  MAX_FUNNEL_BREAKDOWNS,
  MAX_FUNNEL_STEPS,
  PropertyKey,
  StepMatch,
  TOUCHPOINT_DIMENSIONS,
} from '@waymark/journey';
import { z } from 'zod';
import { TimeZone } from './kpis.ts';
import {
  ConversionWindow,
  CUSTOMER_DIMENSION_NAMES,
  DateTime,
  fromBeforeTo,
  IsoInstant,
  NullableNumber,
  PageCursor,
  ProjectParams,
  stepFigures,
  TimeToConvert,
} from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

/** The bodies and answers of `POST …/funnels`, `…/funnels/customers` and `…/experiments/compare` (docs/analytics/). */

const range = {
  from: IsoInstant.meta({ description: 'Start of the entry range, inclusive: ISO-8601 date or date-time' }),
  to: IsoInstant.meta({ description: 'End of the entry range, exclusive' }),
  /** As in the query strings (`30d`, `3600`), or a number of seconds. */
  window: z
    .preprocess((value) => (typeof value === 'number' ? String(value) : value), ConversionWindow)
    .prefault('30d')
    .meta({ description: 'Conversion window after entry: seconds or <n>s|m|h|d, at most 366d' }),
};

/**
 * One name or a list of up to three different ones, read as the list either way. Each name is checked
 * here, so a refusal names the field (`breakdown`, or `breakdown.1` in a list) with the names it expects.
 */
const Breakdown = z
  .union(
    [
      z.string().meta({ examples: ['utm_source', 'property:plan', 'type'] }),
      z.array(z.string()).meta({ examples: [['utm_source', 'step1_device']] }),
    ],
    { message: 'expected a dimension name or a list of them' },
  )
  .transform((value, ctx): FunnelBreakdown[] => {
    const names = typeof value === 'string' ? [value] : value;
    if (names.length === 0 || names.length > MAX_FUNNEL_BREAKDOWNS) {
      ctx.addIssue({ code: 'custom', message: `name 1–${MAX_FUNNEL_BREAKDOWNS} dimensions` });
      return z.NEVER;
    }
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', message: 'a dimension appears twice' });
      return z.NEVER;
    }
    const parsed = names.map((name, i) => {
      const result = FunnelBreakdown.safeParse(name);
      if (!result.success) {
        ctx.addIssue({
          code: 'custom',
          message: result.error.issues[0]?.message ?? 'unknown dimension',
          path: typeof value === 'string' ? [] : [i],
        });
      }
      return result.data;
    });
    return parsed.every((dimension) => dimension !== undefined) ? parsed : z.NEVER;
  });

export const CustomFunnelRequest = z
  .strictObject({
    ...range,
    ...funnelShape(2, MAX_FUNNEL_STEPS),
    /** 1–3 step-1 touchpoint or customer dimensions: the funnel once per combination of their values. */
    breakdown: Breakdown.optional().meta({
      description: `A step-1 touchpoint dimension (${TOUCHPOINT_DIMENSIONS.join(', ')}, property:<key>) or a customer dimension (${CUSTOMER_DIMENSION_NAMES}), or a list of up to ${MAX_FUNNEL_BREAKDOWNS} different ones: the funnel per combination of their values`,
    }),
    /** At most this many breakdown values (combinations), those with the most customers at step 1. */
    breakdownLimit: z.int().min(1).max(500).default(50),
  })
  .superRefine(checkFunnelSteps)
  .refine(...fromBeforeTo);
export type CustomFunnelRequest = z.infer<typeof CustomFunnelRequest>;

/** `POST …/funnels/customers`: a funnel (no breakdown) and which step's customers, paged. */
export const FunnelCustomersRequest = z
  .strictObject({
    ...range,
    ...funnelShape(2, MAX_FUNNEL_STEPS),
    step: z.int().min(1).max(MAX_FUNNEL_STEPS),
    outcome: z.enum(['reached', 'dropped']).default('reached'),
    limit: z.int().min(1).max(1000).default(100),
    after: PageCursor.optional(),
  })
  .superRefine(checkFunnelSteps)
  .refine(...fromBeforeTo)
  .refine((q) => q.step <= q.steps.length, { message: 'the funnel has no such step', path: ['step'] })
  .refine((q) => q.outcome === 'reached' || q.step >= 2, {
    message: 'nobody drops at step 1: its customers are the cohort',
    path: ['step'],
  });
export type FunnelCustomersRequest = z.infer<typeof FunnelCustomersRequest>;

const experimentSteps = funnelShape(1, MAX_FUNNEL_STEPS - 1);

export const ExperimentRequest = z
  .strictObject({
    ...range,
    /** The experiment's name, as carried in `properties[experimentProperty]`. */
    experiment: z.string().min(1).max(200),
    experimentProperty: PropertyKey.default('experiment'),
    variantProperty: PropertyKey.default('variant'),
    /** More conditions an exposure touchpoint must meet (e.g. `{ "event": "Experiment Viewed" }`). */
    exposure: StepMatch.optional().meta({ description: 'More conditions on the exposure touchpoint' }),
    /** What happens after exposure, as funnel steps; the exposure is the funnel's implicit first step. */
    ...experimentSteps,
    steps: experimentSteps.steps.meta({
      description: 'What follows the exposure; `[{ "stage": "purchase" }]` for a stage',
    }),
    /** The step (1-based, of `steps`) whose reach is the conversion; the last one by default. */
    conversionStep: z.int().min(1).optional().meta({ description: 'Default: the last step' }),
    /** The variant the others are compared with; the alphabetically first one by default. */
    control: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: 'Default: the alphabetically first variant' }),
    /** Each variant needs this many exposed customers for a verdict (as well as n·p ≥ 5 and n·(1−p) ≥ 5). */
    minimumSample: z.int().min(0).max(1_000_000_000).default(100),
  })
  .superRefine(checkFunnelSteps)
  .refine((q) => q.conversionStep === undefined || q.conversionStep <= q.steps.length, {
    message: 'conversionStep must name one of the steps',
    path: ['conversionStep'],
  })
  .refine(...fromBeforeTo);
export type ExperimentRequest = z.infer<typeof ExperimentRequest>;

/** At most this many variants are reported; an experiment with more is almost certainly mis-tracked. */
export const MAX_VARIANTS = 50;

const Steps = z.array(
  z.object({
    step: z.int().min(1),
    name: z.string().nullable(),
    ...stepFigures,
    timeToConvert: TimeToConvert,
  }),
);

const ExcludedCustomers = z.int().meta({
  description: 'Cohort customers all of whose attempts an exclusion step invalidated (counted at no step)',
});

export const CustomFunnelAnswer = z.object({
  projectId: z.string(),
  from: DateTime,
  to: DateTime,
  windowSeconds: z.int(),
  order: z.enum(FUNNEL_ORDERS),
  steps: Steps,
  excludedCustomers: ExcludedCustomers,
  breakdown: z
    .object({
      dimension: z.string().meta({ description: "The dimensions' names joined by ' / '" }),
      dimensions: z.array(z.string()).meta({ description: 'The dimensions, in the order asked' }),
      truncated: z.boolean().meta({ description: 'More values than `breakdownLimit`' }),
      segments: z.array(
        z.object({
          value: z.string().meta({
            description: "The values joined by ' / ' (with one dimension, its value); '' when unknown",
          }),
          values: z.array(z.string()).meta({
            description: "The value of each dimension, in the order of `dimensions`; '' when unknown",
          }),
          excludedCustomers: ExcludedCustomers,
          steps: Steps,
        }),
      ),
    })
    .optional()
    .meta({ description: 'The funnel once per value (combination), most customers at step 1 first' }),
});

export const FunnelCustomersAnswer = z.object({
  step: z.int(),
  outcome: z.enum(['reached', 'dropped']),
  customers: z.array(
    z.object({
      customer: z.string(),
      enteredAt: DateTime,
      profile: z.string().meta({ description: 'Path of the customer profile' }),
    }),
  ),
  next: z.string().nullable(),
});

export const ExperimentAnswer = z.object({
  projectId: z.string(),
  experiment: z.string(),
  from: DateTime,
  to: DateTime,
  windowSeconds: z.int(),
  order: z.enum(FUNNEL_ORDERS),
  conversionStep: z.int(),
  control: z.string().nullable(),
  exposedCustomers: z.int().meta({ description: 'Cohort customers with one variant' }),
  multipleVariantCustomers: z
    .int()
    .meta({ description: 'Cohort customers exposed to more than one variant, left out' }),
  excludedCustomers: ExcludedCustomers,
  variantsTruncated: z.boolean().meta({ description: `More than ${MAX_VARIANTS} variants` }),
  variants: z.array(
    z.object({
      variant: z.string(),
      exposed: z.int(),
      converted: z.int(),
      conversionRate: z.number(),
      excludedCustomers: ExcludedCustomers,
      steps: Steps.meta({ description: 'Step 1 is the exposure' }),
      comparison: z
        .object({
          absoluteLift: z.number(),
          relativeLift: NullableNumber,
          zScore: NullableNumber,
          pValue: NullableNumber.meta({ description: 'Two-sided, pooled two-proportion z-test' }),
          confidenceInterval: z
            .object({ level: z.number(), lower: z.number(), upper: z.number() })
            .meta({ description: 'Unpooled Wald interval of the difference in conversion rate' }),
          enoughData: z.boolean(),
          verdict: z.enum(['better', 'worse', 'no significant difference', 'not enough data']),
        })
        .nullable()
        .meta({ description: 'Against the control; null for the control' }),
    }),
  ),
});

export const postCustomFunnel = defineRoute({
  method: 'post',
  path: '/v1/projects/:projectId/funnels',
  operationId: 'postCustomFunnel',
  summary: 'Custom funnel: 2–20 ordered steps over any touchpoints, per identity-resolved customer',
  description:
    'Every step-1 touchpoint in [from, to) starts an attempt; steps count within `window` after its start, one touchpoint per step: `ordered` (other touchpoints allowed in between), `strict` (none but repeats of the step reached), or `unordered` (step i = any i of the steps; every step touchpoint starts an attempt). A customer counts once, at its furthest attempt. Optional steps may be skipped. Exclusion steps invalidate the attempt they fall in. Breakdown by up to three dimensions, each a step-1 touchpoint dimension or a customer dimension; every step after the first has a time-to-convert histogram. docs/analytics/custom-funnels.md defines every figure.',
  params: ProjectParams,
  body: CustomFunnelRequest,
  response: {
    status: 200,
    description: 'The steps in order, with the breakdown when asked',
    schema: CustomFunnelAnswer,
  },
  errors: [400, 401, 403],
});

export const postCustomFunnelCustomers = defineRoute({
  method: 'post',
  path: '/v1/projects/:projectId/funnels/customers',
  operationId: 'postCustomFunnelCustomers',
  summary: 'Drill-down: the customers who reached, or dropped at, a step of a custom funnel (paged)',
  description:
    "The same funnel definition as `POST /funnels` (no breakdown), plus `step` (1-based), `outcome` (`reached`: counted at the step; `dropped`: counted at the step before and not at this one) and keyset paging (`limit`, `after` = the previous page's `next`). The pages add up to the funnel's counts exactly; excluded customers are in neither.",
  params: ProjectParams,
  body: FunnelCustomersRequest,
  response: {
    status: 200,
    description: 'Customers in customer-key order; `next` is null on the last page',
    schema: FunnelCustomersAnswer,
  },
  errors: [400, 401, 403],
});

export const compareExperimentVariants = defineRoute({
  method: 'post',
  path: '/v1/projects/:projectId/experiments/compare',
  operationId: 'compareExperimentVariants',
  summary: 'A/B comparison: conversion per variant, lift, two-proportion z-test and 95% interval',
  description:
    "A customer's variant is the value of `variantProperty` on its first touchpoint carrying `experimentProperty` = `experiment` (its exposure); customers exposed to several variants are left out and counted. Cohort: first exposure in [from, to). Conversion: reaching `conversionStep` of `steps` within `window` after the exposure. Each variant is compared with the control; below the minimum sample or when n·p or n·(1−p) < 5 the verdict is `not enough data`. docs/analytics/experiments.md.",
  params: ProjectParams,
  body: ExperimentRequest,
  response: { status: 200, description: 'The variants, control first', schema: ExperimentAnswer },
  errors: [400, 401, 403],
});

/** `POST …/funnels/trend`: a funnel (no breakdown) per calendar period of entry. */
export const CustomFunnelTrendRequest = z
  .strictObject({
    ...range,
    ...funnelShape(2, MAX_FUNNEL_STEPS),
    interval: z
      .enum(['day', 'week', 'month'], { message: 'interval must be one of day, week, month' })
      .default('week')
      .meta({ description: 'The calendar period of entry each cohort is cut by (weeks start on Monday)' }),
    timezone: TimeZone.default('UTC').meta({ description: 'IANA time zone the periods are cut in' }),
  })
  .superRefine(checkFunnelSteps)
  .refine(...fromBeforeTo);
export type CustomFunnelTrendRequest = z.infer<typeof CustomFunnelTrendRequest>;

export const CustomFunnelTrendAnswer = z.object({
  projectId: z.string(),
  from: DateTime,
  to: DateTime,
  windowSeconds: z.int(),
  order: z.enum(FUNNEL_ORDERS),
  interval: z.enum(['day', 'week', 'month']),
  timezone: z.string(),
  periods: z.array(z.object({ start: DateTime, excludedCustomers: ExcludedCustomers, steps: Steps })).meta({
    description:
      'Every period overlapping [from, to), oldest first; the first and last may be partial, one without entries has zeros',
  }),
});

export const postCustomFunnelTrend = defineRoute({
  method: 'post',
  path: '/v1/projects/:projectId/funnels/trend',
  operationId: 'postCustomFunnelTrend',
  summary: 'Conversion over time: a custom funnel per day, week or month of entry',
  description:
    "The funnel of `POST /funnels` (no breakdown), split by the calendar period (in `timezone`) of each customer's entry: each period's figures are the funnel of the customers who entered in it (and in [from, to)), conversion from start included. A period with no entry has zero customers and no times. At most 400 periods. docs/analytics/custom-funnels.md.",
  params: ProjectParams,
  body: CustomFunnelTrendRequest,
  response: {
    status: 200,
    description: 'One entry per period, oldest first',
    schema: CustomFunnelTrendAnswer,
  },
  errors: [400, 401, 403],
});
