import type { ClickHouseClient } from '@clickhouse/client';
import type { CustomerDimension, CustomerModel } from '@waymark/journey';
import { customerCtes, customerDimensionSql } from './customers.query.ts';
import { LINKS_CTE } from './identities.ts';
import { type PeriodInterval, periodOf, periodPlus, periodStart, periodStartMs } from './periods.ts';
import { toNumber } from './values.ts';

export interface RetentionQuery {
  readonly projectId: string;
  /** Cohorts: customers whose first touchpoint ever falls in a period overlapping [from, to). */
  readonly from: Date;
  readonly to: Date;
  readonly interval: Exclude<PeriodInterval, 'quarter' | 'year'>;
  readonly timezone: string;
  /** Periods after the cohort's own (offset 0) to report. */
  readonly periods: number;
  /** Split every cohort by a customer dimension (e.g. `channel`: the acquisition channel). */
  readonly breakdown?: { dimension: CustomerDimension; model: CustomerModel; asOf?: Date };
}

export interface RetentionCohort {
  /** First instant of the cohort's period. */
  readonly start: string;
  /** The breakdown value; absent without a breakdown. */
  readonly segment?: string;
  readonly customers: number;
  /**
   * Customers of the cohort active (any touchpoint) in the cohort's period + k, for k = 0 … periods;
   * null for periods that have not begun yet.
   */
  readonly retained: ReadonlyArray<number | null>;
  /** retained[k] ÷ customers. */
  readonly rates: ReadonlyArray<number | null>;
}

const offsetSql = (interval: RetentionQuery['interval'], from: string, to: string) =>
  interval === 'week'
    ? `intDiv(dateDiff('day', ${from}, ${to}), 7)`
    : `dateDiff('${interval}', ${from}, ${to})`;

/*
 * From the customer profiles (0007) alone: each identity-resolved customer's first touchpoint ever (its
 * cohort) and its 15-minute activity slots, exact per period in any time zone. A customer always counts at
 * offset 0 (its first touchpoint is there), so offset 0 is the cohort's size. With a breakdown the customer
 * model's chain (which defines the same `links`) gives each customer its segment.
 */
function retentionSql(interval: RetentionQuery['interval'], segmentSql: string | undefined): string {
  const firstPeriod = periodOf(interval, 'fromUnixTimestamp64Milli({fromMs:Int64})');
  const segment = segmentSql === undefined ? '' : 'segment, ';
  return `
  cohorts AS (
    SELECT customer, ${periodOf(interval, 'first_seen')} AS cohort, slots
    FROM (
      SELECT if(links.linked_customer = '', p.raw_key, links.linked_customer) AS customer,
        min(p.first_seen) AS first_seen, groupUniqArrayMerge(p.active_slots) AS slots
      FROM customer_profiles AS p LEFT JOIN links ON links.alias_key = p.raw_key
      WHERE p.project_id = {projectId:String}
      GROUP BY customer
      HAVING first_seen >= ${periodStart(firstPeriod)}
    )
    WHERE ${periodStart('cohort')} < fromUnixTimestamp64Milli({toMs:Int64})
  ),${
    segmentSql === undefined
      ? ''
      : `
  segments AS (SELECT customer, ${segmentSql} AS segment FROM customers),`
  }
  counts AS (
    SELECT cohort, ${segment}offset, count() AS n
    FROM (
      SELECT c.cohort AS cohort, ${segmentSql === undefined ? '' : 's.segment AS segment, '}
        arrayJoin(arrayDistinct(arrayMap(x -> ${offsetSql(interval, 'c.cohort', periodOf(interval, 'x'))}, c.slots))) AS offset
      FROM cohorts AS c
      ${segmentSql === undefined ? '' : 'LEFT JOIN segments AS s ON s.customer = c.customer'}
    )
    WHERE offset BETWEEN 0 AND {periods:UInt32}
    GROUP BY cohort, ${segment}offset
  )
SELECT toString(cohort) AS cohort_key, ${segment}
  arrayMap(k -> ${periodStartMs(periodPlus(interval, 'cohort', 'k'))}, range({periods:UInt32} + 1)) AS starts,
  groupArray((offset, n)) AS counts
FROM counts
GROUP BY cohort, ${segment}starts
ORDER BY cohort, ${segment}starts`;
}

interface RetentionRow {
  cohort_key: string;
  segment?: string;
  starts: Array<number | string>;
  counts: Array<[number | string, number | string]>;
}

/** Retention cohorts by acquisition period, oldest first (then by segment). */
export async function queryRetention(
  client: ClickHouseClient,
  query: RetentionQuery,
  now: Date = new Date(),
): Promise<RetentionCohort[]> {
  const params: Record<string, string | number> = {
    projectId: query.projectId,
    timezone: query.timezone,
    fromMs: query.from.getTime(),
    toMs: query.to.getTime(),
    periods: query.periods,
  };
  let sql: string;
  if (query.breakdown === undefined) {
    sql = `WITH ${LINKS_CTE}, ${retentionSql(query.interval, undefined)}`;
  } else {
    const customers = customerCtes(query.breakdown.model, query.breakdown.asOf ?? now);
    const dimension = customerDimensionSql(query.breakdown.dimension);
    sql = `WITH ${customers.sql}, ${retentionSql(query.interval, dimension.sql)}`;
    Object.assign(params, customers.params, dimension.params);
  }
  const rows = await (
    await client.query({ query: sql, format: 'JSONEachRow', query_params: params })
  ).json<RetentionRow>();
  return rows.map((row) => {
    const byOffset = new Map(
      row.counts.map(([k, n]) => [toNumber(k, 'retention.offset'), toNumber(n, 'retention.n')]),
    );
    const customers = byOffset.get(0) ?? 0;
    const retained = row.starts.map((start, k) =>
      toNumber(start, 'retention.start') > now.getTime() ? null : (byOffset.get(k) ?? 0),
    );
    return {
      start: new Date(toNumber(row.starts[0], 'retention.start')).toISOString(),
      ...(row.segment === undefined ? {} : { segment: row.segment }),
      customers,
      retained,
      rates: retained.map((n) => (n === null || customers === 0 ? null : n / customers)),
    };
  });
}
