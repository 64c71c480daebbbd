import type { ClickHouseClient } from '@clickhouse/client';
import {
  buildStageFunnel,
  type CustomerDimension,
  type CustomerModel,
  STAGES,
  type StageFunnel,
  type StageReachCount,
} from '@waymark/journey';
import { customerCtes, customerDimensionSql } from './customers.query.ts';
import { ClickHouseStorageError } from './errors.ts';
import { toNullableNumber, toNumber } from './values.ts';

export interface StageFunnelQuery {
  readonly projectId: string;
  /** Cohort: customers whose entry (first staged touchpoint) is in [from, to). */
  readonly from: Date;
  readonly to: Date;
  /** A customer counts at stage k when it first reached a stage ≥ k at most this long after entry. */
  readonly windowSeconds: number;
}

const STAGE_COUNT = STAGES.length;
const stageNumbers = Array.from({ length: STAGE_COUNT }, (_, position) => position + 1);
const laterStages = stageNumbers.slice(1);

/*
 * One pass over the pre-aggregation (DESIGN §3, "reached" mode):
 * 1. links: the identity map, latest link per alias (argMax = ReplacingMergeTree(linked_at) semantics, but
 *    exact before merges).
 * 2. funnel_customers: every stage_reach row (one per raw key and insert block until merges collapse them) is
 *    resolved through the map (mapped customer_key, else the raw key itself) and grouped by customer with
 *    min(): exact before merges, unaffected by duplicate touchpoints, and one aggregation instead of one
 *    per raw key and another per customer. The cohort filter runs after the merge, so an anonymous
 *    history linked later moves the customer's entry back in time.
 * 3. Stage k counts a customer when t_k − t_1 ≤ window (inclusive, millisecond precision); the time into
 *    stage k is t_k − t_(k−1) over the customers counted at k. Quantiles interpolate linearly between
 *    closest ranks (quantileExactInclusive, numpy's default percentile).
 */
export const LINKS_CTE = `
  links AS (
    SELECT alias_key, argMax(customer_key, linked_at) AS linked_customer
    FROM identities
    WHERE project_id = {projectId:String}
    GROUP BY alias_key
  )`;

export const FUNNEL_CTE = `
  funnel_customers AS (
    SELECT
      if(links.linked_customer = '', reach.raw_key, links.linked_customer) AS customer,
      ${stageNumbers.map((k) => `min(toUnixTimestamp64Milli(reach.first_at_${k})) AS t${k}`).join(',\n      ')}
    FROM stage_reach AS reach
    LEFT JOIN links ON links.alias_key = reach.raw_key
    WHERE reach.project_id = {projectId:String}
    GROUP BY customer
    HAVING t1 >= {fromMs:Int64} AND t1 < {toMs:Int64}
  )`;

const FUNNEL_AGGREGATES = `
  count() AS n1,
  ${laterStages.map((k) => `countIf(t${k} - t1 <= {windowMs:Int64}) AS n${k}`).join(',\n  ')},
  ${laterStages
    .map(
      (k) =>
        `quantilesExactInclusiveIf(0.5, 0.9)((t${k} - t${k - 1}) / 1000, t${k} - t1 <= {windowMs:Int64}) AS q${k}`,
    )
    .join(',\n  ')}`;

const STAGE_FUNNEL_SQL = `WITH ${LINKS_CTE}, ${FUNNEL_CTE} SELECT ${FUNNEL_AGGREGATES} FROM funnel_customers`;

/*
 * With a breakdown, each funnel customer is joined to its value of a customer dimension (computed by the
 * customer model's CTE chain, which defines the same `links`); a multi-valued dimension (interests) counts
 * a customer in each of its segments.
 */
const breakdownSql = (customersCtes: string, dimensionSql: string) => `
WITH ${customersCtes},
  ${FUNNEL_CTE},
  segments AS (SELECT customer, ${dimensionSql} AS segment FROM customers)
SELECT segments.segment AS segment, ${FUNNEL_AGGREGATES}
FROM funnel_customers
LEFT JOIN segments ON segments.customer = funnel_customers.customer
GROUP BY segment
ORDER BY n1 DESC, segment`;

type StageFunnelRow = Record<string, unknown>;

export function funnelParams(query: StageFunnelQuery): Record<string, string | number> {
  if (!Number.isFinite(query.windowSeconds) || query.windowSeconds < 0) {
    throw new RangeError(`windowSeconds must be a non-negative number, got ${query.windowSeconds}`);
  }
  return {
    projectId: query.projectId,
    // Epoch milliseconds as integers: exact in both backends, unlike Date parameters (see values.ts).
    fromMs: epochMs(query.from),
    toMs: epochMs(query.to),
    windowMs: Math.round(query.windowSeconds * 1000),
  };
}

const funnelOf = (row: StageFunnelRow): StageFunnel =>
  buildStageFunnel(stageNumbers.map((k) => stageCount(row, k)));

/** The reached-mode stage funnel of a project (DESIGN §3) from `stage_reach` and `identities`. */
export async function queryStageFunnel(
  client: ClickHouseClient,
  query: StageFunnelQuery,
): Promise<StageFunnel> {
  const result = await client.query({
    query: STAGE_FUNNEL_SQL,
    format: 'JSONEachRow',
    query_params: funnelParams(query),
  });
  const [row] = await result.json<StageFunnelRow>();
  if (!row)
    throw new ClickHouseStorageError('CLICKHOUSE_BAD_VALUE', 'the stage funnel query returned no row');
  return funnelOf(row);
}

export interface StageFunnelSegment extends StageFunnel {
  /** The dimension's value; '' when unknown. */
  readonly value: string;
}

/** The stage funnel once per value of a customer dimension (type, tier, country, trait:…), largest first. */
export async function queryStageFunnelBreakdown(
  client: ClickHouseClient,
  query: StageFunnelQuery & { dimension: CustomerDimension; model: CustomerModel; asOf?: Date },
): Promise<StageFunnelSegment[]> {
  const customers = customerCtes(query.model, query.asOf ?? new Date());
  const dimension = customerDimensionSql(query.dimension);
  const result = await client.query({
    query: breakdownSql(customers.sql, dimension.sql),
    format: 'JSONEachRow',
    query_params: { ...customers.params, ...dimension.params, ...funnelParams(query) },
  });
  return (await result.json<StageFunnelRow>()).map((row) => ({
    value: String(row.segment),
    ...funnelOf(row),
  }));
}

function stageCount(row: StageFunnelRow, k: number): StageReachCount {
  const customers = toNumber(row[`n${k}`], `stage funnel n${k}`);
  if (k === 1) return { customers, medianSecondsFromPrevious: null, p90SecondsFromPrevious: null };
  const quantiles = row[`q${k}`];
  if (!Array.isArray(quantiles)) {
    throw new ClickHouseStorageError('CLICKHOUSE_BAD_VALUE', `stage funnel q${k}: expected an array`);
  }
  return {
    customers,
    medianSecondsFromPrevious: toMilliseconds(toNullableNumber(quantiles[0], `stage funnel q${k}[0]`)),
    p90SecondsFromPrevious: toMilliseconds(toNullableNumber(quantiles[1], `stage funnel q${k}[1]`)),
  };
}

/** Seconds rounded to the millisecond, the precision of the data (interpolation adds float noise). */
function toMilliseconds(seconds: number | null): number | null {
  return seconds === null ? null : Math.round(seconds * 1000) / 1000;
}

function epochMs(date: Date): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError('from/to must be valid dates');
  return ms;
}
