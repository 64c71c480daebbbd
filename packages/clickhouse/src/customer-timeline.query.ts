import type { ClickHouseClient } from '@clickhouse/client';
import { type StageName, stageName } from '@waymark/journey';
import { ownedRawKeysCte, resolvedCustomerSql } from './customer-raw-keys.ts';
import { numberedSessionsCte } from './sessions.query.ts';
import { buildQuery } from './sql.ts';
import { boundedRevenueSql, toNumber } from './values.ts';

/** A position in a timeline: touchpoints strictly before it, in (time, message id) order. */
export interface TimelinePosition {
  readonly at: number;
  /** '' for "before `at`, whatever the message id". */
  readonly messageId: string;
}

export interface CustomerTimelineQuery {
  readonly projectId: string;
  /** The customer key or any of its raw keys. */
  readonly customer: string;
  readonly limit: number;
  readonly before?: TimelinePosition;
}

export interface TimelineTouchpoint {
  readonly messageId: string;
  /** The key it was sent under: shows which device or identity it came from. */
  readonly rawKey: string;
  readonly at: string;
  readonly type: string;
  readonly event: string | null;
  readonly name: string | null;
  readonly pagePath: string | null;
  readonly stage: StageName | null;
  readonly complaint: boolean;
  readonly revenue: number;
  readonly currency: string | null;
  readonly channel: string | null;
  /** The SDK's session id, or `<raw key>#<n>` by the 30-minute rule (sessions.query.ts). */
  readonly sessionId: string;
  readonly device: string | null;
}

export interface CustomerTimeline {
  /** The resolved customer key. */
  readonly customer: string;
  /** Newest first. */
  readonly touchpoints: readonly TimelineTouchpoint[];
  /** Where the next (older) page starts; null on the last page. */
  readonly next: TimelinePosition | null;
}

const CARRIED = ['type', 'event', 'name', 'complaint', 'revenue', 'currency', 'device_type'];

/*
 * Sessions are numbered over all of each raw key's touchpoints (so a page's session ids do not depend on
 * the page), then the page is cut by keyset on (timestamp, message id). FINAL deduplicates; the reads go
 * through the primary key (project_id, raw_key, …) of the customer's raw keys only.
 */
const timelineSql = (query: CustomerTimelineQuery, customer: string) => {
  const owned = ownedRawKeysCte(query.projectId, [customer]);
  return buildQuery(
    [
      numberedSessionsCte({
        projectId: query.projectId,
        where: () => 'raw_key IN (SELECT raw_key FROM owned)',
        uses: [owned],
        columns: CARRIED,
      }),
    ],
    (p) => {
      const before = query.before;
      const paged =
        before === undefined
          ? ''
          : `WHERE at_ms < ${p.named('beforeMs', before.at, 'Int64')} OR (at_ms = {beforeMs:Int64} AND message_id < ${p.bind(before.messageId, 'String')})`;
      return `
SELECT message_id, raw_key, toUnixTimestamp64Milli(timestamp) AS at_ms, type, event, name, page_path, stage,
  complaint, ${boundedRevenueSql('revenue')} AS revenue, currency, channel, device_type,
  if(session_id != '', session_id, concat(raw_key, '#', toString(session_no))) AS session
FROM numbered
${paged}
ORDER BY timestamp DESC, message_id DESC
LIMIT ${p.bind(query.limit + 1, 'UInt32')}`;
    },
  );
};

const existsSql = (projectId: string, customer: string) =>
  buildQuery(
    [ownedRawKeysCte(projectId, [customer])],
    (p) => `
SELECT count() AS n FROM (
  SELECT 1 FROM touchpoints
  WHERE project_id = ${p.named('projectId', projectId, 'String')} AND raw_key IN (SELECT raw_key FROM owned)
  LIMIT 1
)`,
  );

type Row = Record<string, unknown>;

const textOrNull = (value: unknown) => (value === '' || value === undefined ? null : String(value));

/** One customer's touchpoints across all its raw keys, newest first; undefined for an unknown customer. */
export async function queryCustomerTimeline(
  client: ClickHouseClient,
  query: CustomerTimelineQuery,
): Promise<CustomerTimeline | undefined> {
  const resolve = buildQuery(
    [],
    (p) => `SELECT ${resolvedCustomerSql(query.projectId, query.customer)(p)} AS customer`,
  );
  const [resolved] = await (
    await client.query({ query: resolve.sql, format: 'JSONEachRow', query_params: resolve.params })
  ).json<{ customer: string }>();
  const customer = resolved?.customer ?? query.customer;
  const timeline = timelineSql(query, customer);
  const rows = await (
    await client.query({ query: timeline.sql, format: 'JSONEachRow', query_params: timeline.params })
  ).json<Row>();
  if (rows.length === 0 && !(await exists(client, query.projectId, customer))) return undefined;
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    customer,
    touchpoints: page.map(toTimelineTouchpoint),
    next:
      rows.length > query.limit && last !== undefined
        ? { at: toNumber(last.at_ms, 'timeline at_ms'), messageId: String(last.message_id) }
        : null,
  };
}

async function exists(client: ClickHouseClient, projectId: string, customer: string): Promise<boolean> {
  const { sql, params } = existsSql(projectId, customer);
  const [row] = await (
    await client.query({ query: sql, format: 'JSONEachRow', query_params: params })
  ).json<Row>();
  return toNumber(row?.n, 'timeline exists') > 0;
}

function toTimelineTouchpoint(row: Row): TimelineTouchpoint {
  return {
    messageId: String(row.message_id),
    rawKey: String(row.raw_key),
    at: new Date(toNumber(row.at_ms, 'timeline at_ms')).toISOString(),
    type: String(row.type),
    event: textOrNull(row.event),
    name: textOrNull(row.name),
    pagePath: textOrNull(row.page_path),
    stage: stageName(toNumber(row.stage, 'timeline stage')),
    complaint: toNumber(row.complaint, 'timeline complaint') === 1,
    revenue: toNumber(row.revenue, 'timeline revenue'),
    currency: textOrNull(row.currency),
    channel: textOrNull(row.channel),
    sessionId: String(row.session),
    device: textOrNull(row.device_type),
  };
}
