import type { ClickHouseClient } from '@clickhouse/client';
import {
  type CustomerDimension,
  type CustomerModel,
  type CustomerType,
  parseCustomerKey,
  type RfmSegment,
  type StageName,
  stageName,
  type ValueTier,
} from '@waymark/journey';
import {
  type CustomerChain,
  customerDimensionSql,
  customersCte,
  DIMENSION_SQL,
  INTERESTS_SQL,
  trait,
} from './customer-chain.ts';
import { resolvedCustomerSql } from './customer-raw-keys.ts';
import { countSessions } from './sessions.query.ts';
import { buildQuery, type SqlText } from './sql.ts';
import { toNullableNumber, toNumber } from './values.ts';

/*
 * The customer queries read `customers` (customer-chain.ts). Listing profiles is two queries: the scores of
 * the whole population (filtered, one page), then the full profiles of that page's customers alone, whose
 * chain reads only their raw keys (`detailScope`, by primary key).
 */

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

const detailScope =
  (keys: SqlText): SqlText =>
  (p) =>
    `
      AND (p.raw_key IN ${keys(p)}
        OR p.raw_key IN (SELECT alias_key FROM links WHERE linked_customer IN ${keys(p)}))`;

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

const userIdOf = (key: string) => {
  const parsed = parseCustomerKey(key);
  return parsed?.kind === 'user' ? parsed.id : null;
};

/** A profile from a detail row and the same customer's score row. */
function toProfile(row: Row, scores: Row): CustomerProfile {
  const customer = String(row.customer);
  const rawKeys = Array.isArray(row.raw_keys) ? row.raw_keys.map(String) : [];
  const orders = toNumber(row.orders, 'customers.orders');
  const text = (key: string) => String(row[key] ?? '');
  return {
    customer,
    userId: userIdOf(customer),
    anonymousIds: rawKeys.flatMap((key) => {
      const parsed = parseCustomerKey(key);
      return parsed?.kind === 'anonymous' ? [parsed.id] : [];
    }),
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

const chainOf = (query: { projectId: string; model: CustomerModel; asOf?: Date }): CustomerChain => ({
  projectId: query.projectId,
  model: query.model,
  asOf: query.asOf ?? new Date(),
});

/** Full profiles of the given customers (their scores computed over the whole population), in key order. */
async function profilesOf(
  client: ClickHouseClient,
  chain: CustomerChain,
  scores: readonly Row[],
): Promise<Array<{ profile: CustomerProfile; rawKeys: string[] }>> {
  if (scores.length === 0) return [];
  const keys: SqlText = (p) =>
    p.named(
      'keys',
      scores.map((s) => String(s.customer)),
      'Array(String)',
    );
  const { sql, params } = buildQuery(
    [customersCte({ ...chain, scope: detailScope(keys) })],
    (p) => `SELECT ${DETAIL_COLUMNS} FROM customers WHERE customer IN ${keys(p)} ORDER BY customer`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
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
  const chain = chainOf(query);
  const filter = query.filter ?? {};
  const { sql, params } = buildQuery([customersCte(chain)], (p) => {
    const conditions = [
      `customer > ${p.bind(query.after ?? '', 'String')}`,
      ...(filter.type === undefined ? [] : [`type = ${p.bind(filter.type, 'String')}`]),
      ...(filter.atRisk === undefined ? [] : [`at_risk = ${p.bind(filter.atRisk, 'Bool')}`]),
      ...(filter.tier === undefined ? [] : [`tier = ${p.bind(filter.tier, 'String')}`]),
      ...(filter.rfmSegment === undefined ? [] : [`rfm_segment = ${p.bind(filter.rfmSegment, 'String')}`]),
    ];
    return `SELECT ${SCORE_COLUMNS} FROM customers
      WHERE ${conditions.join(' AND ')}
      ORDER BY customer LIMIT ${p.bind(query.limit + 1, 'UInt32')}`;
  });
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const scores = await result.json<Row>();
  const page = scores.slice(0, query.limit);
  const profiles = await profilesOf(client, chain, page);
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
  const chain = chainOf(query);
  const { sql, params } = buildQuery(
    [customersCte(chain)],
    (p) =>
      `SELECT ${SCORE_COLUMNS} FROM customers WHERE customer = ${resolvedCustomerSql(query.projectId, query.customer)(p)}`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const [found] = await profilesOf(client, chain, await result.json<Row>());
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
  const dimension = customerDimensionSql(query.dimension);
  const { sql, params } = buildQuery(
    [customersCte(chainOf(query))],
    (p) => `SELECT ${dimension(p)} AS value, count() AS n, countIf(orders > 0) AS purchasers,
        sum(orders) AS total_orders, sum(revenue) AS total_revenue, sum(order_revenue) AS total_order_revenue,
        countIf(at_risk) AS at_risk_customers
      FROM customers
      GROUP BY value ORDER BY n DESC, value`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
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
