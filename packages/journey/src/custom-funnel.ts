import { WIRE_EVENT_TYPES } from '@waymark/events';
import { z } from 'zod';
import { CUSTOMER_DIMENSIONS, CustomerDimension } from './customer-model.ts';
import { PathGlob, StageRef } from './stage-ruleset.ts';

/**
 * A custom funnel (docs/analytics/custom-funnels.md): 2–20 ordered steps, each a match over any touchpoint,
 * counted per identity-resolved customer. Every condition compiles to SQL with its values as query
 * parameters, so the limits below are what keeps a request cheap to validate and to run, and a property
 * key is held to a strict pattern because it names a JSON key inside the query.
 */

export const MAX_FUNNEL_STEPS = 20;
export const MAX_FUNNEL_EXCLUSIONS = 10;
const MAX_VALUES = 100;
const MAX_TEXT = 1000;

/** A top-level key of a touchpoint's `properties`. */
export const PropertyKey = z.string().regex(/^[A-Za-z0-9_$][A-Za-z0-9_.$-]{0,99}$/, {
  message: 'expected a property key of letters, digits, _ . $ - (at most 100 characters)',
});

const Text = z.string().max(MAX_TEXT);
const Scalar = z.union([Text, z.number(), z.boolean(), z.null()], {
  error: `expected a string (at most ${MAX_TEXT} characters), number, boolean or null`,
});

const PROPERTY_OPERATORS = ['eq', 'neq', 'in', 'gte', 'lte', 'exists', 'contains'] as const;

/**
 * A condition on one key of the touchpoint's `properties`; every operator given must hold.
 * `eq`/`neq`/`in` compare exactly, type included ("4" is not 4); `neq` also holds when the key is absent.
 * `gte`/`lte` compare numbers and numeric strings. `exists: true` means present and not null.
 * `contains` is a case-insensitive substring of a string value.
 */
export const PropertyFilter = z
  .strictObject({
    property: PropertyKey,
    eq: Scalar.optional(),
    neq: Scalar.optional().meta({ description: 'Also holds when the key is absent' }),
    in: z.array(Scalar).min(1).max(MAX_VALUES).optional(),
    gte: z.number().optional().meta({ description: 'Numbers and numeric strings' }),
    lte: z.number().optional(),
    exists: z.boolean().optional().meta({ description: 'Present and not null' }),
    contains: z
      .string()
      .min(1)
      .max(MAX_TEXT)
      .optional()
      .meta({ description: 'Case-insensitive substring of a string value' }),
  })
  .refine((filter) => PROPERTY_OPERATORS.some((operator) => filter[operator] !== undefined), {
    message: `a property filter needs at least one of ${PROPERTY_OPERATORS.join(', ')}`,
  })
  .meta({ description: 'On `properties.<property>`; every operator given must hold' });
export type PropertyFilter = z.infer<typeof PropertyFilter>;

/** One value or a list of them; a single value is read as a list of one. */
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (Array.isArray(value) ? value : [value]), z.array(item).min(1).max(MAX_VALUES));

const MATCH_KEYS = ['type', 'event', 'pagePath', 'stage', 'properties'] as const;

const matchShape = {
  /** Touchpoint type(s): track, page, screen, identify, group, alias. */
  type: oneOrMany(z.enum(WIRE_EVENT_TYPES)).optional(),
  /** Exact, case-sensitive event name(s). */
  event: oneOrMany(z.string().min(1).max(200)).optional(),
  /** Page path glob(s), any of which may match: `*` is any run of characters; case-insensitive. */
  pagePath: oneOrMany(PathGlob).optional().meta({
    description: 'Glob(s): `*` is any run of characters; case-insensitive; the whole path must match',
  }),
  /** A touchpoint staged at this stage or a later one (the stage funnel's "reached" reading). */
  stage: StageRef.optional().meta({ description: 'A touchpoint staged at this stage or later' }),
  properties: z.array(PropertyFilter).min(1).max(20).optional(),
};

const hasCondition = (match: Partial<Record<(typeof MATCH_KEYS)[number], unknown>>) =>
  MATCH_KEYS.some((key) => match[key] !== undefined);
const allConditions = {
  description: 'All conditions present must hold; at least one of type, event, pagePath, stage, properties',
};
const needsCondition = {
  message: `a step needs at least one of ${MATCH_KEYS.join(', ')} (an empty step would match every touchpoint)`,
};

/** What a touchpoint must be to count for a step: all the conditions present hold. */
export const StepMatch = z.strictObject(matchShape).refine(hasCondition, needsCondition).meta(allConditions);
export type StepMatch = z.infer<typeof StepMatch>;

export const FunnelStep = z
  .strictObject({
    ...matchShape,
    /** A label for the answer. */
    name: z.string().max(200).optional(),
    /** A step the customer may skip (docs/analytics/custom-funnels.md#optional-steps); never the first or last. */
    optional: z.boolean().optional().meta({
      description:
        'The customer may skip this step; not the first or the last step, not in an unordered funnel',
    }),
  })
  .refine(hasCondition, needsCondition)
  .meta(allConditions);
export type FunnelStep = z.infer<typeof FunnelStep>;

/** PostHog's exclusion step: a customer with a matching touchpoint between the two steps leaves the funnel. */
export const FunnelExclusion = z
  .strictObject({ ...matchShape, afterStep: z.int().min(1), beforeStep: z.int().min(2) })
  .refine(hasCondition, needsCondition)
  .refine((exclusion) => exclusion.afterStep < exclusion.beforeStep, {
    message: 'afterStep must be before beforeStep',
    path: ['beforeStep'],
  })
  .meta(allConditions);
export type FunnelExclusion = z.infer<typeof FunnelExclusion>;

/**
 * `ordered`: the steps in order, other touchpoints allowed in between; `strict`: no other touchpoint between
 * two steps but repeats of the step reached; `unordered`: step i is any i of the steps, in any order
 * (docs/analytics/custom-funnels.md, decision 0033). `any` meant something else before and is refused.
 */
export const FUNNEL_ORDERS = ['ordered', 'strict', 'unordered'] as const;
export type FunnelOrder = (typeof FUNNEL_ORDERS)[number];

const FunnelOrderSchema = z.enum(FUNNEL_ORDERS, {
  error: (issue) =>
    issue.input === 'any'
      ? "'any' is now 'unordered', which has no fixed first step (decision 0033)"
      : `expected one of ${FUNNEL_ORDERS.join(', ')}`,
});

/**
 * The fields of a funnel definition (steps, how they must follow each other, exclusions), for request schemas
 * that embed it; pair with {@link checkFunnelSteps}. Experiments use the same definition with fewer steps.
 */
export function funnelShape(minSteps: number, maxSteps: number) {
  return {
    steps: z.array(FunnelStep).min(minSteps).max(maxSteps),
    order: FunnelOrderSchema.default('ordered'),
    exclusions: z.array(FunnelExclusion).max(MAX_FUNNEL_EXCLUSIONS).default([]).meta({
      description:
        'Customers with a matching touchpoint after `afterStep` and before `beforeStep` leave the funnel',
    }),
  };
}

/**
 * What the schema of one step cannot say: every exclusion's `beforeStep` names one of the funnel's steps and
 * neither of its steps is optional; an optional step is neither the first nor the last, and unordered funnels
 * have none (every step there is already "any of them").
 */
export function checkFunnelSteps(
  funnel: {
    readonly steps: readonly { readonly optional?: boolean | undefined }[];
    readonly order: FunnelOrder;
    readonly exclusions: readonly FunnelExclusion[];
  },
  ctx: z.RefinementCtx,
): void {
  const optional = (step: number) => funnel.steps[step - 1]?.optional === true;
  funnel.exclusions.forEach((exclusion, position) => {
    if (exclusion.beforeStep > funnel.steps.length) {
      ctx.addIssue({
        code: 'custom',
        message: `beforeStep must name one of the ${funnel.steps.length} steps`,
        path: ['exclusions', position, 'beforeStep'],
      });
    }
    for (const field of ['afterStep', 'beforeStep'] as const) {
      if (optional(exclusion[field])) {
        ctx.addIssue({
          code: 'custom',
          message: `${field} must name a step that is not optional`,
          path: ['exclusions', position, field],
        });
      }
    }
  });
  funnel.steps.forEach((step, position) => {
    if (step.optional !== true) return;
    const problem =
      funnel.order === 'unordered'
        ? 'an unordered funnel has no optional steps'
        : position === 0
          ? 'the first step cannot be optional'
          : position === funnel.steps.length - 1
            ? 'the last step cannot be optional'
            : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['steps', position, 'optional'] });
  });
}

export const CustomFunnel = z.strictObject(funnelShape(2, MAX_FUNNEL_STEPS)).superRefine(checkFunnelSteps);
export type CustomFunnel = z.infer<typeof CustomFunnel>;

/**
 * Breakdowns of the touchpoint that opened the funnel (the customer's first step-1 touchpoint), as opposed
 * to customer dimensions (docs/customers.md), which describe the customer: `device` is the customer's
 * latest device, `step1_device` the device the funnel was entered on.
 */
export const TOUCHPOINT_DIMENSIONS = [
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'step1_device',
  'step1_os',
  'step1_browser',
  'step1_country',
  'step1_channel',
  'step1_page',
] as const;
export type NamedTouchpointDimension = (typeof TOUCHPOINT_DIMENSIONS)[number];
export type TouchpointDimension = NamedTouchpointDimension | `property:${string}`;

const PROPERTY_DIMENSION = /^property:[A-Za-z0-9_$][A-Za-z0-9_.$-]{0,99}$/;

export const TouchpointDimension = z.custom<TouchpointDimension>(
  (value) =>
    typeof value === 'string' &&
    ((TOUCHPOINT_DIMENSIONS as readonly string[]).includes(value) || PROPERTY_DIMENSION.test(value)),
);

export type FunnelBreakdown =
  | { readonly kind: 'customer'; readonly dimension: CustomerDimension }
  | { readonly kind: 'touchpoint'; readonly dimension: TouchpointDimension };

/** A breakdown name: a touchpoint dimension of the step-1 touchpoint or a customer dimension. */
export const FunnelBreakdown = z.string().transform((name, ctx): FunnelBreakdown => {
  if (TouchpointDimension.safeParse(name).success) {
    return { kind: 'touchpoint', dimension: name as TouchpointDimension };
  }
  if (CustomerDimension.safeParse(name).success) {
    return { kind: 'customer', dimension: name as CustomerDimension };
  }
  ctx.addIssue({
    code: 'custom',
    message:
      `expected a step-1 touchpoint dimension (${TOUCHPOINT_DIMENSIONS.join(', ')}, property:<key>) ` +
      `or a customer dimension (${Object.values(CUSTOMER_DIMENSIONS).flat().join(', ')}, trait:<name>)`,
  });
  return z.NEVER;
});
