import type { ClickHouseClient } from '@clickhouse/client';
import {
  type KpiChange,
  type KpiFigures,
  type KpiName,
  kpiChanges,
  type PeriodKpis,
  periodKpis,
} from '@waymark/journey';
import { type PeriodInterval, periodLastYear, periodOf, periodPlus, periodStartMs } from './periods.ts';
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

/** At most this many periods per request (a year of days, with room for leap years and DST). */
export const MAX_PERIODS = 400;

/*
 * The periods asked for, each with the keys of the periods it is compared with. One more than
 * MAX_PERIODS candidates are generated so that "too many" can be told from "exactly the maximum".
 */
const periodsSql = (interval: PeriodInterval) => `
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
FROM (
  SELECT arrayJoin(arrayFilter(
    p -> toDateTime(p, {timezone:String}) < fromUnixTimestamp64Milli({toMs:Int64}),
    arrayMap(i -> ${periodPlus(interval, 'first', 'i')}, range(${MAX_PERIODS + 1})))) AS period
  FROM (SELECT ${periodOf(interval, 'fromUnixTimestamp64Milli({fromMs:Int64})')} AS first)
)
ORDER BY period`;

/*
 * Per period from `{startMs}` (a year and one period before the first one asked for, so every comparison
 * has its data) up to `{toMs}`, over identity-resolved customers:
 * - activity: distinct customers with any touchpoint (distinct counts are immune to duplicate touchpoints);
 * - newcomers: customers whose first touchpoint ever (over all their raw keys, from customer_profiles)
 *   falls in the period;
 * - money: touchpoints that are orders (staged purchase) or carry revenue, deduplicated by message id,
 *   all time up to `{toMs}` so that each customer's lifetime order count is known; a customer's orders in
 *   a period are "repeat" when its lifetime orders up to the period's end are at least two.
 */
const figuresSql = (interval: PeriodInterval) => `
WITH
  links AS (
    SELECT alias_key, argMax(customer_key, linked_at) AS linked_customer
    FROM identities WHERE project_id = {projectId:String} GROUP BY alias_key
  ),
  activity AS (
    SELECT period, uniqExact(if(links.linked_customer = '', a.raw_key, links.linked_customer)) AS active
    FROM (
      SELECT DISTINCT raw_key, ${periodOf(interval, 'timestamp')} AS period FROM touchpoints
      WHERE project_id = {projectId:String}
        AND timestamp >= fromUnixTimestamp64Milli({startMs:Int64}) AND timestamp < fromUnixTimestamp64Milli({toMs:Int64})
    ) AS a
    LEFT JOIN links ON links.alias_key = a.raw_key
    GROUP BY period
  ),
  newcomers AS (
    SELECT ${periodOf(interval, 'first_seen')} AS period, count() AS new_customers
    FROM (
      SELECT if(links.linked_customer = '', p.raw_key, links.linked_customer) AS customer, min(p.first_seen) AS first_seen
      FROM customer_profiles AS p LEFT JOIN links ON links.alias_key = p.raw_key
      WHERE p.project_id = {projectId:String}
      GROUP BY customer
    )
    WHERE first_seen >= fromUnixTimestamp64Milli({startMs:Int64}) AND first_seen < fromUnixTimestamp64Milli({toMs:Int64})
    GROUP BY period
  ),
  customer_periods AS (
    SELECT customer, period, orders, revenue, order_revenue,
      sum(orders) OVER (PARTITION BY customer ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS lifetime_orders
    FROM (
      SELECT if(links.linked_customer = '', m.raw_key, links.linked_customer) AS customer,
        ${periodOf(interval, 'm.at')} AS period,
        countIf(m.is_order) AS orders, sum(m.amount) AS revenue, sumIf(m.amount, m.is_order) AS order_revenue
      FROM (
        SELECT raw_key, message_id, min(timestamp) AS at, any(revenue) AS amount, max(stage = 5) AS is_order
        FROM touchpoints
        WHERE project_id = {projectId:String} AND (stage = 5 OR revenue != 0)
          AND timestamp < fromUnixTimestamp64Milli({toMs:Int64})
        GROUP BY raw_key, message_id
      ) AS m
      LEFT JOIN links ON links.alias_key = m.raw_key
      GROUP BY customer, period
    )
  ),
  sales AS (
    SELECT period, countIf(orders > 0) AS purchasers, sum(orders) AS period_orders, sum(revenue) AS period_revenue,
      sum(order_revenue) AS period_order_revenue, countIf(orders > 0 AND lifetime_orders >= 2) AS repeat_purchasers
    FROM customer_periods
    WHERE toDateTime(period, {timezone:String}) >= fromUnixTimestamp64Milli({startMs:Int64})
    GROUP BY period
  )
SELECT toString(period) AS period_key, active, new_customers, purchasers, period_orders, period_revenue,
  period_order_revenue, repeat_purchasers
FROM activity
FULL OUTER JOIN newcomers USING (period)
FULL OUTER JOIN sales USING (period)`;

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

export class TooManyPeriodsError extends RangeError {
  constructor(interval: PeriodInterval) {
    super(`more than ${MAX_PERIODS} ${interval} periods between from and to; use a longer interval`);
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
  // FULL OUTER JOIN fills a side without the period with its defaults (0).
  const n = (key: string) => toNumber(row[key] ?? 0, `kpis.${key}`);
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
  const params = {
    projectId: query.projectId,
    timezone: query.timezone,
    fromMs: query.from.getTime(),
    toMs: query.to.getTime(),
  };
  const periods = await (
    await client.query({ query: periodsSql(query.interval), format: 'JSONEachRow', query_params: params })
  ).json<PeriodRow>();
  if (periods.length > MAX_PERIODS) throw new TooManyPeriodsError(query.interval);
  const first = periods[0];
  if (first === undefined) return [];
  const figures = await (
    await client.query({
      query: figuresSql(query.interval),
      format: 'JSONEachRow',
      // The first period's comparisons reach furthest back: its last year's previous period.
      query_params: { ...params, startMs: toNumber(first.earliest_ms, 'kpis.earliest_ms') },
    })
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
