import { CUSTOMER_DIMENSIONS, CustomerDimension } from '@waymark/journey';
import { z } from 'zod';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The instants a query may name: the range of the store's DateTime64 columns (0001_touchpoints.sql), `to`
 * exclusive. Outside it ClickHouse clamps or wraps times silently, so a year-0 or year-9999 range would
 * answer for other dates than asked.
 */
export const FIRST_INSTANT = Date.parse('1900-01-01T00:00:00Z');
export const LAST_INSTANT = Date.parse('2300-01-01T00:00:00Z');

/** An ISO-8601 date (midnight UTC) or date-time with an offset or `Z`; naive date-times are refused as ambiguous. */
export const IsoInstant = z
  .string()
  // abort: otherwise a refinement of the enclosing object still runs and reads the long string as a Date.
  .max(40, { abort: true })
  .meta({ examples: ['2026-11-01', '2026-11-01T00:00:00Z'] })
  .transform((s, ctx) => {
    const valid = DATE_ONLY.test(s) || z.iso.datetime({ offset: true }).safeParse(s).success;
    const date = new Date(DATE_ONLY.test(s) ? `${s}T00:00:00Z` : s);
    if (!valid || Number.isNaN(date.getTime())) {
      ctx.addIssue({
        code: 'custom',
        message:
          'expected an ISO-8601 date (2026-01-31) or date-time with a time zone (2026-01-31T12:00:00Z)',
      });
      return z.NEVER;
    }
    if (date.getTime() < FIRST_INSTANT || date.getTime() > LAST_INSTANT) {
      ctx.addIssue({ code: 'custom', message: 'expected an instant from 1900-01-01 to 2300-01-01 (UTC)' });
      return z.NEVER;
    }
    return date;
  });

const WINDOW = /^(\d{1,9})(s|m|h|d)?$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const MAX_WINDOW_SECONDS = 366 * 86_400;

/** A conversion window: seconds, or `<n>s|m|h|d`; at most 366 days. */
export const ConversionWindow = z
  .string()
  .meta({ pattern: WINDOW.source })
  .transform((s, ctx) => {
    const match = WINDOW.exec(s);
    const seconds = match
      ? Number(match[1]) * UNIT_SECONDS[(match[2] ?? 's') as keyof typeof UNIT_SECONDS]
      : Number.NaN;
    if (!(seconds > 0 && seconds <= MAX_WINDOW_SECONDS)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected seconds or <n>s, <n>m, <n>h, <n>d between 1 second and ${MAX_WINDOW_SECONDS / 86_400} days (e.g. 30d)`,
      });
      return z.NEVER;
    }
    return seconds;
  });

/**
 * The one refinement for ranges: `from` before `to`. Zod may run object refinements even when a field
 * failed, and some ranges are optional, so it only compares two dates that are there (a failed field has
 * its own error).
 */
export const fromBeforeTo: [
  (q: { from?: unknown; to?: unknown }) => boolean,
  { message: string; path: string[] },
] = [
  (q) => !(q.from instanceof Date && q.to instanceof Date) || q.from.getTime() < q.to.getTime(),
  { message: '`from` must be before `to`', path: ['to'] },
];

export const ProjectParams = z.object({
  projectId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.-]+$/),
});

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A customer key as /customers lists it, percent-encoded in the path (any character, `a:` for an empty
 * anonymous id). A lone surrogate can never match: no stored key holds one (ingestion stores U+FFFD in
 * its place), so it is refused rather than answered 404 (docs/api-errors.md).
 */
export const CustomerKey = z
  .string()
  .max(600, { message: 'customer keys longer than 600 characters cannot be named in a path' })
  .regex(/^[au]:/, { message: 'expected a customer key: u:<userId> or a:<anonymousId>' })
  .refine((key) => !LONE_SURROGATE.test(key), {
    message:
      'a customer key is Unicode text: a lone surrogate is stored as U+FFFD; take the key from /customers',
  });

export const CustomerParams = ProjectParams.extend({ customer: CustomerKey });

/** The page size of a paged list. */
export const PageLimit = z.coerce.number().int().min(1).max(1000).default(100);

/** The `next` cursor of the previous page. */
export const PageCursor = z.string().max(600).meta({ description: 'The `next` cursor of the previous page' });

/** Every customer dimension by name, for descriptions. */
export const CUSTOMER_DIMENSION_NAMES = `${[...Object.values(CUSTOMER_DIMENSIONS).flat(), 'trait:<name>'].join(', ')} (docs/customers.md)`;

/** A customer dimension (docs/customers.md), as the OpenAPI document describes it. */
export const Dimension = CustomerDimension.meta({
  type: 'string',
  description: `A customer dimension: ${CUSTOMER_DIMENSION_NAMES}`,
  examples: ['type', 'tier', 'country', 'trait:plan'],
});

/** An instant in an answer: ISO-8601 in UTC, as `Date.prototype.toISOString` writes it. */
export const DateTime = z.string().meta({ format: 'date-time' });
export const NullableNumber = z.number().nullable();

/** What a stage funnel's stage and a custom funnel's step both report (docs/analytics/). */
export const stepFigures = {
  customers: z.int(),
  conversionFromStart: z.number(),
  conversionFromPrevious: z.number(),
  dropOff: z.number(),
  medianSecondsFromPrevious: NullableNumber.optional(),
  p90SecondsFromPrevious: NullableNumber.optional(),
  medianSecondsToNext: NullableNumber.optional(),
  p90SecondsToNext: NullableNumber.optional(),
};

/** A step's time-to-convert histogram (decision 0034), the same in every funnel answer. */
export const TimeToConvert = z
  .array(
    z.object({
      fromSeconds: z.number(),
      toSeconds: z.number(),
      customers: z.int(),
    }),
  )
  .nullable()
  .meta({
    description:
      'Histogram of the time from the previous step over the customers counted here: buckets [fromSeconds, toSeconds) at 1m, 5m, 15m, 1h, 6h, 1d, 3d, 7d, 14d, 30d, 60d, 90d, 180d, cut at the window (the last bucket includes its end); the counts add up to `customers`. null on the first step',
  });
