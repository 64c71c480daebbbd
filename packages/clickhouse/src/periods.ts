import type { QueryParams } from './sql.ts';

/**
 * Calendar periods in a time zone, as ClickHouse functions: a period is keyed by the Date32 its first day
 * has in `{timezone:String}` (weeks start on Monday, ISO 8601), and starts at that day's midnight there.
 * Only constant SQL text comes from here; the time zone is always the query parameter `{timezone:String}`,
 * which a query using these binds with {@link timezoneParam}.
 *
 * Keys are Date32 (1900-01-01 … 2299-12-31, the range of the store's DateTime64 columns), never Date:
 * Date ends in 2149 and its arithmetic wraps around silently (`addYears(toDate('2026-01-01'), 400)` is a
 * day in 1970), and toStartOfYear/Quarter/Month and toMonday answer a clamped Date even for a Date32.
 * So the first day of a period is built from its calendar fields instead.
 */
export const PERIOD_INTERVALS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type PeriodInterval = (typeof PERIOD_INTERVALS)[number];

const START_OF: Record<PeriodInterval, (day: string) => string> = {
  day: (day) => day,
  week: (day) => `subtractDays(${day}, toDayOfWeek(${day}) - 1)`,
  month: (day) => `makeDate32(toYear(${day}), toMonth(${day}), 1)`,
  quarter: (day) => `makeDate32(toYear(${day}), 3 * toQuarter(${day}) - 2, 1)`,
  year: (day) => `makeDate32(toYear(${day}), 1, 1)`,
};

const ADD: Record<PeriodInterval, string> = {
  day: 'addDays',
  week: 'addWeeks',
  month: 'addMonths',
  quarter: 'addQuarters',
  year: 'addYears',
};

/** Binds the time zone the period functions read. */
export const timezoneParam = (p: QueryParams, timezone: string) => p.named('timezone', timezone, 'String');

/** The key of the period that contains the DateTime/DateTime64 `time`. */
export const periodOf = (interval: PeriodInterval, time: string) =>
  START_OF[interval](`toDate32(${time}, {timezone:String})`);

/** The key of the period that contains the calendar day `day` (a Date or Date32). */
export const periodOfDay = (interval: PeriodInterval, day: string) => START_OF[interval](`toDate32(${day})`);

/** The key `n` periods after (or, negative, before) the key `period`. */
export const periodPlus = (interval: PeriodInterval, period: string, n: number | string) =>
  `${ADD[interval]}(${period}, ${n})`;

/**
 * The same period one year earlier: the calendar year before for days, months, quarters and years; for
 * weeks the ISO week 52 weeks before, so the comparison stays Monday to Sunday.
 */
export const periodLastYear = (interval: PeriodInterval, period: string) =>
  interval === 'week' ? `addWeeks(${period}, -52)` : `addYears(${period}, -1)`;

/** A period key's first instant (midnight in the time zone), as DateTime64(3). */
export const periodStart = (period: string) => `toDateTime64(${period}, 3, {timezone:String})`;

/** Epoch milliseconds of a period key's first instant. */
export const periodStartMs = (period: string) => `toUnixTimestamp64Milli(${periodStart(period)})`;

/** At most this many periods per request (a year of days, with room for leap years and DST). */
export const MAX_PERIODS = 400;

/**
 * One row per period key (`period`) overlapping [fromMs, toMs): from the period of `from` to that of the
 * last millisecond before `to` (periods are contiguous). One more than MAX_PERIODS candidates are generated
 * so that "too many" can be told from "exactly the maximum". The time zone is `{timezone:String}`.
 */
export const periodKeysSql = (interval: PeriodInterval, fromMs: string, toMs: string) => `
  SELECT arrayJoin(arrayFilter(
    p -> p <= last,
    arrayMap(i -> ${periodPlus(interval, 'first', 'i')}, range(${MAX_PERIODS + 1})))) AS period
  FROM (
    SELECT ${periodOf(interval, `fromUnixTimestamp64Milli(${fromMs})`)} AS first,
      ${periodOf(interval, `fromUnixTimestamp64Milli(${toMs} - 1)`)} AS last
  )`;

/**
 * A funnel's figures per calendar period of entry: every period overlapping [fromMs, toMs) is a row (the
 * periods are the left side, so one without entries reads zeros), with `start_ms` and the `aggregates` over
 * the rows of `source` (one per funnel customer, with its `entry` in epoch ms) that entered in it.
 */
export const periodFiguresSql = (
  interval: PeriodInterval,
  fromMs: string,
  toMs: string,
  aggregates: string,
  source: string,
) => `
SELECT ${periodStartMs('periods.period')} AS start_ms, figures.*
FROM (${periodKeysSql(interval, fromMs, toMs)}) AS periods
LEFT JOIN (
  SELECT ${periodOf(interval, 'fromUnixTimestamp64Milli(entry)')} AS period, ${aggregates}
  FROM ${source}
  GROUP BY period
) AS figures ON figures.period = periods.period
ORDER BY periods.period
SETTINGS join_use_nulls = 0`;
