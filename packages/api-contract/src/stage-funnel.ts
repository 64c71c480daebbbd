import {
  CustomerDimension,
  ENTRY_BREAKDOWNS,
  ENTRY_FILTER_DIMENSIONS,
  type EntryBreakdown,
  type EntryFilterDimension,
  type EntryFilters,
  STAGE_FUNNEL_MODES,
  STAGE_NAMES,
  type StageIndex,
} from '@waymark/journey';
import { z } from 'zod';
import { TimeZone } from './kpis.ts';
import {
  ConversionWindow,
  CUSTOMER_DIMENSION_NAMES,
  DateTime,
  Dimension,
  fromBeforeTo,
  IsoInstant,
  ProjectParams,
  stepFigures,
  TimeToConvert,
} from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

export const MAX_FILTER_VALUES = 50;
export const MAX_FILTER_VALUE_LENGTH = 200;

/** A repeatable query parameter: `country=DE` or `country=DE&country=FR` (either value matches). */
const FilterValues = z.preprocess(
  (value) => (Array.isArray(value) ? value : [value]),
  z
    .array(
      z.string().max(MAX_FILTER_VALUE_LENGTH, {
        message: `a filter value has at most ${MAX_FILTER_VALUE_LENGTH} characters`,
      }),
    )
    .max(MAX_FILTER_VALUES, { message: `at most ${MAX_FILTER_VALUES} values per filter` }),
);

const filter = (dimension: EntryFilterDimension) =>
  FilterValues.optional().meta({
    description:
      `Only customers whose entry touchpoint has this ${dimension.replace('_', ' ')}; repeat the parameter ` +
      'for alternatives, an empty value selects touchpoints without one',
  });

const entryFilters = {
  channel: filter('channel'),
  country: filter('country'),
  device: filter('device'),
  os: filter('os'),
  browser: filter('browser'),
  utm_source: filter('utm_source'),
  utm_medium: filter('utm_medium'),
  utm_campaign: filter('utm_campaign'),
} satisfies Record<EntryFilterDimension, unknown>;

/**
 * Parameters a funnel endpoint does not know are refused rather than ignored: a misspelt filter would
 * otherwise silently widen the cohort. They are looked for in the raw query, before parsing copies it into
 * a plain object (where a `__proto__` key would vanish).
 */
export const refusingUnknown = <S extends z.ZodType>(known: readonly string[], schema: S) => {
  const names = new Set([...known, ...ENTRY_FILTER_DIMENSIONS]);
  return z.preprocess((input, ctx) => {
    if (typeof input === 'object' && input !== null) {
      for (const key of Object.keys(input)) {
        if (!names.has(key)) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'not a parameter of this endpoint', input });
        }
      }
    }
    return input;
  }, schema);
};

/** A stage by name (`purchase`) or index (`5`). */
const StageParam = (which: string, fallback: StageIndex, examples: string[]) =>
  z
    .string()
    .meta({ examples })
    .transform((value, ctx): StageIndex => {
      const byName = (STAGE_NAMES as readonly string[]).indexOf(value) + 1;
      const index = byName > 0 ? byName : /^[1-7]$/.test(value) ? Number(value) : 0;
      if (index === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a stage name (${STAGE_NAMES.join(', ')}) or index 1–7`,
        });
        return z.NEVER;
      }
      return index as StageIndex;
    })
    .optional()
    .transform((index) => index ?? fallback)
    .meta({
      description: `The ${which} stage of the funnel, by name or index (default ${STAGE_NAMES[fallback - 1]})`,
    });

/** The cohort and counting every stage funnel endpoint shares. */
export const cohortFields = {
  from: IsoInstant.meta({
    description: 'Start of the entry range, inclusive: ISO-8601 date (UTC midnight) or date-time with zone',
  }),
  to: IsoInstant.meta({ description: 'End of the entry range, exclusive' }),
  window: ConversionWindow.prefault('30d').meta({
    description: 'Conversion window after entry: seconds or <n>s|m|h|d, at most 366d',
  }),
  mode: z
    .enum(STAGE_FUNNEL_MODES, { message: `mode must be one of ${STAGE_FUNNEL_MODES.join(', ')}` })
    .default('reached')
    .meta({ description: 'How a customer counts at a stage: reached, ordered or strict' }),
  /** A funnel between two stages: the cohort enters at its first touchpoint staged at fromStage or later. */
  fromStage: StageParam('first', 1, ['consideration', '2']),
  toStage: StageParam('last', 7, ['purchase', '5']),
  ...entryFilters,
};

export const stagesInOrder: [
  (q: { fromStage: StageIndex; toStage: StageIndex }) => boolean,
  { message: string; path: string[] },
] = [(q) => q.fromStage < q.toStage, { message: 'fromStage must come before toStage', path: ['toStage'] }];

export const filtersOf = (q: Partial<Record<EntryFilterDimension, string[]>>): EntryFilters =>
  Object.fromEntries(
    ENTRY_FILTER_DIMENSIONS.flatMap((dimension) =>
      q[dimension] === undefined ? [] : [[dimension, q[dimension]]],
    ),
  );

/** The cohort as every stage funnel endpoint passes it on: the stage range and the entry filters gathered. */
export const cohortQuery = (
  q: Pick<
    z.output<z.ZodObject<typeof cohortFields>>,
    'from' | 'to' | 'window' | 'mode' | 'fromStage' | 'toStage'
  > &
    Partial<Record<EntryFilterDimension, string[]>>,
) => ({
  from: q.from,
  to: q.to,
  window: q.window,
  mode: q.mode,
  stages: { from: q.fromStage, to: q.toStage },
  filters: filtersOf(q),
});

/** `GET /v1/projects/:projectId/funnel/stages`. */
export const StageFunnelQuery = refusingUnknown(
  ['from', 'to', 'window', 'mode', 'breakdown', 'fromStage', 'toStage'],
  z
    .object({
      ...cohortFields,
      /** A customer dimension or the entry touchpoint's utm_*: the funnel once per value of it. */
      breakdown: z
        .custom<CustomerDimension | EntryBreakdown>(
          (value) =>
            (ENTRY_BREAKDOWNS as readonly unknown[]).includes(value) ||
            CustomerDimension.safeParse(value).success,
          { message: `expected a customer dimension (docs/customers.md) or ${ENTRY_BREAKDOWNS.join(', ')}` },
        )
        .optional()
        .meta({
          ...Dimension.meta(),
          description: `Break the funnel down by a customer dimension, or by the entry touchpoint's utm_source, utm_medium or utm_campaign. Customer dimensions: ${CUSTOMER_DIMENSION_NAMES}`,
        }),
    })
    .refine(...fromBeforeTo)
    .refine(...stagesInOrder)
    .transform((q) => ({ ...cohortQuery(q), breakdown: q.breakdown })),
);
export type StageFunnelQuery = z.infer<typeof StageFunnelQuery>;

const Stages = z
  .array(
    z.object({
      stage: z.enum(STAGE_NAMES),
      index: z.int().min(1).max(7),
      ...stepFigures,
      timeToConvert: TimeToConvert,
    }),
  )
  .min(2)
  .max(7)
  .meta({ description: 'The stages from fromStage to toStage (all seven by default), in order' });

const Entered = z.int().meta({
  description:
    'Customers in the cohort (entered in [from, to), matching the filters); stage 1 counts those ' +
    'of them with a discovery touchpoint in ordered and strict modes, all of them in reached mode',
});

/** What every stage funnel answer says it counted: the cohort as parsed. */
export const cohortAnswer = {
  projectId: z.string(),
  from: DateTime,
  to: DateTime,
  windowSeconds: z.int(),
  mode: z.enum(STAGE_FUNNEL_MODES),
  fromStage: z.enum(STAGE_NAMES),
  toStage: z.enum(STAGE_NAMES),
  filters: z
    .record(z.string(), z.array(z.string()))
    .meta({ description: 'The entry filters applied, by dimension' }),
};

export const StageFunnelAnswer = z.object({
  ...cohortAnswer,
  entered: Entered,
  stages: Stages,
  breakdown: z
    .object({
      dimension: z.string(),
      segments: z.array(z.object({ value: z.string(), entered: z.int(), stages: Stages })),
    })
    .optional()
    .meta({ description: 'With `breakdown`: the funnel once per value of the dimension, largest first' }),
});
export type StageFunnelAnswer = z.infer<typeof StageFunnelAnswer>;

export const getStageFunnel = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/funnel/stages',
  operationId: 'getStageFunnel',
  summary: 'Stage funnel: how many customers reached each of the seven journey stages',
  description:
    'Cohort: customers whose first staged touchpoint (entry) falls in [from, to), optionally only those whose entry ' +
    'touchpoint matches the filters. Within `window` after entry a customer counts at stage k when it reached any ' +
    'stage ≥ k (`reached`: skipping a stage does not drop the customer), went through stages 1 … k in that order ' +
    '(`ordered`), or did so with no other staged touchpoint in between, repeats of the current stage aside ' +
    '(`strict`). Anonymous touchpoints count for the customer they were later identified as. ' +
    'Definitions: docs/analytics/stage-funnel.md.',
  params: ProjectParams,
  query: StageFunnelQuery,
  response: { status: 200, description: 'All seven stages in order', schema: StageFunnelAnswer },
  errors: [400, 401, 403],
});

/** `GET /v1/projects/:projectId/funnel/stages/trend`. */
export const StageFunnelTrendQuery = refusingUnknown(
  ['from', 'to', 'window', 'mode', 'interval', 'timezone', 'fromStage', 'toStage'],
  z
    .object({
      ...cohortFields,
      interval: z
        .enum(['day', 'week', 'month'], { message: 'interval must be one of day, week, month' })
        .default('week')
        .meta({ description: 'The calendar period of entry each cohort is cut by (weeks start on Monday)' }),
      timezone: TimeZone.default('UTC').meta({ description: 'IANA time zone the periods are cut in' }),
    })
    .refine(...fromBeforeTo)
    .refine(...stagesInOrder)
    .transform((q) => ({ ...cohortQuery(q), interval: q.interval, timezone: q.timezone })),
);

export const StageFunnelTrendAnswer = z.object({
  ...cohortAnswer,
  interval: z.enum(['day', 'week', 'month']),
  timezone: z.string(),
  periods: z.array(z.object({ start: DateTime, entered: Entered, stages: Stages })).meta({
    description: 'Every period overlapping [from, to), oldest first; the first and last may be partial',
  }),
});

export const getStageFunnelTrend = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/funnel/stages/trend',
  operationId: 'getStageFunnelTrend',
  summary: 'Conversion over time: the stage funnel per day, week or month of entry',
  description:
    'The cohort and counting of `GET /funnel/stages`, split by the calendar period (in `timezone`) of each ' +
    "customer's entry: each period's figures are the stage funnel of the customers who entered in it (and in " +
    '[from, to)). A period with no entry has zero customers and no times. At most 400 periods.',
  params: ProjectParams,
  query: StageFunnelTrendQuery,
  response: {
    status: 200,
    description: 'One entry per period, oldest first',
    schema: StageFunnelTrendAnswer,
  },
  errors: [400, 401, 403],
});
