import type { ClickHouseClient } from '@clickhouse/client';
import {
  AGE_BANDS,
  type CustomerDimension,
  type CustomerModel,
  type CustomerType,
  RFM_SEGMENTS,
  type RfmSegment,
  type StageName,
  stageName,
  type ValueTier,
} from '@waymark/journey';
import { RESOLVED_CUSTOMER_SQL } from './customer-raw-keys.ts';
import { LINKS_CTE } from './identities.ts';
import { countSessions } from './sessions.query.ts';
import { boundedRevenueSql, toNullableNumber, toNumber } from './values.ts';

/*
 * Customers are classified at query time from the streamed per-raw-key profiles (0007_customer_profiles.sql):
 * types and "at risk" depend on the time of asking, RFM scores and value tiers on the whole population, so
 * neither can be stored per customer without going stale. docs/customers.md defines every figure.
 *
 * The CTE chain, shared by every customer query:
 * 1. links: the identity map (latest link per alias).
 * 2. merged: the raw-key profiles merged per customer (the -Merge combinators combine the states of all
 *    of a customer's raw keys, so an identify merges two devices' profiles retroactively).
 * 3. facts: money deduplicated by message id, orders, revenue, order times.
 * 4. scored: type, at risk, and the population-wide window functions (RFM ranks, cumulative revenue).
 * 5. customers: RFM scores → named segment, cumulative revenue → tier.
 *
 * ClickHouse prunes the columns a query does not select from the chain, so a query that needs only the
 * scores merges only the states they depend on. Listing profiles is therefore two queries: the scores of
 * the whole population (filtered, one page), then the full profiles of that page's customers alone
 * (`DETAIL_SCOPE` reads only their raw keys, by primary key).
 */

/**
 * A customer's merged money rows `(message id, time, revenue, is order)` with one row per message id: a
 * client retry is re-enriched, so its copy may differ in timestamp and escape groupUniqArray's tuple dedup.
 * Revenue is bounded (values.ts), so no sum over these rows can overflow.
 */
export const dedupedMoneySql = (rows: string) =>
  `arrayMap(m -> (m.1, m.2, ${boundedRevenueSql('m.3')}, m.4), arrayMap(id -> arrayFirst(m -> m.1 = id, ${rows}), arrayDistinct(arrayMap(m -> m.1, ${rows}))))`;

/** SQL text of a key of a JSON column: a string as itself, any other value as its JSON text; '' when absent. */
export const jsonTextSql = (column: string, keySql: string) =>
  `if(JSONType(${column}, ${keySql}) = 'String', JSONExtractString(${column}, ${keySql}), JSONExtractRaw(${column}, ${keySql}))`;

/** SQL text of a trait of the latest identify call, whatever its JSON type. */
const trait = (nameSql: string) => jsonTextSql('traits', nameSql);

/*
 * A score 1–5 over purchasers: 1 + floor(5 × (purchasers with a strictly smaller value) / purchasers).
 * Ties share a score (the lowest of their range), so the result does not depend on row order.
 */
const score = (orderBy: string) =>
  `if(orders = 0, 0, 1 + intDiv(5 * (rank() OVER (PARTITION BY orders > 0 ORDER BY ${orderBy}) - 1), count() OVER (PARTITION BY orders > 0)))`;

const rfmSegmentSql = `multiIf(${RFM_SEGMENTS.map(
  (s) =>
    `recency_score BETWEEN ${s.recency[0]} AND ${s.recency[1]} AND frequency_score BETWEEN ${s.frequency[0]} AND ${s.frequency[1]}, '${s.name}'`,
).join(', ')}, '')`;

const customersCtes = (scope = '') => `
  ${LINKS_CTE.trim()},
  merged AS (
    SELECT
      if(links.linked_customer = '', p.raw_key, links.linked_customer) AS customer,
      arraySort(groupUniqArray(p.raw_key)) AS raw_keys,
      toUnixTimestamp64Milli(min(p.first_seen)) AS first_seen_ms,
      toUnixTimestamp64Milli(max(p.last_seen)) AS last_seen_ms,
      uniqExactMerge(p.touchpoints) AS touchpoints,
      uniqExactMerge(p.active_days) AS active_days,
      max(p.furthest_stage) AS furthest_stage,
      argMaxMerge(p.current_stage) AS current_stage,
      argMinMerge(p.entry_channel) AS channel,
      groupUniqArrayMerge(p.money) AS money_rows,
      toUnixTimestamp64Milli(max(p.last_complaint_at)) AS last_complaint_ms,
      uniqExactMerge(p.complaints) AS complaints,
      toUnixTimestamp64Milli(max(p.last_advocacy_at)) AS last_advocacy_ms,
      argMaxMerge(p.country) AS country,
      argMaxMerge(p.region) AS region,
      argMaxMerge(p.city) AS city,
      argMaxMerge(p.device_type) AS device,
      argMaxMerge(p.os) AS os,
      argMaxMerge(p.browser) AS browser,
      argMaxMerge(p.traits) AS traits
    FROM customer_profiles AS p
    LEFT JOIN links ON links.alias_key = p.raw_key
    WHERE p.project_id = {projectId:String}${scope}
    GROUP BY customer
  ),
  facts AS (
    SELECT *,
      ${dedupedMoneySql('money_rows')} AS money,
      arrayFilter(m -> m.4 = 1, money) AS order_rows,
      length(order_rows) AS orders,
      arraySum(m -> m.3, money) AS revenue,
      arraySum(m -> m.3, order_rows) AS order_revenue,
      if(orders = 0, NULL, toUnixTimestamp64Milli(arrayMin(m -> m.2, order_rows))) AS first_order_ms,
      if(orders = 0, NULL, toUnixTimestamp64Milli(arrayMax(m -> m.2, order_rows))) AS last_order_ms,
      length(arrayFilter(m -> toUnixTimestamp64Milli(m.2) >= {asOfMs:Int64} - {loyalOrdersWithinMs:Int64}, order_rows)) AS recent_orders
    FROM merged
  ),
  scored AS (
    SELECT *,
      multiIf(
        ifNull(last_complaint_ms >= {asOfMs:Int64} - {complainingWithinMs:Int64}, 0), 'complaining',
        ifNull(last_advocacy_ms >= {asOfMs:Int64} - {advocateWithinMs:Int64}, 0), 'advocate',
        orders > 0 AND last_seen_ms < {asOfMs:Int64} - {lostAfterMs:Int64}, 'lost',
        recent_orders >= {loyalMinOrders:UInt32} AND last_seen_ms >= {asOfMs:Int64} - {loyalActiveWithinMs:Int64}, 'loyal',
        orders >= {casualMinOrders:UInt32}, 'casual',
        orders >= 1, 'new',
        'potential') AS type,
      orders > 0 AND last_seen_ms < {asOfMs:Int64} - {atRiskAfterMs:Int64} AND last_seen_ms >= {asOfMs:Int64} - {lostAfterMs:Int64} AS at_risk,
      ${score('ifNull(last_order_ms, 0)')} AS recency_score,
      ${score('orders')} AS frequency_score,
      ${score('revenue')} AS monetary_score,
      sum(revenue) OVER (PARTITION BY revenue > 0 ORDER BY revenue DESC, customer ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS revenue_before,
      sum(revenue) OVER (PARTITION BY revenue > 0) AS revenue_total
    FROM facts
  ),
  customers AS (
    SELECT *,
      if(orders = 0, '', ${rfmSegmentSql}) AS rfm_segment,
      if(revenue <= 0, '', multiIf(revenue_before < {tierA:Float64} * revenue_total, 'A', revenue_before < {tierB:Float64} * revenue_total, 'B', 'C')) AS tier
    FROM scored
  )`;

const DAY_MS = 86_400_000;

function modelParams(model: CustomerModel, asOf: Date): Record<string, number> {
  return {
    asOfMs: asOf.getTime(),
    complainingWithinMs: model.complainingWithinDays * DAY_MS,
    advocateWithinMs: model.advocateWithinDays * DAY_MS,
    lostAfterMs: model.lostAfterDays * DAY_MS,
    loyalMinOrders: model.loyal.minOrders,
    loyalOrdersWithinMs: model.loyal.ordersWithinDays * DAY_MS,
    loyalActiveWithinMs: model.loyal.activeWithinDays * DAY_MS,
    casualMinOrders: model.casualMinOrders,
    atRiskAfterMs: model.atRiskAfterDays * DAY_MS,
    tierA: model.tiers.a,
    tierB: model.tiers.b,
  };
}

/*
 * Every dimension as a SQL expression over `customers` giving one value per customer, except `interest`,
 * which gives one row per interest (a customer with two interests is in both segments). '' is "unknown".
 */
const AGE_SQL = `multiIf(isNull(toFloat64OrNull(${trait("'age'")})), '', ${AGE_BANDS.map((band) =>
  Number.isFinite(band.below)
    ? `toFloat64OrNull(${trait("'age'")}) < ${band.below}, '${band.name}'`
    : `'${band.name}'`,
).join(', ')})`;
const INCOME_SQL = `multiIf(isNull(toFloat64OrNull(${trait("'income'")})), ${trait("'income'")},
  toFloat64OrNull(${trait("'income'")}) < 25000, 'under 25k', toFloat64OrNull(${trait("'income'")}) < 50000, '25k-50k',
  toFloat64OrNull(${trait("'income'")}) < 100000, '50k-100k', toFloat64OrNull(${trait("'income'")}) < 200000, '100k-200k', '200k+')`;
const INTERESTS_SQL = `if(JSONType(traits, 'interests') = 'Array', JSONExtract(traits, 'interests', 'Array(String)'),
  arrayFilter(x -> x != '', arrayMap(x -> trimBoth(x), splitByChar(',', ${trait("'interests'")}))))`;
const STAGE_NAME_SQL = (column: string) =>
  `[${Array.from({ length: 7 }, (_, i) => `'${stageName(i + 1)}'`).join(', ')}][${column}]`;

const DIMENSION_SQL: Record<Exclude<CustomerDimension, `trait:${string}`>, string> = {
  type: 'type',
  at_risk: "if(at_risk, 'at risk', if(orders > 0, 'not at risk', ''))",
  rfm_segment: 'rfm_segment',
  tier: 'tier',
  gender: `lower(${trait("'gender'")})`,
  age: AGE_SQL,
  income: INCOME_SQL,
  education: trait("'education'"),
  occupation: trait("'occupation'"),
  marital_status: `if(JSONHas(traits, 'maritalStatus'), ${trait("'maritalStatus'")}, ${trait("'marital_status'")})`,
  interest: `arrayJoin(if(empty(${INTERESTS_SQL}), [''], ${INTERESTS_SQL}))`,
  country: 'country',
  region: 'region',
  city: 'city',
  channel: 'channel',
  current_stage: `if(current_stage = 0, '', ${STAGE_NAME_SQL('current_stage')})`,
  furthest_stage: `if(furthest_stage = 0, '', ${STAGE_NAME_SQL('furthest_stage')})`,
  device: 'device',
  os: 'os',
  browser: 'browser',
  orders: "multiIf(orders = 0, '0', orders = 1, '1', orders = 2, '2', orders <= 5, '3-5', '6+')",
};

/** The SQL expression of a dimension over `customers`; a `trait:` name goes in `{traitName:String}`. */
export function customerDimensionSql(dimension: CustomerDimension): {
  sql: string;
  params: Record<string, string>;
} {
  if (dimension.startsWith('trait:')) {
    return { sql: trait('{traitName:String}'), params: { traitName: dimension.slice('trait:'.length) } };
  }
  return { sql: DIMENSION_SQL[dimension as keyof typeof DIMENSION_SQL], params: {} };
}

/** The `WITH` chain that defines `customers`: one row per identity-resolved customer, classified. */
export function customerCtes(
  model: CustomerModel,
  asOf: Date,
): { sql: string; params: Record<string, string | number> } {
  return { sql: customersCtes(), params: modelParams(model, asOf) };
}

export interface CustomerProfile {
  /** `u:<userId>` once identified, else `a:<anonymousId>`. */
  readonly customer: string;
  readonly userId: string | null;
  readonly anonymousIds: readonly string[];
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly touchpoints: number;
  readonly activeDays: number;
  readonly furthestStage: StageName | null;
  readonly currentStage: StageName | null;
  readonly entryChannel: string;
  readonly demographics: {
    readonly age: number | null;
    readonly gender: string;
    readonly income: string;
    readonly education: string;
    readonly occupation: string;
    readonly maritalStatus: string;
  };
  readonly interests: readonly string[];
  readonly geography: { readonly country: string; readonly region: string; readonly city: string };
  readonly technographics: { readonly device: string; readonly os: string; readonly browser: string };
  readonly purchases: {
    readonly orders: number;
    /** Every touchpoint's revenue (orders, renewals…), in the project's currency. */
    readonly revenue: number;
    /** Revenue of orders ÷ orders; null without orders. */
    readonly averageOrderValue: number | null;
    readonly firstOrderAt: string | null;
    readonly lastOrderAt: string | null;
  };
  readonly signals: {
    readonly complaints: number;
    readonly lastComplaintAt: string | null;
    readonly lastAdvocacyAt: string | null;
  };
  readonly type: CustomerType;
  readonly atRisk: boolean;
  /** Quintile scores over purchasers; null for customers without orders. */
  readonly rfm: {
    readonly recency: number;
    readonly frequency: number;
    readonly monetary: number;
    readonly segment: RfmSegment;
  } | null;
  readonly tier: ValueTier | null;
  /** The latest identify call's traits. */
  readonly traits: Record<string, unknown>;
}

const SCORE_COLUMNS =
  'customer, type, at_risk, recency_score, frequency_score, monetary_score, rfm_segment, tier';

const DETAIL_COLUMNS = `customer, raw_keys, first_seen_ms, last_seen_ms, touchpoints, active_days, furthest_stage,
  current_stage, channel, orders, revenue, order_revenue, first_order_ms, last_order_ms, complaints,
  last_complaint_ms, last_advocacy_ms, country, region, city, device, os, browser, traits,
  toFloat64OrNull(${trait("'age'")}) AS age, lower(${trait("'gender'")}) AS gender, ${trait("'income'")} AS income,
  ${trait("'education'")} AS education, ${trait("'occupation'")} AS occupation,
  ${DIMENSION_SQL.marital_status} AS marital_status, ${INTERESTS_SQL} AS interests`;

const DETAIL_SCOPE = `
      AND (p.raw_key IN {keys:Array(String)}
        OR p.raw_key IN (SELECT alias_key FROM links WHERE linked_customer IN {keys:Array(String)}))`;

type Row = Record<string, unknown>;

const iso = (value: unknown, what: string): string | null => {
  const ms = toNullableNumber(value, what);
  return ms === null ? null : new Date(ms).toISOString();
};

function parseTraits(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string' || text === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

const stageOrNull = (value: unknown, what: string): StageName | null => {
  const index = toNumber(value, what);
  return index === 0 ? null : stageName(index);
};

/** A profile from a detail row and the same customer's score row. */
function toProfile(row: Row, scores: Row): CustomerProfile {
  const customer = String(row.customer);
  const rawKeys = Array.isArray(row.raw_keys) ? row.raw_keys.map(String) : [];
  const orders = toNumber(row.orders, 'customers.orders');
  const text = (key: string) => String(row[key] ?? '');
  return {
    customer,
    userId: customer.startsWith('u:') ? customer.slice(2) : null,
    anonymousIds: rawKeys.filter((k) => k.startsWith('a:')).map((k) => k.slice(2)),
    firstSeenAt: new Date(toNumber(row.first_seen_ms, 'customers.first_seen_ms')).toISOString(),
    lastSeenAt: new Date(toNumber(row.last_seen_ms, 'customers.last_seen_ms')).toISOString(),
    touchpoints: toNumber(row.touchpoints, 'customers.touchpoints'),
    activeDays: toNumber(row.active_days, 'customers.active_days'),
    furthestStage: stageOrNull(row.furthest_stage, 'customers.furthest_stage'),
    currentStage: stageOrNull(row.current_stage, 'customers.current_stage'),
    entryChannel: text('channel'),
    demographics: {
      age: toNullableNumber(row.age, 'customers.age'),
      gender: text('gender'),
      income: text('income'),
      education: text('education'),
      occupation: text('occupation'),
      maritalStatus: text('marital_status'),
    },
    interests: Array.isArray(row.interests) ? row.interests.map(String) : [],
    geography: { country: text('country'), region: text('region'), city: text('city') },
    technographics: { device: text('device'), os: text('os'), browser: text('browser') },
    purchases: {
      orders,
      revenue: toNumber(row.revenue, 'customers.revenue'),
      averageOrderValue:
        orders === 0 ? null : toNumber(row.order_revenue, 'customers.order_revenue') / orders,
      firstOrderAt: iso(row.first_order_ms, 'customers.first_order_ms'),
      lastOrderAt: iso(row.last_order_ms, 'customers.last_order_ms'),
    },
    signals: {
      complaints: toNumber(row.complaints, 'customers.complaints'),
      lastComplaintAt: iso(row.last_complaint_ms, 'customers.last_complaint_ms'),
      lastAdvocacyAt: iso(row.last_advocacy_ms, 'customers.last_advocacy_ms'),
    },
    type: String(scores.type) as CustomerType,
    atRisk: Boolean(toNumber(scores.at_risk, 'customers.at_risk')),
    rfm:
      orders === 0
        ? null
        : {
            recency: toNumber(scores.recency_score, 'customers.recency_score'),
            frequency: toNumber(scores.frequency_score, 'customers.frequency_score'),
            monetary: toNumber(scores.monetary_score, 'customers.monetary_score'),
            segment: String(scores.rfm_segment) as RfmSegment,
          },
    tier: scores.tier === '' ? null : (String(scores.tier) as ValueTier),
    traits: parseTraits(row.traits),
  };
}

export interface CustomersFilter {
  readonly type?: CustomerType;
  readonly atRisk?: boolean;
  readonly tier?: ValueTier;
  readonly rfmSegment?: RfmSegment;
}

export interface CustomersQuery {
  readonly projectId: string;
  readonly model: CustomerModel;
  /** The instant recency rules are measured from (default now). */
  readonly asOf?: Date;
  readonly filter?: CustomersFilter;
  readonly limit: number;
  /** Keyset paging: customers after this customer key. */
  readonly after?: string;
}

/** Full profiles of the given customers (their scores computed over the whole population), in key order. */
async function profilesOf(
  client: ClickHouseClient,
  query: { projectId: string; params: Record<string, string | number> },
  scores: readonly Row[],
): Promise<Array<{ profile: CustomerProfile; rawKeys: string[] }>> {
  if (scores.length === 0) return [];
  const result = await client.query({
    query: `WITH ${customersCtes(DETAIL_SCOPE)}
      SELECT ${DETAIL_COLUMNS} FROM customers WHERE customer IN {keys:Array(String)} ORDER BY customer`,
    format: 'JSONEachRow',
    query_params: {
      ...query.params,
      projectId: query.projectId,
      keys: scores.map((s) => String(s.customer)),
    },
  });
  const scoresOf = new Map(scores.map((s) => [String(s.customer), s]));
  return (await result.json<Row>()).map((row) => ({
    profile: toProfile(row, scoresOf.get(String(row.customer)) ?? {}),
    rawKeys: Array.isArray(row.raw_keys) ? row.raw_keys.map(String) : [],
  }));
}

/** Customers in customer-key order, filtered; `next` is the cursor of the following page. */
export async function queryCustomers(
  client: ClickHouseClient,
  query: CustomersQuery,
): Promise<{ customers: CustomerProfile[]; next: string | null }> {
  const { sql, params } = customerCtes(query.model, query.asOf ?? new Date());
  const filter = query.filter ?? {};
  const conditions = [
    'customer > {after:String}',
    filter.type === undefined ? '' : 'type = {type:String}',
    filter.atRisk === undefined ? '' : 'at_risk = {atRisk:Bool}',
    filter.tier === undefined ? '' : 'tier = {tier:String}',
    filter.rfmSegment === undefined ? '' : 'rfm_segment = {rfmSegment:String}',
  ].filter((c) => c !== '');
  const result = await client.query({
    query: `WITH ${sql}
      SELECT ${SCORE_COLUMNS} FROM customers
      WHERE ${conditions.join(' AND ')}
      ORDER BY customer LIMIT {limit:UInt32}`,
    format: 'JSONEachRow',
    query_params: {
      ...params,
      projectId: query.projectId,
      after: query.after ?? '',
      type: filter.type ?? '',
      atRisk: filter.atRisk ?? false,
      tier: filter.tier ?? '',
      rfmSegment: filter.rfmSegment ?? '',
      limit: query.limit + 1,
    },
  });
  const scores = await result.json<Row>();
  const page = scores.slice(0, query.limit);
  const profiles = await profilesOf(client, { projectId: query.projectId, params }, page);
  return {
    customers: profiles.map((p) => p.profile),
    next: scores.length > query.limit ? String(page.at(-1)?.customer) : null,
  };
}

/** A profile with what is too costly to compute for a whole list. */
export interface CustomerDetail extends CustomerProfile {
  /** By the session rule of sessions.query.ts, over all the customer's raw keys. */
  readonly sessions: number;
}

/** One customer's profile, by customer key (`u:…`) or any of its raw keys (`a:…`); undefined if unknown. */
export async function queryCustomer(
  client: ClickHouseClient,
  query: { projectId: string; model: CustomerModel; asOf?: Date; customer: string },
): Promise<CustomerDetail | undefined> {
  const { sql, params } = customerCtes(query.model, query.asOf ?? new Date());
  const result = await client.query({
    query: `WITH ${sql}
      SELECT ${SCORE_COLUMNS} FROM customers WHERE customer = ${RESOLVED_CUSTOMER_SQL}`,
    format: 'JSONEachRow',
    query_params: { ...params, projectId: query.projectId, customer: query.customer },
  });
  const [found] = await profilesOf(client, { projectId: query.projectId, params }, await result.json<Row>());
  if (found === undefined) return undefined;
  const sessions = await countSessions(client, { projectId: query.projectId, rawKeys: found.rawKeys });
  return { ...found.profile, sessions };
}

export interface Segment {
  /** The dimension's value; '' when unknown. */
  readonly value: string;
  readonly customers: number;
  /** Customers with at least one order. */
  readonly purchasers: number;
  /** purchasers ÷ customers. */
  readonly conversionRate: number;
  readonly orders: number;
  readonly revenue: number;
  readonly averageOrderValue: number | null;
  readonly atRisk: number;
}

/** Segment sizes and KPIs for every value of a customer dimension, largest first. */
export async function querySegments(
  client: ClickHouseClient,
  query: { projectId: string; model: CustomerModel; asOf?: Date; dimension: CustomerDimension },
): Promise<Segment[]> {
  const { sql, params } = customerCtes(query.model, query.asOf ?? new Date());
  const dimension = customerDimensionSql(query.dimension);
  const result = await client.query({
    query: `WITH ${sql}
      SELECT ${dimension.sql} AS value, count() AS n, countIf(orders > 0) AS purchasers,
        sum(orders) AS total_orders, sum(revenue) AS total_revenue, sum(order_revenue) AS total_order_revenue,
        countIf(at_risk) AS at_risk_customers
      FROM customers
      GROUP BY value ORDER BY n DESC, value`,
    format: 'JSONEachRow',
    query_params: { ...params, ...dimension.params, projectId: query.projectId },
  });
  return (await result.json<Row>()).map((row) => {
    const customers = toNumber(row.n, 'segments.n');
    const purchasers = toNumber(row.purchasers, 'segments.purchasers');
    const orders = toNumber(row.total_orders, 'segments.total_orders');
    return {
      value: String(row.value),
      customers,
      purchasers,
      conversionRate: customers === 0 ? 0 : purchasers / customers,
      orders,
      revenue: toNumber(row.total_revenue, 'segments.total_revenue'),
      averageOrderValue:
        orders === 0 ? null : toNumber(row.total_order_revenue, 'segments.total_order_revenue') / orders,
      atRisk: toNumber(row.at_risk_customers, 'segments.at_risk_customers'),
    };
  });
}
