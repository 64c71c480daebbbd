import {
  AGE_BANDS,
  type CustomerDimension,
  type CustomerModel,
  RFM_SEGMENTS,
  stageName,
} from '@waymark/journey';
import { linkedCustomerSql, linksCte } from './identities.ts';
import { type Cte, cte, type QueryParams, type SqlText } from './sql.ts';
import { boundedRevenueSql } from './values.ts';

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
 * (a `scope` that reads only their raw keys, by primary key).
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
export const trait = (nameSql: string) => jsonTextSql('traits', nameSql);

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

export interface CustomerChain {
  readonly projectId: string;
  readonly model: CustomerModel;
  /** The instant recency rules are measured from. */
  readonly asOf: Date;
  /** More conditions on the profile rows `p` read (e.g. one page's raw keys), starting with AND. */
  readonly scope?: SqlText;
}

/**
 * The columns of `merged` (step 2 above) over profile rows `p`, grouped by customer; also for a query that
 * reads the profiles of its own keys (why-drop.query.ts).
 */
export const MERGED_PROFILE_COLUMNS = `arraySort(groupUniqArray(p.raw_key)) AS raw_keys,
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
      argMaxMerge(p.traits) AS traits`;

/** `merged`: the raw-key profiles merged per customer, before any classification (step 2 above). */
export const mergedCte = (chain: CustomerChain) =>
  cte(
    'merged',
    (p) => `
    SELECT
      ${linkedCustomerSql('p.raw_key')} AS customer,
      ${MERGED_PROFILE_COLUMNS}
    FROM customer_profiles AS p
    LEFT JOIN links ON links.alias_key = p.raw_key
    WHERE p.project_id = ${p.named('projectId', chain.projectId, 'String')}${chain.scope?.(p) ?? ''}
    GROUP BY customer`,
    [linksCte(chain.projectId)],
  );

/** The columns `facts` adds to `merged`'s (step 3 above). */
const factsColumns = (p: QueryParams, chain: Pick<CustomerChain, 'model' | 'asOf'>) => {
  const { asOfMs, loyalOrdersWithinMs } = modelParams(p, chain);
  return `${dedupedMoneySql('money_rows')} AS money,
      arrayFilter(m -> m.4 = 1, money) AS order_rows,
      length(order_rows) AS orders,
      arraySum(m -> m.3, money) AS revenue,
      arraySum(m -> m.3, order_rows) AS order_revenue,
      if(orders = 0, NULL, toUnixTimestamp64Milli(arrayMin(m -> m.2, order_rows))) AS first_order_ms,
      if(orders = 0, NULL, toUnixTimestamp64Milli(arrayMax(m -> m.2, order_rows))) AS last_order_ms,
      length(arrayFilter(m -> toUnixTimestamp64Milli(m.2) >= ${asOfMs} - ${loyalOrdersWithinMs}, order_rows)) AS recent_orders`;
};

/** Type and "at risk" (step 4), which depend on the customer's own facts only. */
const typeColumns = (p: QueryParams, chain: Pick<CustomerChain, 'model' | 'asOf'>) => {
  const m = modelParams(p, chain);
  return `multiIf(
        ifNull(last_complaint_ms >= ${m.asOfMs} - ${m.complainingWithinMs}, 0), 'complaining',
        ifNull(last_advocacy_ms >= ${m.asOfMs} - ${m.advocateWithinMs}, 0), 'advocate',
        orders > 0 AND last_seen_ms < ${m.asOfMs} - ${m.lostAfterMs}, 'lost',
        recent_orders >= ${m.loyalMinOrders} AND last_seen_ms >= ${m.asOfMs} - ${m.loyalActiveWithinMs}, 'loyal',
        orders >= ${m.casualMinOrders}, 'casual',
        orders >= 1, 'new',
        'potential') AS type,
      orders > 0 AND last_seen_ms < ${m.asOfMs} - ${m.atRiskAfterMs} AND last_seen_ms >= ${m.asOfMs} - ${m.lostAfterMs} AS at_risk`;
};

/** Dimensions ranked over the whole population; every other one is a function of the customer's own profile. */
export const POPULATION_WIDE_DIMENSIONS: ReadonlySet<string> = new Set(['rfm_segment', 'rfm_score', 'tier']);

/**
 * SQL: the rows of `merged` (the columns of {@link MERGED_PROFILE_COLUMNS}, per customer) with the columns of
 * every dimension but the {@link POPULATION_WIDE_DIMENSIONS}, for a query that merges its own customers only.
 */
export const ownClassificationSql =
  (merged: string, chain: Pick<CustomerChain, 'model' | 'asOf'>): SqlText =>
  (p) =>
    `SELECT *, ${typeColumns(p, chain)} FROM (SELECT *, ${factsColumns(p, chain)} FROM (${merged}))`;

const facts = (chain: CustomerChain) =>
  cte('facts', (p) => `SELECT *, ${factsColumns(p, chain)} FROM merged`, [mergedCte(chain)]);

const scored = (chain: CustomerChain) =>
  cte(
    'scored',
    (p) => `
    SELECT *,
      ${typeColumns(p, chain)},
      ${score('ifNull(last_order_ms, 0)')} AS recency_score,
      ${score('orders')} AS frequency_score,
      ${score('revenue')} AS monetary_score,
      sum(revenue) OVER (PARTITION BY revenue > 0 ORDER BY revenue DESC, customer ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS revenue_before,
      sum(revenue) OVER (PARTITION BY revenue > 0) AS revenue_total
    FROM facts`,
    [facts(chain)],
  );

/** `customers`: one row per identity-resolved customer, classified, at the end of its CTE chain. */
export const customersCte = (chain: CustomerChain): Cte =>
  cte(
    'customers',
    (p) => {
      const { tierA, tierB } = modelParams(p, chain);
      return `
    SELECT *,
      if(orders = 0, '', ${rfmSegmentSql}) AS rfm_segment,
      if(revenue <= 0, '', multiIf(revenue_before < ${tierA} * revenue_total, 'A', revenue_before < ${tierB} * revenue_total, 'B', 'C')) AS tier
    FROM scored`;
    },
    [scored(chain)],
  );

const DAY_MS = 86_400_000;

/**
 * The customer model's figures as named parameters (`{asOfMs:Int64}`…): the same names in every CTE of the
 * chain, and for a query that compares with them (who turned at risk). Each is bound when it is read, so a
 * query that uses part of the chain binds only the figures it writes.
 */
export function modelParams(p: QueryParams, { model, asOf }: Pick<CustomerChain, 'model' | 'asOf'>) {
  const ms = (name: string, days: number) => p.named(name, days * DAY_MS, 'Int64');
  return {
    get asOfMs() {
      return p.named('asOfMs', asOf.getTime(), 'Int64');
    },
    get complainingWithinMs() {
      return ms('complainingWithinMs', model.complainingWithinDays);
    },
    get advocateWithinMs() {
      return ms('advocateWithinMs', model.advocateWithinDays);
    },
    get lostAfterMs() {
      return ms('lostAfterMs', model.lostAfterDays);
    },
    get loyalMinOrders() {
      return p.named('loyalMinOrders', model.loyal.minOrders, 'UInt32');
    },
    get loyalOrdersWithinMs() {
      return ms('loyalOrdersWithinMs', model.loyal.ordersWithinDays);
    },
    get loyalActiveWithinMs() {
      return ms('loyalActiveWithinMs', model.loyal.activeWithinDays);
    },
    get casualMinOrders() {
      return p.named('casualMinOrders', model.casualMinOrders, 'UInt32');
    },
    get atRiskAfterMs() {
      return ms('atRiskAfterMs', model.atRiskAfterDays);
    },
    get tierA() {
      return p.named('tierA', model.tiers.a, 'Float64');
    },
    get tierB() {
      return p.named('tierB', model.tiers.b, 'Float64');
    },
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
export const INTERESTS_SQL = `if(JSONType(traits, 'interests') = 'Array', JSONExtract(traits, 'interests', 'Array(String)'),
  arrayFilter(x -> x != '', arrayMap(x -> trimBoth(x), splitByChar(',', ${trait("'interests'")}))))`;
const STAGE_NAME_SQL = (column: string) =>
  `[${Array.from({ length: 7 }, (_, i) => `'${stageName(i + 1)}'`).join(', ')}][${column}]`;

export const DIMENSION_SQL: Record<Exclude<CustomerDimension, `trait:${string}`>, string> = {
  type: 'type',
  at_risk: "if(at_risk, 'at risk', if(orders > 0, 'not at risk', ''))",
  rfm_segment: 'rfm_segment',
  // The cell of the 5×5 recency × frequency grid: `R5 F3`.
  rfm_score: "if(orders = 0, '', concat('R', toString(recency_score), ' F', toString(frequency_score)))",
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

/** The SQL expression of a dimension over `customers`; a `trait:` name is a bound parameter. */
export function customerDimensionSql(dimension: CustomerDimension): SqlText {
  if (dimension.startsWith('trait:')) {
    // Bound, not named: a breakdown may have several trait dimensions.
    return (p) => trait(p.bind(dimension.slice('trait:'.length), 'String'));
  }
  const sql = DIMENSION_SQL[dimension as keyof typeof DIMENSION_SQL];
  return () => sql;
}
