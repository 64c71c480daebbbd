import type { ClickHouseClient } from '@clickhouse/client';
import {
  type KpiChange,
  type KpiFigures,
  type KpiName,
  kpiChanges,
  type PeriodKpis,
  periodKpis,
} from '@waymark/journey';
import { dedupedMoneySql } from './customer-chain.ts';
import { ClickHouseQueryRangeError } from './errors.ts';
import {
  MAX_PERIODS,
  type PeriodInterval,
  periodKeysSql,
  periodLastYear,
  periodOf,
  periodOfDay,
  periodPlus,
  periodStartMs,
  timezoneParam,
} from './periods.ts';
import { buildQuery, cte } from './sql.ts';
import { toNumber } from './values.ts';

export interface KpiQuery {
  readonly projectId: string;
  /** The periods that overlap [from, to) are reported, each whole. */
  readonly from: Date;
  readonly to: Date;
  readonly interval: PeriodInterval;
  /** IANA time zone the calendar periods are cut in. */
  readonly timezone: string;
}

/*
 * The periods asked for (periodKeysSql), each with the keys of the periods it is compared with.
 */
const periodsSql = (query: KpiQuery) =>
  buildQuery([], (p) => {
    const interval = query.interval;
    timezoneParam(p, query.timezone);
    return `
SELECT
  toString(period) AS period_key,
  toString(${periodPlus(interval, 'period', -1)}) AS previous,
  toString(${periodPlus(interval, 'period', -2)}) AS previous_previous,
  toString(${periodLastYear(interval, 'period')}) AS last_year,
  toString(${periodPlus(interval, periodLastYear(interval, 'period'), -1)}) AS last_year_previous,
  ${periodStartMs('period')} AS start_ms,
  ${periodStartMs(periodPlus(interval, 'period', 1))} AS end_ms,
  ${periodStartMs(periodPlus(interval, 'period', -1))} AS previous_start_ms,
  ${periodStartMs(periodLastYear(interval, 'period'))} AS last_year_start_ms
FROM (${periodKeysSql(interval, p.bind(query.from.getTime(), 'Int64'), p.bind(query.to.getTime(), 'Int64'))})
ORDER BY period`;
  });

/*
 * The periods of a key's activity, with repeats: days and weeks from every slot; months, quarters and years from
 * the UTC months of the slots that lie in the same month in every zone, and from the slots near a month boundary
 * (0016 migration), so a month of activity costs one value instead of one per slot (2.4M values instead of 10M
 * at 10M touchpoints).
 */
const activePeriodsSql = (interval: PeriodInterval) => {
  if (interval === 'day' || interval === 'week') return `arrayMap(s -> ${periodOf(interval, 's')}, slots)`;
  // A UTC month's first day is its month's key already.
  const months = interval === 'month' ? 'months' : `arrayMap(m -> ${periodOfDay(interval, 'm')}, months)`;
  return `arrayConcat(${months}, arrayMap(s -> ${periodOf(interval, 's')}, edge_slots))`;
};

/*
 * From kpi_activity (0016) alone, read with FINAL (the engine's merge of a key's rows at read time: one row per
 * raw key, exact before background merges and cheaper than a GROUP BY raw_key). Identity resolution costs only
 * where it can change something, as in the stage funnel: a raw key in no link (`linked` = 0) is a customer by
 * itself and is taken as it is read; keys in the identity map are grouped by their customer (the key's latest
 * link, or the key itself for a customer's own key) first, so an identify merges two customers' histories
 * retroactively and nobody counts twice. Per customer:
 * - active periods: the periods of its 15-minute activity slots — exact in any time zone, whose offsets are all
 *   multiples of 15 minutes;
 * - new: the period of its first touchpoint ever;
 * - money: its orders and revenue rows deduplicated by message id, all time, so the lifetime order count up to
 *   each period's end is known (repeat purchasers).
 * Each customer contributes one row per active period (an order or a first touchpoint is activity too), and the
 * rows are summed per period. Periods run from `{first}` to `{last}` (period keys), each whole: from a year and
 * one period before the first period asked for, so every comparison has its data, to the last one asked for.
 */
const figuresSql = (query: KpiQuery, first: string, last: string) => {
  const interval = query.interval;
  const keys = cte('kpi_keys', (p) => {
    timezoneParam(p, query.timezone);
    const inRange = `k >= ${p.named('first', first, 'Date32')} AND k <= ${p.named('last', last, 'Date32')}`;
    return `
    SELECT if(tupleElement(link, 2) = '', raw_key, tupleElement(link, 2)) AS customer, linked, first_seen, money,
      arrayFilter(k -> ${inRange}, arrayDistinct(${activePeriodsSql(interval)})) AS periods
    FROM kpi_activity FINAL
    WHERE project_id = ${p.named('projectId', query.projectId, 'String')}`;
  });
  const customers = cte(
    'kpi_customers',
    () => `
    SELECT periods, ${periodOf(interval, 'first_seen')} AS new_period, money AS money_rows
    FROM kpi_keys WHERE linked = 0
    UNION ALL
    SELECT arrayDistinct(groupArrayArray(periods)), ${periodOf(interval, 'min(first_seen)')}, groupArrayArray(money)
    FROM kpi_keys WHERE linked = 1
    GROUP BY customer`,
    [keys],
  );
  return buildQuery(
    [customers],
    () => `
SELECT
  toString(period) AS period_key,
  count() AS active,
  countIf(period = new_period) AS new_customers,
  countIf(orders > 0) AS purchasers,
  sum(orders) AS period_orders,
  sum(revenue) AS period_revenue,
  sum(order_revenue) AS period_order_revenue,
  countIf(orders > 0 AND lifetime_orders >= 2) AS repeat_purchasers
FROM (
  SELECT period, new_period,
    arrayCount(m -> m.1 = period AND m.3 = 1, money) AS orders,
    arraySum(m -> if(m.1 = period, m.2, 0), money) AS revenue,
    arraySum(m -> if(m.1 = period AND m.3 = 1, m.2, 0), money) AS order_revenue,
    arrayCount(m -> m.1 <= period AND m.3 = 1, money) AS lifetime_orders
  FROM (
    SELECT periods, new_period,
      arrayMap(m -> (${periodOf(interval, 'm.2')}, m.3, m.4), ${dedupedMoneySql('money_rows')}) AS money
    FROM kpi_customers
  )
  ARRAY JOIN periods AS period
)
GROUP BY period`,
  );
};

interface PeriodRow {
  period_key: string;
  previous: string;
  previous_previous: string;
  last_year: string;
  last_year_previous: string;
  start_ms: number | string;
  end_ms: number | string;
  previous_start_ms: number | string;
  last_year_start_ms: number | string;
}

type FigureRow = Record<string, unknown> & { period_key: string };

export interface KpiPeriod {
  readonly start: string;
  readonly end: string;
  readonly kpis: PeriodKpis;
  /** The period before, and the same period a year before (52 weeks for weeks), with the changes since. */
  readonly previousPeriod: KpiComparison;
  readonly samePeriodLastYear: KpiComparison;
}

export interface KpiComparison {
  readonly start: string;
  readonly kpis: PeriodKpis;
  readonly change: Record<KpiName, KpiChange | null>;
}

export class TooManyPeriodsError extends ClickHouseQueryRangeError {
  constructor(interval: PeriodInterval) {
    super(
      'CLICKHOUSE_TOO_MANY_PERIODS',
      `more than ${MAX_PERIODS} ${interval} periods between from and to; use a longer interval`,
    );
  }
}

const EMPTY: KpiFigures = {
  activeCustomers: 0,
  newCustomers: 0,
  purchasers: 0,
  orders: 0,
  revenue: 0,
  orderRevenue: 0,
  repeatPurchasers: 0,
};

function figuresOf(row: FigureRow | undefined): KpiFigures {
  if (row === undefined) return EMPTY;
  const n = (key: string) => toNumber(row[key], `kpis.${key}`);
  return {
    activeCustomers: n('active'),
    newCustomers: n('new_customers'),
    purchasers: n('purchasers'),
    orders: n('period_orders'),
    revenue: n('period_revenue'),
    orderRevenue: n('period_order_revenue'),
    repeatPurchasers: n('repeat_purchasers'),
  };
}

const iso = (ms: unknown, what: string) => new Date(toNumber(ms, what)).toISOString();

/** KPIs per calendar period, each compared with the period before and the same period a year before. */
export async function queryKpis(client: ClickHouseClient, query: KpiQuery): Promise<KpiPeriod[]> {
  const periodsQuery = periodsSql(query);
  const periods = await (
    await client.query({ query: periodsQuery.sql, format: 'JSONEachRow', query_params: periodsQuery.params })
  ).json<PeriodRow>();
  if (periods.length > MAX_PERIODS) throw new TooManyPeriodsError(query.interval);
  const first = periods[0];
  if (first === undefined) return [];
  // The first period's comparisons reach furthest back: its last year's previous period.
  const last = periods.at(-1) ?? first;
  const figuresQuery = figuresSql(query, first.last_year_previous, last.period_key);
  const figures = await (
    await client.query({ query: figuresQuery.sql, format: 'JSONEachRow', query_params: figuresQuery.params })
  ).json<FigureRow>();
  const byPeriod = new Map(figures.map((row) => [row.period_key, row]));
  // Each period's retention rate needs the period before it.
  const kpisOf = (period: string, previous: string) =>
    periodKpis(figuresOf(byPeriod.get(period)), figuresOf(byPeriod.get(previous)));
  return periods.map((p) => {
    const kpis = kpisOf(p.period_key, p.previous);
    const comparison = (startMs: unknown, base: PeriodKpis): KpiComparison => ({
      start: iso(startMs, 'kpis.comparison_start_ms'),
      kpis: base,
      change: kpiChanges(kpis, base),
    });
    return {
      start: iso(p.start_ms, 'kpis.start_ms'),
      end: iso(p.end_ms, 'kpis.end_ms'),
      kpis,
      previousPeriod: comparison(p.previous_start_ms, kpisOf(p.previous, p.previous_previous)),
      samePeriodLastYear: comparison(p.last_year_start_ms, kpisOf(p.last_year, p.last_year_previous)),
    };
  });
}
