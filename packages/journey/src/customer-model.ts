import { z } from 'zod';

/**
 * The derived customer model of docs/design.md §4: how a profile becomes a customer type, an "at risk" flag, RFM
 * scores and a value tier. Every threshold has the documented default and a project may change any of them
 * (`PUT /v1/projects/:id/customer-model`). docs/customers.md gives the precise definitions.
 */

/** The seed taxonomy, in precedence order: a customer gets the first type whose condition holds. */
export const CUSTOMER_TYPES = [
  'complaining',
  'advocate',
  'lost',
  'loyal',
  'casual',
  'new',
  'potential',
] as const;
export type CustomerType = (typeof CUSTOMER_TYPES)[number];

export const VALUE_TIERS = ['A', 'B', 'C'] as const;
export type ValueTier = (typeof VALUE_TIERS)[number];

const Days = z.number().int().min(1).max(3660);

export const CustomerModel = z
  .strictObject({
    /** complaining: a complaint signal within this many days. */
    complainingWithinDays: Days.default(30),
    /** advocate: an advocacy-stage touchpoint within this many days. */
    advocateWithinDays: Days.default(90),
    /** lost: has ordered, and no touchpoint at all for this many days. */
    lostAfterDays: Days.default(90),
    loyal: z
      .strictObject({
        /** At least this many orders … */
        minOrders: z.number().int().min(2).max(1000).default(3),
        /** … within this many days … */
        ordersWithinDays: Days.default(365),
        /** … and a touchpoint within this many days. */
        activeWithinDays: Days.default(90),
      })
      .prefault({}),
    /** casual: at least this many orders (and not loyal); one order is `new`. */
    casualMinOrders: z.number().int().min(2).max(1000).default(2),
    /** at risk: has ordered, no touchpoint for this many days, not yet lost. */
    atRiskAfterDays: Days.default(30),
    /**
     * Value tiers over customers with revenue, largest first: A while the revenue of the customers before
     * is below `a` of the total, B below `b`, C after (80% / 15% / 5% by default).
     */
    tiers: z
      .strictObject({
        a: z.number().gt(0).lt(1).default(0.8),
        b: z.number().gt(0).lt(1).default(0.95),
      })
      .prefault({})
      .refine((t) => t.a < t.b, { message: 'tiers.a must be below tiers.b' }),
  })
  .refine((m) => m.atRiskAfterDays < m.lostAfterDays, {
    message: 'atRiskAfterDays must be below lostAfterDays (at risk comes before lost)',
    path: ['atRiskAfterDays'],
  });
export type CustomerModel = z.infer<typeof CustomerModel>;
export type CustomerModelInput = z.input<typeof CustomerModel>;

/** A customer model from JSON, or why it is none (the shape readProjectDocument expects). */
export function parseCustomerModel(
  input: unknown,
): { ok: true; value: CustomerModel } | { ok: false; reason: string } {
  const parsed = CustomerModel.safeParse(input);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, reason: parsed.error.issues.map((issue) => issue.message).join('; ') };
}

export const DEFAULT_CUSTOMER_MODEL: CustomerModel = CustomerModel.parse({});

/**
 * Named RFM segments from the recency and frequency scores (the widely used 10-segment grid): the first
 * entry whose ranges hold names the customer. Monetary is reported but, as in that grid, does not name.
 */
export const RFM_SEGMENTS = [
  { name: 'champions', recency: [5, 5], frequency: [4, 5] },
  { name: 'loyal', recency: [3, 4], frequency: [4, 5] },
  { name: 'potential_loyalist', recency: [4, 5], frequency: [2, 3] },
  { name: 'new', recency: [5, 5], frequency: [1, 1] },
  { name: 'promising', recency: [4, 4], frequency: [1, 1] },
  { name: 'need_attention', recency: [3, 3], frequency: [3, 3] },
  { name: 'about_to_sleep', recency: [3, 3], frequency: [1, 2] },
  { name: 'cant_lose', recency: [1, 2], frequency: [5, 5] },
  { name: 'at_risk', recency: [1, 2], frequency: [3, 4] },
  { name: 'hibernating', recency: [1, 2], frequency: [1, 2] },
] as const satisfies readonly {
  name: string;
  recency: readonly [number, number];
  frequency: readonly [number, number];
}[];
export type RfmSegment = (typeof RFM_SEGMENTS)[number]['name'];

/** Age bands used when age is a breakdown. */
export const AGE_BANDS = [
  { name: 'under 18', below: 18 },
  { name: '18-24', below: 25 },
  { name: '25-34', below: 35 },
  { name: '35-44', below: 45 },
  { name: '45-54', below: 55 },
  { name: '55-64', below: 65 },
  { name: '65+', below: Number.POSITIVE_INFINITY },
] as const;

/**
 * The customer-level dimensions every breakdown accepts (segments, stage funnel), by kind. `trait:<name>`
 * breaks down by any trait of the latest identify call.
 */
export const CUSTOMER_DIMENSIONS = {
  derived: ['type', 'at_risk', 'rfm_segment', 'rfm_score', 'tier'],
  demographic: ['gender', 'age', 'income', 'education', 'occupation', 'marital_status'],
  geographic: ['country', 'region', 'city'],
  psychographic: ['interest'],
  behavioural: ['channel', 'current_stage', 'furthest_stage'],
  technographic: ['device', 'os', 'browser'],
  purchase: ['orders'],
} as const;
export type NamedCustomerDimension = (typeof CUSTOMER_DIMENSIONS)[keyof typeof CUSTOMER_DIMENSIONS][number];
export type CustomerDimension = NamedCustomerDimension | `trait:${string}`;

const NAMED_DIMENSIONS: readonly string[] = Object.values(CUSTOMER_DIMENSIONS).flat();
const TRAIT_DIMENSION = /^trait:[A-Za-z0-9_.-]{1,64}$/;

export const CustomerDimension = z.custom<CustomerDimension>(
  (value) => typeof value === 'string' && (NAMED_DIMENSIONS.includes(value) || TRAIT_DIMENSION.test(value)),
  { message: `expected one of ${NAMED_DIMENSIONS.join(', ')} or trait:<name>` },
);
