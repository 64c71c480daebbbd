import type { CustomFunnelDefinition } from '@waymark/clickhouse';
import {
  checkExclusionSteps,
  FunnelBreakdown,
  type FunnelStep,
  funnelShape,
  MAX_FUNNEL_STEPS,
  PropertyKey,
  StepMatch,
} from '@waymark/journey';
import { z } from 'zod';
import { ConversionWindow, fromBeforeTo, IsoInstant } from './params.ts';

/** The bodies of `POST …/funnels` and `POST …/experiments/compare` (docs/analytics/). */

const range = {
  from: IsoInstant,
  to: IsoInstant,
  /** As in the query strings (`30d`, `3600`), or a number of seconds. */
  window: z
    .preprocess((value) => (typeof value === 'number' ? String(value) : value), ConversionWindow)
    .prefault('30d'),
};

export const CustomFunnelRequest = z
  .strictObject({
    ...range,
    ...funnelShape(2, MAX_FUNNEL_STEPS),
    /** A step-1 touchpoint dimension or a customer dimension: the funnel once per value. */
    breakdown: FunnelBreakdown.optional(),
    /** At most this many breakdown values, those with the most customers at step 1. */
    breakdownLimit: z.int().min(1).max(500).default(50),
  })
  .superRefine(checkExclusionSteps)
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
    /** The `next` cursor of the previous page. */
    after: z.string().max(600).optional(),
  })
  .superRefine(checkExclusionSteps)
  .refine(...fromBeforeTo)
  .refine((q) => q.step <= q.steps.length, { message: 'the funnel has no such step', path: ['step'] })
  .refine((q) => q.outcome === 'reached' || q.step >= 2, {
    message: 'nobody drops at step 1: its customers are the cohort',
    path: ['step'],
  });
export type FunnelCustomersRequest = z.infer<typeof FunnelCustomersRequest>;

export const ExperimentRequest = z
  .strictObject({
    ...range,
    /** The experiment's name, as carried in `properties[experimentProperty]`. */
    experiment: z.string().min(1).max(200),
    experimentProperty: PropertyKey.default('experiment'),
    variantProperty: PropertyKey.default('variant'),
    /** More conditions an exposure touchpoint must meet (e.g. `{ "event": "Experiment Viewed" }`). */
    exposure: StepMatch.optional(),
    /** What happens after exposure, as funnel steps; the exposure is the funnel's implicit first step. */
    ...funnelShape(1, MAX_FUNNEL_STEPS - 1),
    /** The step (1-based, of `steps`) whose reach is the conversion; the last one by default. */
    conversionStep: z.int().min(1).optional(),
    /** The variant the others are compared with; the alphabetically first one by default. */
    control: z.string().min(1).max(200).optional(),
    /** Each variant needs this many exposed customers for a verdict (as well as n·p ≥ 5 and n·(1−p) ≥ 5). */
    minimumSample: z.int().min(0).max(1_000_000_000).default(100),
  })
  .superRefine(checkExclusionSteps)
  .refine((q) => q.conversionStep === undefined || q.conversionStep <= q.steps.length, {
    message: 'conversionStep must name one of the steps',
    path: ['conversionStep'],
  })
  .refine(...fromBeforeTo);
export type ExperimentRequest = z.infer<typeof ExperimentRequest>;

/** At most this many variants are reported; an experiment with more is almost certainly mis-tracked. */
export const MAX_VARIANTS = 50;

/**
 * The experiment as a custom funnel: step 1 is the exposure (a touchpoint carrying the experiment's name and
 * a variant), the request's steps follow, exclusions shift by one.
 */
export function experimentFunnel(request: ExperimentRequest): CustomFunnelDefinition {
  const exposure: FunnelStep = {
    ...request.exposure,
    properties: [
      ...(request.exposure?.properties ?? []),
      { property: request.experimentProperty, eq: request.experiment },
      { property: request.variantProperty, exists: true, neq: '' },
    ],
  };
  return {
    steps: [exposure, ...request.steps],
    order: request.order,
    exclusions: request.exclusions.map((exclusion) => ({
      ...exclusion,
      afterStep: exclusion.afterStep + 1,
      beforeStep: exclusion.beforeStep + 1,
    })),
  };
}
