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
import { linkedCustomerSql, linksCte } from './identities.ts';
import {
  MAX_PERIODS,
  type PeriodInterval,
  periodKeysSql,
  periodLastYear,
  periodOf,
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
  ${periodStartMs(periodLastYear(interval, 'period'))} AS last_year_start_ms,
  ${periodStartMs(periodPlus(interval, periodLastYear(interval, 'period'), -1))} AS earliest_ms
FROM (${periodKeysSql(interval, p.bind(query.from.getTime(), 'Int64'), p.bind(query.to.getTime(), 'Int64'))})
ORDER BY period`;
  });

/*
 * One pass over the customer profiles (0007), one row per identity-resolved customer after merging its raw
 * keys' rows, never over the touchpoints:
 * - active periods: the periods of the customer's 15-minute activity slots in [{startMs}, {toMs}) — exact in
 *   any time zone, whose offsets are all multiples of 15 minutes;
 * - new: the period of its first touchpoint ever, when in range;
 * - money: its orders and revenue rows deduplicated by message id, all time, so the lifetime order count up
 *   to each period's end is known (repeat purchasers).
 * Each customer contributes one row per active period (an order or a first touchpoint is activity too), and
 * the rows are summed per period. `{startMs}` is a year and one period before the first period asked for,
 * so every comparison has its data.
 */
const figuresSql = (query: KpiQuery, startMs: number) => {
  const interval = query.interval;
  const customers = cte(
    'customers',
    (p) => `
    SELECT
      ${linkedCustomerSql('p.raw_key')} AS customer,
      min(p.first_seen) AS first_seen,
      groupUniqArrayMerge(p.active_slots) AS slots,
      groupUniqArrayMerge(p.money) AS money_rows
    FROM customer_profiles AS p
    LEFT JOIN links ON links.alias_key = p.raw_key
    WHERE p.project_id = ${p.named('projectId', query.projectId, 'String')}
    GROUP BY customer
    HAVING max(p.last_seen) >= fromUnixTimestamp64Milli(${p.named('startMs', startMs, 'Int64')})
      AND first_seen < fromUnixTimestamp64Milli(${p.named('toMs', query.to.getTime(), 'Int64')})`,
    [linksCte(query.projectId)],
  );
  const customerPeriods = cte(
    'customer_periods',
    (p) => {
      timezoneParam(p, query.timezone);
      return `
    SELECT
      arrayDistinct(arrayMap(s -> ${periodOf(interval, 's')}, arrayFilter(
        s -> s >= fromUnixTimestamp64Milli({startMs:Int64}) AND s < fromUnixTimestamp64Milli({toMs:Int64}), slots))) AS periods,
      arrayMap(m -> (${periodOf(interval, 'm.2')}, m.3, m.4), ${dedupedMoneySql('money_rows')}) AS money,
      if(first_seen >= fromUnixTimestamp64Milli({startMs:Int64}), ${periodOf(interval, 'first_seen')}, NULL) AS new_period
    FROM customers`;
    },
    [customers],
  );
  return buildQuery(
    [customerPeriods],
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
  FROM customer_periods
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
  earliest_ms: number | string;
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
  const figuresQuery = figuresSql(query, toNumber(first.earliest_ms, 'kpis.earliest_ms'));
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
