import { queryKpis, queryRetention, TooManyPeriodsError } from '@waymark/clickhouse';
import { CustomerDimension } from '@waymark/journey';
import { z } from 'zod';
import { currentCustomerModel } from '../customer-model.ts';
import { dimensionSchema, json, nullableNumber, problem, projectIdParameter } from '../openapi-schemas.ts';
import { fromBeforeTo, IsoInstant } from '../params.ts';
import { queryProblem } from '../problems.ts';
import { parse } from '../validation.ts';
import type { ApiRoutes } from './route.ts';

/**
 * An IANA time zone name both JavaScript and ClickHouse know (`Europe/Berlin`, `UTC`), as JavaScript's
 * canonical spelling: Intl also accepts `etc/utc` or `europe/berlin`, which ClickHouse refuses.
 */
const TimeZone = z
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

const Range = z.object({ from: IsoInstant, to: IsoInstant, timezone: TimeZone.default('UTC') });

const KpisQuery = Range.extend({
  interval: z.enum(['day', 'week', 'month', 'quarter', 'year']).default('month'),
}).refine(...fromBeforeTo);

const RetentionQuery = Range.extend({
  interval: z.enum(['day', 'week', 'month']).default('week'),
  periods: z.coerce.number().int().min(1).max(52).default(8),
  breakdown: CustomerDimension.optional(),
}).refine(...fromBeforeTo);

const kpiNames = [
  'activeCustomers',
  'newCustomers',
  'purchasers',
  'orders',
  'revenue',
  'orderRevenue',
  'repeatPurchasers',
  'averageOrderValue',
  'conversionRate',
  'retentionRate',
  'repeatPurchaseRate',
];
const kpisSchema = {
  type: 'object',
  properties: Object.fromEntries(kpiNames.map((name) => [name, nullableNumber])),
};
const comparisonSchema = {
  type: 'object',
  properties: {
    start: { type: 'string', format: 'date-time' },
    kpis: kpisSchema,
    change: {
      type: 'object',
      description:
        'Per KPI `{ absolute, relative }` from the compared period to this one; null where either is null',
    },
  },
};
const rangeParameters = [
  projectIdParameter,
  { name: 'from', in: 'query', required: true, schema: { type: 'string' } },
  { name: 'to', in: 'query', required: true, schema: { type: 'string' } },
  {
    name: 'timezone',
    in: 'query',
    description: 'IANA time zone the periods are cut in',
    schema: { type: 'string', default: 'UTC' },
  },
];

export const kpiRoutes: ApiRoutes = {
  register(app, { clickhouse, authorize }) {
    app.get('/v1/projects/:projectId/kpis', async (request) => {
      const projectId = await authorize(request);
      const query = parse(KpisQuery, request.query);
      try {
        return {
          interval: query.interval,
          timezone: query.timezone,
          periods: await queryKpis(clickhouse, { projectId, ...query }),
        };
      } catch (error) {
        if (error instanceof TooManyPeriodsError) {
          throw queryProblem('INVALID_REQUEST', error.message, {
            extra: { errors: [{ field: 'interval', message: error.message }] },
          });
        }
        throw error;
      }
    });

    app.get('/v1/projects/:projectId/retention', async (request) => {
      const projectId = await authorize(request);
      const { breakdown, ...query } = parse(RetentionQuery, request.query);
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
    });
  },
  paths: {
    '/v1/projects/{projectId}/kpis': {
      get: {
        operationId: 'getKpis',
        summary: 'KPIs per calendar period, each vs the period before and the same period last year',
        description:
          'Conversion rate, orders, revenue, AOV, active and new customers, retention rate (E − N) / S and repeat ' +
          'purchase rate for every period overlapping [from, to) — definitions in docs/analytics/kpis.md. ' +
          'At most 400 periods.',
        parameters: [
          ...rangeParameters,
          {
            name: 'interval',
            in: 'query',
            schema: { type: 'string', enum: ['day', 'week', 'month', 'quarter', 'year'], default: 'month' },
          },
        ],
        responses: {
          200: {
            description: 'One entry per period, oldest first',
            content: json({
              type: 'object',
              properties: {
                interval: { type: 'string' },
                timezone: { type: 'string' },
                periods: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      start: { type: 'string', format: 'date-time' },
                      end: { type: 'string', format: 'date-time' },
                      kpis: kpisSchema,
                      previousPeriod: comparisonSchema,
                      samePeriodLastYear: comparisonSchema,
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
    '/v1/projects/{projectId}/retention': {
      get: {
        operationId: 'getRetention',
        summary:
          'Retention cohorts: customers by the period of their first touchpoint, active N periods later',
        parameters: [
          ...rangeParameters,
          {
            name: 'interval',
            in: 'query',
            schema: { type: 'string', enum: ['day', 'week', 'month'], default: 'week' },
          },
          { name: 'periods', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 52, default: 8 } },
          {
            name: 'breakdown',
            in: 'query',
            description: 'Split cohorts by a customer dimension, e.g. `channel` (acquisition channel)',
            schema: dimensionSchema,
          },
        ],
        responses: {
          200: {
            description: 'Cohorts oldest first; `retained[k]` is null for periods that have not begun',
            content: json({
              type: 'object',
              properties: {
                cohorts: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      start: { type: 'string', format: 'date-time' },
                      segment: { type: 'string' },
                      customers: { type: 'integer' },
                      retained: { type: 'array', items: { type: ['integer', 'null'] } },
                      rates: { type: 'array', items: nullableNumber },
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
