import type { ClickHouseClient } from '@clickhouse/client';
import { STAGES, type StageIndex, type StageName, stageName, WHOLE_JOURNEY } from '@waymark/journey';
import { ownedRawKeysCte } from './customer-raw-keys.ts';
import { buildQuery } from './sql.ts';
import { type StageFunnelQuery, stageCtes } from './stage-funnel.query.ts';
import { toNumber } from './values.ts';

export type FunnelOutcome = 'reached' | 'dropped';

export interface FunnelDrilldownQuery extends StageFunnelQuery {
  /** `reached`: counted at `stage` (the funnel's n_k); `dropped`: counted at stage − 1 but not at `stage`. */
  readonly stage: StageIndex;
  readonly outcome: FunnelOutcome;
  readonly limit: number;
  /** Keyset paging: customers after this customer key. */
  readonly after?: string;
}

export interface FunnelCustomer {
  readonly customer: string;
  /** The funnel's entry: the first touchpoint staged at the range's first stage or later. */
  readonly enteredAt: string;
  /** The last stage the funnel counts the customer at within the window, in its mode. */
  readonly furthestStage: StageName;
  /** The highest stage reached at any time, after the window included. */
  readonly furthestStageEver: StageName;
  /** The latest touchpoint of any kind. */
  readonly lastSeenAt: string;
}

const stagesDown = [...STAGES].reverse();

/*
 * The funnel's own CTEs (stage-funnel.query.ts) select the customers and the time each counts at each stage
 * (r_k, NULL where it does not), in the query's mode, range and filters, so a page agrees with the funnel's
 * counts by construction. Counting at a stage implies counting at every earlier one of the range, in every
 * mode. Stage indexes are validated, the only thing interpolated.
 */
const drilldownSql = (query: FunnelDrilldownQuery) =>
  buildQuery([stageCtes(query)], (p) => {
    const { from, to } = query.stages ?? WHOLE_JOURNEY;
    const counted = stagesDown.filter((s) => s.index >= from && s.index <= to);
    const at = (k: number) => `r${k} IS NOT NULL`;
    return `
SELECT customer, entry AS entered_ms,
  multiIf(${counted.map((s) => `${at(s.index)}, ${s.index}`).join(', ')}, 0) AS furthest
FROM funnel_stages
WHERE ${query.outcome === 'reached' ? at(query.stage) : `${at(query.stage - 1)} AND NOT ${at(query.stage)}`}
  AND customer > ${p.bind(query.after ?? '', 'String')}
ORDER BY customer
LIMIT ${p.bind(query.limit + 1, 'UInt32')}`;
  });

const profileSql = (projectId: string, customers: readonly string[]) =>
  buildQuery(
    [ownedRawKeysCte(projectId, customers)],
    (p) => `
SELECT owned.customer AS customer, toUnixTimestamp64Milli(max(p.last_seen)) AS last_seen_ms,
  max(p.furthest_stage) AS furthest_ever
FROM customer_profiles AS p
INNER JOIN owned ON owned.raw_key = p.raw_key
WHERE p.project_id = ${p.named('projectId', projectId, 'String')} AND p.raw_key IN (SELECT raw_key FROM owned)
GROUP BY customer`,
  );

type Row = Record<string, unknown>;

/**
 * One page of the customers behind a stage funnel count, in customer-key order; `next` is the cursor of the
 * following page. The range's first stage has no `dropped` customers: the cohort is who reached it.
 */
export async function queryFunnelCustomers(
  client: ClickHouseClient,
  query: FunnelDrilldownQuery,
): Promise<{ customers: FunnelCustomer[]; next: string | null }> {
  if (query.outcome === 'dropped' && query.stage === (query.stages ?? WHOLE_JOURNEY).from)
    return { customers: [], next: null };
  const { sql, params } = drilldownSql(query);
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<Row>();
  const page = rows.slice(0, query.limit);
  const profile = await profilesOf(
    client,
    query.projectId,
    page.map((row) => String(row.customer)),
  );
  const time = (ms: unknown, what: string) => new Date(toNumber(ms, what)).toISOString();
  return {
    customers: page.map((row) => {
      const customer = String(row.customer);
      return {
        customer,
        enteredAt: time(row.entered_ms, 'funnel customers entered_ms'),
        furthestStage: stageName(toNumber(row.furthest, 'funnel customers furthest') as StageIndex),
        furthestStageEver: stageName(
          toNumber(profile.get(customer)?.furthest_ever, `furthest stage of ${customer}`) as StageIndex,
        ),
        lastSeenAt: time(profile.get(customer)?.last_seen_ms, `last seen of ${customer}`),
      };
    }),
    next: rows.length > query.limit ? String(page.at(-1)?.customer) : null,
  };
}

/** Last seen and furthest stage ever of the page's customers, over all their raw keys (customer_profiles). */
async function profilesOf(
  client: ClickHouseClient,
  projectId: string,
  customers: readonly string[],
): Promise<Map<string, Row>> {
  if (customers.length === 0) return new Map();
  const { sql, params } = profileSql(projectId, customers);
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return new Map((await result.json<Row>()).map((row) => [String(row.customer), row]));
}
