import type { ClickHouseClient } from '@clickhouse/client';
import {
  type AlertBreakdown,
  type AlertWindow,
  type CustomerModel,
  type StageIndex,
  VALUE_TIERS,
} from '@waymark/journey';
import { customersCte, modelParams } from './customer-chain.ts';
import { linkedCustomerSql, linksCte } from './identities.ts';
import { type BuiltQuery, buildQuery, cte, type QueryParams } from './sql.ts';
import { boundedRevenueSql, toNumber } from './values.ts';

/*
 * The figures alert rules judge, per time window, in one query for a window and all its baseline windows.
 * Touchpoints are read by their event time and resolved to customers through the identity map; every figure
 * is a distinct count, a minimum or an existence test, so duplicate touchpoints (retries, redeliveries,
 * replays) change none of them.
 */

const CUSTOMER_SQL = linkedCustomerSql('t.raw_key');

/** The touchpoint column of each breakdown dimension. */
const DIMENSION_COLUMNS: Record<AlertBreakdown, string> = {
  device: 't.device_type',
  browser: 't.browser',
  os: 't.os',
  country: 't.country',
  channel: 't.channel',
  utm_source: 't.campaign_source',
  utm_medium: 't.campaign_medium',
  utm_campaign: 't.campaign_name',
};

/** The windows' `{starts:Array(Int64)}`, `{ends:Array(Int64)}` and the span they cover. */
const windowParams = (p: QueryParams, windows: readonly AlertWindow[]) => ({
  starts: p.named(
    'starts',
    windows.map((w) => w.startMs),
    'Array(Int64)',
  ),
  ends: p.named(
    'ends',
    windows.map((w) => w.endMs),
    'Array(Int64)',
  ),
  minMs: p.bind(Math.min(...windows.map((w) => w.startMs)), 'Int64'),
  maxMs: p.bind(Math.max(...windows.map((w) => w.endMs)), 'Int64'),
});

export interface ConversionQuery {
  readonly projectId: string;
  readonly fromStage: StageIndex;
  readonly toStage: StageIndex;
  /** Cohort windows: the current one first, then the baseline ones. */
  readonly windows: readonly AlertWindow[];
  readonly conversionWindowMs: number;
  readonly breakdown?: AlertBreakdown | undefined;
}

export interface ConversionCount {
  /** Index into the query's windows. */
  readonly window: number;
  /** The breakdown value ('' without one, or when unknown). */
  readonly segment: string;
  /** Cohort customers: a touchpoint at stage `from` in the window. */
  readonly trials: number;
  /** Of them, those with a touchpoint at stage ≥ `to` within the conversion window after their first one. */
  readonly successes: number;
}

/*
 * Per window, the cohort is every customer with a touchpoint at exactly stage `from` in it; its entry is the
 * first such touchpoint, and the breakdown value is that touchpoint's. It converted when a touchpoint at
 * stage ≥ `to` follows within the conversion window (inclusive). Each touchpoint is assigned to the windows
 * it can matter to: `from` touchpoints inside a window, `to` touchpoints inside a window or its conversion
 * time after it.
 */
function conversionSql(query: ConversionQuery): BuiltQuery {
  const segmentSql = query.breakdown === undefined ? "''" : `toString(${DIMENSION_COLUMNS[query.breakdown]})`;
  const stageParams = (p: QueryParams) => ({
    from: p.named('fromStage', query.fromStage, 'UInt8'),
    to: p.named('toStage', query.toStage, 'UInt8'),
    conversion: p.named('conversionMs', query.conversionWindowMs, 'Int64'),
  });
  const assigned = cte(
    'assigned',
    (p) => {
      const { from, to, conversion } = stageParams(p);
      const w = windowParams(p, query.windows);
      return `
    SELECT ${CUSTOMER_SQL} AS customer, toUnixTimestamp64Milli(t.timestamp) AS ms, t.stage AS stage, ${segmentSql} AS segment,
      arrayJoin(arrayFilter(i -> ms >= ${w.starts}[i]
        AND ms < ${w.ends}[i] + if(stage = ${from}, 0, ${conversion}),
        arrayEnumerate(${w.starts}))) AS w
    FROM touchpoints AS t
    LEFT JOIN links ON links.alias_key = t.raw_key
    WHERE t.project_id = ${p.named('projectId', query.projectId, 'String')}
      AND (t.stage = ${from} OR t.stage >= ${to})
      AND t.timestamp >= fromUnixTimestamp64Milli(${w.minMs})
      AND t.timestamp < fromUnixTimestamp64Milli(${w.maxMs} + ${conversion})`;
    },
    [linksCte(query.projectId)],
  );
  const cohort = cte(
    'cohort',
    (p) => {
      const { from, to, conversion } = stageParams(p);
      return `
    SELECT w, customer,
      minIf(ms, stage = ${from}) AS entry,
      argMinIf(segment, ms, stage = ${from}) AS entry_segment,
      arrayExists(x -> x >= entry AND x <= entry + ${conversion}, groupArrayIf(ms, stage >= ${to})) AS converted
    FROM assigned
    GROUP BY w, customer
    HAVING countIf(stage = ${from}) > 0`;
    },
    [assigned],
  );
  return buildQuery(
    [cohort],
    () => `
SELECT w - 1 AS window, entry_segment AS segment, count() AS trials, countIf(converted) AS successes
FROM cohort
GROUP BY window, segment
ORDER BY window, segment`,
  );
}

/** Stage-step conversion per window (and breakdown value). */
export async function queryConversionCounts(
  client: ClickHouseClient,
  query: ConversionQuery,
): Promise<ConversionCount[]> {
  const { sql, params } = conversionSql(query);
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<Record<string, unknown>>();
  return rows.map((row) => ({
    window: toNumber(row.window, 'conversion.window'),
    segment: String(row.segment),
    trials: toNumber(row.trials, 'conversion.trials'),
    successes: toNumber(row.successes, 'conversion.successes'),
  }));
}

export interface WindowFigures {
  /** Distinct touchpoints. */
  readonly touchpoints: number;
  /** Distinct customers with any touchpoint. */
  readonly activeCustomers: number;
  /** Touchpoints staged purchase. */
  readonly orders: number;
  /** Revenue of every touchpoint carrying one. */
  readonly revenue: number;
  /** Revenue of orders. */
  readonly orderRevenue: number;
  /** Complaint-signal touchpoints. */
  readonly complaints: number;
  /** Touchpoints matching the query's `stage`/`event` (0 without either). */
  readonly matched: number;
  /** Distinct customers with a touchpoint at the query's `stage`. */
  readonly stageCustomers: number;
}

export interface WindowFiguresQuery {
  readonly projectId: string;
  readonly windows: readonly AlertWindow[];
  readonly stage?: StageIndex | undefined;
  /** A track event's name or a page's name. */
  readonly event?: string | undefined;
}

/*
 * One row per (window, message id) first, so every figure counts a touchpoint once however many copies of
 * it are stored; then the window's figures.
 */
function figuresSql(query: WindowFiguresQuery): BuiltQuery {
  const messages = cte(
    'messages',
    (p) => {
      const w = windowParams(p, query.windows);
      return `
    SELECT w, t.message_id, any(${CUSTOMER_SQL}) AS m_customer, any(t.stage) AS m_stage, any(${boundedRevenueSql('t.revenue')}) AS m_revenue,
      any(t.complaint) AS m_complaint, any(t.event) AS m_event, any(t.name) AS m_name
    FROM touchpoints AS t
    ARRAY JOIN arrayFilter(i -> toUnixTimestamp64Milli(t.timestamp) >= ${w.starts}[i]
      AND toUnixTimestamp64Milli(t.timestamp) < ${w.ends}[i], arrayEnumerate(${w.starts})) AS w
    LEFT JOIN links ON links.alias_key = t.raw_key
    WHERE t.project_id = ${p.named('projectId', query.projectId, 'String')}
      AND t.timestamp >= fromUnixTimestamp64Milli(${w.minMs}) AND t.timestamp < fromUnixTimestamp64Milli(${w.maxMs})
    GROUP BY w, t.message_id`;
    },
    [linksCte(query.projectId)],
  );
  return buildQuery([messages], (p) => {
    const matched = [
      ...(query.stage === undefined ? [] : [`m_stage = ${p.named('stage', query.stage, 'UInt8')}`]),
      ...(query.event === undefined
        ? []
        : [`(m_event = ${p.named('event', query.event, 'String')} OR m_name = {event:String})`]),
    ];
    return `
SELECT w - 1 AS window,
  count() AS touchpoints,
  uniqExact(m_customer) AS active_customers,
  countIf(m_stage = 5) AS orders,
  sum(m_revenue) AS revenue,
  sumIf(m_revenue, m_stage = 5) AS order_revenue,
  countIf(m_complaint = 1) AS complaints,
  countIf(${matched.length === 0 ? '0' : matched.join(' OR ')}) AS matched,
  uniqExactIf(m_customer, ${query.stage === undefined ? '0' : 'm_stage = {stage:UInt8}'}) AS stage_customers
FROM messages
GROUP BY window`;
  });
}

/** Counts and money per window (windows without touchpoints are all zeros). */
export async function queryWindowFigures(
  client: ClickHouseClient,
  query: WindowFiguresQuery,
): Promise<WindowFigures[]> {
  const { sql, params } = figuresSql(query);
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = new Map(
    (await result.json<Record<string, unknown>>()).map((row) => [
      toNumber(row.window, 'figures.window'),
      row,
    ]),
  );
  return query.windows.map((_, i) => {
    const row = rows.get(i);
    const n = (key: string) => (row === undefined ? 0 : toNumber(row[key], `figures.${key}`));
    return {
      touchpoints: n('touchpoints'),
      activeCustomers: n('active_customers'),
      orders: n('orders'),
      revenue: n('revenue'),
      orderRevenue: n('order_revenue'),
      complaints: n('complaints'),
      matched: n('matched'),
      stageCustomers: n('stage_customers'),
    };
  });
}

/**
 * Customers who turned at risk during [endMs − windowMs, endMs): at risk as of `endMs` (docs/customers.md)
 * and their last touchpoint crossed the at-risk age inside the window. By value tier ('' = no revenue).
 */
export async function queryTurnedAtRisk(
  client: ClickHouseClient,
  query: { projectId: string; model: CustomerModel; endMs: number; windowMs: number },
): Promise<Record<string, number>> {
  const chain = { projectId: query.projectId, model: query.model, asOf: new Date(query.endMs) };
  const { sql, params } = buildQuery([customersCte(chain)], (p) => {
    const { asOfMs, atRiskAfterMs } = modelParams(p, chain);
    return `SELECT tier, count() AS customers FROM customers
      WHERE at_risk AND last_seen_ms >= ${asOfMs} - ${atRiskAfterMs} - ${p.bind(query.windowMs, 'Int64')}
      GROUP BY tier`;
  });
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const counts: Record<string, number> = Object.fromEntries([...VALUE_TIERS, ''].map((tier) => [tier, 0]));
  for (const row of await result.json<{ tier: string; customers: number | string }>()) {
    counts[row.tier] = toNumber(row.customers, 'turned_at_risk.customers');
  }
  return counts;
}
