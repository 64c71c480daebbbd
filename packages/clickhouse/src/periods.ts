/**
 * Calendar periods in a time zone, as ClickHouse functions: a period is keyed by the Date its first day
 * has in `{timezone:String}` (weeks start on Monday, ISO 8601), and starts at that day's midnight there.
 * Only constant SQL text comes from here; the time zone is always a query parameter.
 */
export const PERIOD_INTERVALS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type PeriodInterval = (typeof PERIOD_INTERVALS)[number];

const START_OF: Record<PeriodInterval, string> = {
  day: 'toDate',
  week: 'toMonday',
  month: 'toStartOfMonth',
  quarter: 'toStartOfQuarter',
  year: 'toStartOfYear',
};

const ADD: Record<PeriodInterval, string> = {
  day: 'addDays',
  week: 'addWeeks',
  month: 'addMonths',
  quarter: 'addQuarters',
  year: 'addYears',
};

/** The key of the period that contains the DateTime64 `time`. */
export const periodOf = (interval: PeriodInterval, time: string) =>
  `${START_OF[interval]}(${time}, {timezone:String})`;

/** The key `n` periods after (or, negative, before) the key `period`. */
export const periodPlus = (interval: PeriodInterval, period: string, n: number | string) =>
  `${ADD[interval]}(${period}, ${n})`;

/**
 * The same period one year earlier: the calendar year before for days, months, quarters and years; for
 * weeks the ISO week 52 weeks before, so the comparison stays Monday to Sunday.
 */
export const periodLastYear = (interval: PeriodInterval, period: string) =>
  interval === 'week' ? `addWeeks(${period}, -52)` : `addYears(${period}, -1)`;

/** Epoch milliseconds of a period key's first instant (midnight in the time zone). */
export const periodStartMs = (period: string) =>
  `toUnixTimestamp(toDateTime(${period}, {timezone:String})) * 1000`;
