import type { ClickHouseClient } from '@clickhouse/client';
import {
  type AlertBreakdown,
  type AlertWindow,
  type CustomerModel,
  type StageIndex,
  VALUE_TIERS,
} from '@waymark/journey';
import { customerCtes } from './customers.query.ts';
import { LINKS_CTE } from './identities.ts';
import { boundedRevenueSql, toNumber } from './values.ts';

/*
 * The figures alert rules judge, per time window, in one query for a window and all its baseline windows.
 * Touchpoints are read by their event time and resolved to customers through the identity map; every figure
 * is a distinct count, a minimum or an existence test, so duplicate touchpoints (retries, redeliveries,
 * replays) change none of them.
 */

const CUSTOMER_SQL = "if(links.linked_customer = '', t.raw_key, links.linked_customer)";

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

const windowParams = (windows: readonly AlertWindow[]) => ({
  starts: windows.map((w) => w.startMs),
  ends: windows.map((w) => w.endMs),
  minMs: Math.min(...windows.map((w) => w.startMs)),
  maxMs: Math.max(...windows.map((w) => w.endMs)),
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
const CONVERSION_SQL = (segmentSql: string) => `
WITH ${LINKS_CTE},
  assigned AS (
    SELECT ${CUSTOMER_SQL} AS customer, toUnixTimestamp64Milli(t.timestamp) AS ms, t.stage AS stage, ${segmentSql} AS segment,
      arrayJoin(arrayFilter(i -> ms >= {starts:Array(Int64)}[i]
        AND ms < {ends:Array(Int64)}[i] + if(stage = {fromStage:UInt8}, 0, {conversionMs:Int64}),
        arrayEnumerate({starts:Array(Int64)}))) AS w
    FROM touchpoints AS t
    LEFT JOIN links ON links.alias_key = t.raw_key
    WHERE t.project_id = {projectId:String}
      AND (t.stage = {fromStage:UInt8} OR t.stage >= {toStage:UInt8})
      AND t.timestamp >= fromUnixTimestamp64Milli({minMs:Int64})
      AND t.timestamp < fromUnixTimestamp64Milli({maxMs:Int64} + {conversionMs:Int64})
  ),
  cohort AS (
    SELECT w, customer,
      minIf(ms, stage = {fromStage:UInt8}) AS entry,
      argMinIf(segment, ms, stage = {fromStage:UInt8}) AS entry_segment,
      arrayExists(x -> x >= entry AND x <= entry + {conversionMs:Int64}, groupArrayIf(ms, stage >= {toStage:UInt8})) AS converted
    FROM assigned
    GROUP BY w, customer
    HAVING countIf(stage = {fromStage:UInt8}) > 0
  )
SELECT w - 1 AS window, entry_segment AS segment, count() AS trials, countIf(converted) AS successes
FROM cohort
GROUP BY window, segment
ORDER BY window, segment`;

/** Stage-step conversion per window (and breakdown value). */
export async function queryConversionCounts(
  client: ClickHouseClient,
  query: ConversionQuery,
): Promise<ConversionCount[]> {
  const segmentSql = query.breakdown === undefined ? "''" : `toString(${DIMENSION_COLUMNS[query.breakdown]})`;
  const result = await client.query({
    query: CONVERSION_SQL(segmentSql),
    format: 'JSONEachRow',
    query_params: {
      projectId: query.projectId,
      fromStage: query.fromStage,
      toStage: query.toStage,
      conversionMs: query.conversionWindowMs,
      ...windowParams(query.windows),
    },
  });
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
const FIGURES_SQL = `
WITH ${LINKS_CTE},
  messages AS (
    SELECT w, t.message_id, any(${CUSTOMER_SQL}) AS m_customer, any(t.stage) AS m_stage, any(${boundedRevenueSql('t.revenue')}) AS m_revenue,
      any(t.complaint) AS m_complaint, any(t.event) AS m_event, any(t.name) AS m_name
    FROM touchpoints AS t
    ARRAY JOIN arrayFilter(i -> toUnixTimestamp64Milli(t.timestamp) >= {starts:Array(Int64)}[i]
      AND toUnixTimestamp64Milli(t.timestamp) < {ends:Array(Int64)}[i], arrayEnumerate({starts:Array(Int64)})) AS w
    LEFT JOIN links ON links.alias_key = t.raw_key
    WHERE t.project_id = {projectId:String}
      AND t.timestamp >= fromUnixTimestamp64Milli({minMs:Int64}) AND t.timestamp < fromUnixTimestamp64Milli({maxMs:Int64})
    GROUP BY w, t.message_id
  )
SELECT w - 1 AS window,
  count() AS touchpoints,
  uniqExact(m_customer) AS active_customers,
  countIf(m_stage = 5) AS orders,
  sum(m_revenue) AS revenue,
  sumIf(m_revenue, m_stage = 5) AS order_revenue,
  countIf(m_complaint = 1) AS complaints,
  countIf({hasStage:Bool} AND m_stage = {stage:UInt8} OR {hasEvent:Bool} AND (m_event = {event:String} OR m_name = {event:String})) AS matched,
  uniqExactIf(m_customer, {hasStage:Bool} AND m_stage = {stage:UInt8}) AS stage_customers
FROM messages
GROUP BY window`;

/** Counts and money per window (windows without touchpoints are all zeros). */
export async function queryWindowFigures(
  client: ClickHouseClient,
  query: WindowFiguresQuery,
): Promise<WindowFigures[]> {
  const result = await client.query({
    query: FIGURES_SQL,
    format: 'JSONEachRow',
    query_params: {
      projectId: query.projectId,
      hasStage: query.stage !== undefined,
      stage: query.stage ?? 0,
      hasEvent: query.event !== undefined,
      event: query.event ?? '',
      ...windowParams(query.windows),
    },
  });
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
  const { sql, params } = customerCtes(query.model, new Date(query.endMs));
  const result = await client.query({
    query: `WITH ${sql}
      SELECT tier, count() AS customers FROM customers
      WHERE at_risk AND last_seen_ms >= {asOfMs:Int64} - {atRiskAfterMs:Int64} - {windowMs:Int64}
      GROUP BY tier`,
    format: 'JSONEachRow',
    query_params: { ...params, projectId: query.projectId, windowMs: query.windowMs },
  });
  const counts: Record<string, number> = Object.fromEntries([...VALUE_TIERS, ''].map((tier) => [tier, 0]));
  for (const row of await result.json<{ tier: string; customers: number | string }>()) {
    counts[row.tier] = toNumber(row.customers, 'turned_at_risk.customers');
  }
  return counts;
}
