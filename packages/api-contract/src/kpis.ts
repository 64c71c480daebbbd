import { z } from 'zod';
import {
  CUSTOMER_DIMENSION_NAMES,
  DateTime,
  Dimension,
  fromBeforeTo,
  IsoInstant,
  NullableNumber,
  ProjectParams,
} from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

/** KPIs per calendar period and retention cohorts (docs/analytics/kpis.md). */

/**
 * An IANA time zone name both JavaScript and ClickHouse know (`Europe/Berlin`, `UTC`), as JavaScript's
 * canonical spelling: Intl also accepts `etc/utc` or `europe/berlin`, which ClickHouse refuses.
 */
export const TimeZone = z
  .string()
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/, {
    message: 'expected an IANA time zone such as Europe/Berlin',
  })
  .transform((zone, ctx) => {
    try {
      return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'unknown time zone' });
      return z.NEVER;
    }
  });

const Range = z.object({
  from: IsoInstant,
  to: IsoInstant,
  timezone: TimeZone.default('UTC').meta({ description: 'IANA time zone the periods are cut in' }),
});

export const KpisQuery = Range.extend({
  interval: z.enum(['day', 'week', 'month', 'quarter', 'year']).default('month'),
}).refine(...fromBeforeTo);

export const RetentionQuery = Range.extend({
  interval: z.enum(['day', 'week', 'month']).default('week'),
  periods: z.coerce.number().int().min(1).max(52).default(8),
  breakdown: Dimension.optional().meta({
    description: `Split cohorts by a customer dimension, e.g. \`channel\` (acquisition channel): ${CUSTOMER_DIMENSION_NAMES}`,
  }),
}).refine(...fromBeforeTo);

const Kpis = z.object({
  activeCustomers: z.number(),
  newCustomers: z.number(),
  purchasers: z.number(),
  orders: z.number(),
  revenue: z.number(),
  orderRevenue: z.number(),
  repeatPurchasers: z.number(),
  averageOrderValue: NullableNumber,
  conversionRate: NullableNumber,
  retentionRate: NullableNumber,
  repeatPurchaseRate: NullableNumber,
});

const Comparison = z.object({
  start: DateTime,
  kpis: Kpis,
  change: z.record(z.string(), z.object({ absolute: z.number(), relative: NullableNumber }).nullable()).meta({
    description:
      'Per KPI `{ absolute, relative }` from the compared period to this one; null where either is null',
  }),
});

export const KpisAnswer = z.object({
  interval: z.string(),
  timezone: z.string(),
  periods: z.array(
    z.object({
      start: DateTime,
      end: DateTime,
      kpis: Kpis,
      previousPeriod: Comparison,
      samePeriodLastYear: Comparison,
    }),
  ),
});

export const RetentionAnswer = z.object({
  interval: z.string(),
  timezone: z.string(),
  periods: z.int(),
  cohorts: z.array(
    z.object({
      start: DateTime,
      segment: z.string().optional(),
      customers: z.int(),
      retained: z.array(z.int().nullable()),
      rates: z.array(NullableNumber),
    }),
  ),
});

export const getKpis = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/kpis',
  operationId: 'getKpis',
  summary: 'KPIs per calendar period, each vs the period before and the same period last year',
  description:
    'Conversion rate, orders, revenue, AOV, active and new customers, retention rate (E − N) / S and repeat ' +
    'purchase rate for every period overlapping [from, to) — definitions in docs/analytics/kpis.md. ' +
    'At most 400 periods.',
  params: ProjectParams,
  query: KpisQuery,
  response: { status: 200, description: 'One entry per period, oldest first', schema: KpisAnswer },
  errors: [400, 401, 403],
});

export const getRetention = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/retention',
  operationId: 'getRetention',
  summary: 'Retention cohorts: customers by the period of their first touchpoint, active N periods later',
  params: ProjectParams,
  query: RetentionQuery,
  response: {
    status: 200,
    description: 'Cohorts oldest first; `retained[k]` is null for periods that have not begun',
    schema: RetentionAnswer,
  },
  errors: [400, 401, 403],
});
