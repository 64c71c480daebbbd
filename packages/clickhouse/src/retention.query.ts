import type { ClickHouseClient } from '@clickhouse/client';
import type { CustomerDimension, CustomerModel } from '@waymark/journey';
import { customerDimensionSql, customersCte } from './customer-chain.ts';
import { linkedCustomerSql, linksCte } from './identities.ts';
import {
  type PeriodInterval,
  periodOf,
  periodPlus,
  periodStart,
  periodStartMs,
  timezoneParam,
} from './periods.ts';
import { type BuiltQuery, buildQuery, cte, type SqlText } from './sql.ts';
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
 * model's chain (which reads the same `links`) gives each customer its segment.
 */
function retentionSql(query: RetentionQuery, now: Date): BuiltQuery {
  const interval = query.interval;
  const breakdown = query.breakdown;
  const firstPeriod = (from: string) => periodOf(interval, `fromUnixTimestamp64Milli(${from})`);
  const cohorts = cte(
    'cohorts',
    (p) => {
      timezoneParam(p, query.timezone);
      return `
    SELECT customer, ${periodOf(interval, 'first_seen')} AS cohort, slots
    FROM (
      SELECT ${linkedCustomerSql('p.raw_key')} AS customer,
        min(p.first_seen) AS first_seen, groupUniqArrayMerge(p.active_slots) AS slots
      FROM customer_profiles AS p LEFT JOIN links ON links.alias_key = p.raw_key
      WHERE p.project_id = ${p.named('projectId', query.projectId, 'String')}
      GROUP BY customer
      HAVING first_seen >= ${periodStart(firstPeriod(p.bind(query.from.getTime(), 'Int64')))}
    )
    WHERE ${periodStart('cohort')} < fromUnixTimestamp64Milli(${p.bind(query.to.getTime(), 'Int64')})`;
    },
    [linksCte(query.projectId)],
  );
  const dimension: SqlText | undefined =
    breakdown === undefined ? undefined : customerDimensionSql(breakdown.dimension);
  const segments =
    breakdown === undefined || dimension === undefined
      ? []
      : [
          cte('segments', (p) => `SELECT customer, ${dimension(p)} AS segment FROM customers`, [
            customersCte({
              projectId: query.projectId,
              model: breakdown.model,
              asOf: breakdown.asOf ?? now,
            }),
          ]),
        ];
  const segment = breakdown === undefined ? '' : 'segment, ';
  const counts = cte(
    'counts',
    (p) => `
    SELECT cohort, ${segment}offset, count() AS n
    FROM (
      SELECT c.cohort AS cohort, ${breakdown === undefined ? '' : 's.segment AS segment, '}
        arrayJoin(arrayDistinct(arrayMap(x -> ${offsetSql(interval, 'c.cohort', periodOf(interval, 'x'))}, c.slots))) AS offset
      FROM cohorts AS c
      ${breakdown === undefined ? '' : 'LEFT JOIN segments AS s ON s.customer = c.customer'}
    )
    WHERE offset BETWEEN 0 AND ${p.named('periods', query.periods, 'UInt32')}
    GROUP BY cohort, ${segment}offset`,
    [cohorts, ...segments],
  );
  return buildQuery(
    [counts],
    () => `
SELECT toString(cohort) AS cohort_key, ${segment}
  arrayMap(k -> ${periodStartMs(periodPlus(interval, 'cohort', 'k'))}, range({periods:UInt32} + 1)) AS starts,
  groupArray((offset, n)) AS counts
FROM counts
GROUP BY cohort, ${segment}starts
ORDER BY cohort, ${segment}starts`,
  );
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
  const { sql, params } = retentionSql(query, now);
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
