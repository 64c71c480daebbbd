import {
  CustomerDimension,
  ENTRY_BREAKDOWNS,
  ENTRY_FILTER_DIMENSIONS,
  type EntryBreakdown,
  type EntryFilterDimension,
  type EntryFilters,
  STAGE_FUNNEL_MODES,
} from '@waymark/journey';
import { z } from 'zod';
import { ConversionWindow, fromBeforeTo, IsoInstant } from './params.ts';

export const MAX_FILTER_VALUES = 50;
export const MAX_FILTER_VALUE_LENGTH = 200;

/** A repeatable query parameter: `country=DE` or `country=DE&country=FR` (either value matches). */
const FilterValues = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .pipe(
    z
      .array(
        z.string().max(MAX_FILTER_VALUE_LENGTH, {
          message: `a filter value has at most ${MAX_FILTER_VALUE_LENGTH} characters`,
        }),
      )
      .max(MAX_FILTER_VALUES, { message: `at most ${MAX_FILTER_VALUES} values per filter` }),
  );

const entryFilters = {
  channel: FilterValues.optional(),
  country: FilterValues.optional(),
  device: FilterValues.optional(),
  os: FilterValues.optional(),
  browser: FilterValues.optional(),
  utm_source: FilterValues.optional(),
  utm_medium: FilterValues.optional(),
  utm_campaign: FilterValues.optional(),
} satisfies Record<EntryFilterDimension, unknown>;

const KNOWN_PARAMETERS = new Set(['from', 'to', 'window', 'mode', 'breakdown', ...ENTRY_FILTER_DIMENSIONS]);

/**
 * `GET /v1/projects/:projectId/funnel/stages`. Parameters it does not know are refused rather than ignored:
 * a misspelt filter would otherwise silently widen the cohort. They are looked for in the raw query, before
 * parsing copies it into a plain object (where a `__proto__` key would vanish).
 */
export const StageFunnelQuery = z.preprocess(
  (input, ctx) => {
    if (typeof input === 'object' && input !== null) {
      for (const key of Object.keys(input)) {
        if (!KNOWN_PARAMETERS.has(key)) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'not a parameter of this endpoint', input });
        }
      }
    }
    return input;
  },
  z
    .object({
      from: IsoInstant,
      to: IsoInstant,
      window: ConversionWindow.prefault('30d'),
      mode: z
        .enum(STAGE_FUNNEL_MODES, { message: `mode must be one of ${STAGE_FUNNEL_MODES.join(', ')}` })
        .default('reached'),
      /** A customer dimension or the entry touchpoint's utm_*: the funnel once per value of it. */
      breakdown: z
        .custom<CustomerDimension | EntryBreakdown>(
          (value) =>
            (ENTRY_BREAKDOWNS as readonly unknown[]).includes(value) ||
            CustomerDimension.safeParse(value).success,
          { message: `expected a customer dimension (docs/customers.md) or ${ENTRY_BREAKDOWNS.join(', ')}` },
        )
        .optional(),
      ...entryFilters,
    })
    .refine(...fromBeforeTo)
    .transform((q) => {
      const filters: EntryFilters = Object.fromEntries(
        ENTRY_FILTER_DIMENSIONS.flatMap((dimension) =>
          q[dimension] === undefined ? [] : [[dimension, q[dimension]]],
        ),
      );
      return { from: q.from, to: q.to, window: q.window, mode: q.mode, breakdown: q.breakdown, filters };
    }),
);
export type StageFunnelQuery = z.infer<typeof StageFunnelQuery>;
