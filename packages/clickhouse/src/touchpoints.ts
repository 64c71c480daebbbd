import type { ClickHouseClient } from '@clickhouse/client';
import type { Touchpoint } from '@waymark/events';
import { insertRaw } from './client.ts';
import { buildQuery } from './sql.ts';
import { parseDateTime64, toNumber } from './values.ts';

/**
 * A touchpoint as stored: the contract's fields (kept by reference, not copied: this is the processor's hot
 * path) plus what the processor derived from them.
 */
export interface StoredTouchpoint {
  readonly touchpoint: Touchpoint;
  /** `rawKeyOf` the touchpoint (customer-key.ts in @waymark/journey). */
  readonly rawKey: string;
  /** 0 = no stage, 1..7. */
  readonly stage: number;
  readonly complaint: boolean;
  /** 0 when the touchpoint carries no revenue. */
  readonly revenue: number;
  /** '' when none. */
  readonly currency: string;
  readonly rulesetVersion: number;
  /** Acquisition channel (direct, organic search, …); '' when unknown. */
  readonly channel: string;
  /** Epoch milliseconds; defaults to the insert time. */
  readonly ingestedAt?: number;
}

/** The columns an insert writes, in the order of {@link toTouchpointRow}'s values. */
export const TOUCHPOINT_COLUMNS = [
  'message_id',
  'project_id',
  'type',
  'event',
  'name',
  'anonymous_id',
  'user_id',
  'previous_id',
  'group_id',
  'timestamp',
  'original_timestamp',
  'sent_at',
  'received_at',
  'session_id',
  'page_url',
  'page_path',
  'page_referrer',
  'page_title',
  'page_search',
  'campaign_source',
  'campaign_medium',
  'campaign_name',
  'campaign_term',
  'campaign_content',
  'click_id',
  'user_agent',
  'device_type',
  'os',
  'browser',
  'ip',
  'country',
  'region',
  'city',
  'locale',
  'timezone',
  'library_name',
  'library_version',
  'properties',
  'traits',
  'context',
  'raw_key',
  'stage',
  'complaint',
  'revenue',
  'currency',
  'ruleset_version',
  'channel',
  'ingested_at',
] as const;

/**
 * Epoch ms → `seconds.millis` text, which ClickHouse reads exactly into DateTime64(3) (an unquoted
 * fraction is refused, and a bare integer is ambiguous); an order of magnitude cheaper than an ISO string.
 */
export function dateTime64Text(ms: number): string {
  const millis = ms % 1000;
  return `${(ms - millis) / 1000}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}`;
}

/**
 * One `touchpoints` row as a JSONCompactEachRow array in {@link TOUCHPOINT_COLUMNS} order ('' for absent
 * text). Arrays instead of objects halve both the serialisation and ClickHouse's parsing (bench/RESULTS.md).
 */
export function toTouchpointRow(stored: StoredTouchpoint): Array<string | number | null> {
  const t = stored.touchpoint;
  return [
    t.messageId,
    t.projectId,
    t.type,
    t.event ?? '',
    t.name ?? '',
    t.anonymousId ?? '',
    t.userId ?? '',
    t.previousId ?? '',
    t.groupId ?? '',
    dateTime64Text(t.timestamp),
    t.originalTimestamp === null ? null : dateTime64Text(t.originalTimestamp),
    t.sentAt === null ? null : dateTime64Text(t.sentAt),
    dateTime64Text(t.receivedAt),
    t.sessionId ?? '',
    t.pageUrl ?? '',
    t.pagePath ?? '',
    t.pageReferrer ?? '',
    t.pageTitle ?? '',
    t.pageSearch ?? '',
    t.campaignSource ?? '',
    t.campaignMedium ?? '',
    t.campaignName ?? '',
    t.campaignTerm ?? '',
    t.campaignContent ?? '',
    t.clickId ?? '',
    t.userAgent ?? '',
    t.deviceType ?? '',
    t.os ?? '',
    t.browser ?? '',
    t.ip ?? '',
    t.country ?? '',
    t.region ?? '',
    t.city ?? '',
    t.locale ?? '',
    t.timezone ?? '',
    t.libraryName ?? '',
    t.libraryVersion ?? '',
    t.properties,
    t.traits,
    t.context,
    stored.rawKey,
    stored.stage,
    stored.complaint ? 1 : 0,
    stored.revenue,
    stored.currency,
    stored.rulesetVersion,
    stored.channel,
    dateTime64Text(stored.ingestedAt ?? Date.now()),
  ];
}

/**
 * Inserts one batch (one INSERT; the stage_reach view is fed in the same insert). Re-inserting a batch
 * is safe: rows dedup by message_id and stage_reach keeps minima.
 */
export async function insertTouchpoints(
  client: ClickHouseClient,
  touchpoints: readonly StoredTouchpoint[],
): Promise<void> {
  if (touchpoints.length === 0) return;
  await insertRaw(client, {
    table: 'touchpoints',
    columns: TOUCHPOINT_COLUMNS,
    rows: touchpoints.map(toTouchpointRow),
  });
}

/** snake_case column → Touchpoint field, for reading touchpoints back (the inverse of toTouchpointRow). */
const TEXT_COLUMNS = {
  event: 'event',
  name: 'name',
  anonymousId: 'anonymous_id',
  userId: 'user_id',
  previousId: 'previous_id',
  groupId: 'group_id',
  sessionId: 'session_id',
  pageUrl: 'page_url',
  pagePath: 'page_path',
  pageReferrer: 'page_referrer',
  pageTitle: 'page_title',
  pageSearch: 'page_search',
  campaignSource: 'campaign_source',
  campaignMedium: 'campaign_medium',
  campaignName: 'campaign_name',
  campaignTerm: 'campaign_term',
  campaignContent: 'campaign_content',
  clickId: 'click_id',
  userAgent: 'user_agent',
  deviceType: 'device_type',
  os: 'os',
  browser: 'browser',
  ip: 'ip',
  country: 'country',
  region: 'region',
  city: 'city',
  locale: 'locale',
  timezone: 'timezone',
  libraryName: 'library_name',
  libraryVersion: 'library_version',
} as const satisfies Partial<Record<keyof Touchpoint, string>>;

/**
 * The project's most recent touchpoints (deduplicated), newest first, as the processor saw them: for
 * re-staging them under a proposed ruleset (dry run).
 */
export async function recentTouchpoints(
  client: ClickHouseClient,
  projectId: string,
  limit: number,
): Promise<StoredTouchpoint[]> {
  const { sql, params } = buildQuery(
    [],
    (
      p,
    ) => `SELECT message_id, project_id, type, timestamp, original_timestamp, sent_at, received_at, properties,
        traits, context, raw_key, stage, complaint, revenue, currency, ruleset_version, channel,
        ${Object.values(TEXT_COLUMNS).join(', ')}
      FROM touchpoints FINAL
      WHERE project_id = ${p.named('projectId', projectId, 'String')}
      ORDER BY timestamp DESC
      LIMIT ${p.bind(limit, 'UInt32')}`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<Record<string, unknown>>();
  return rows.map((row) => {
    const text = Object.fromEntries(
      Object.entries(TEXT_COLUMNS).map(([field, column]) => [
        field,
        row[column] === '' ? null : String(row[column]),
      ]),
    );
    const time = (column: string) =>
      row[column] === null ? null : parseDateTime64(row[column], `touchpoints.${column}`);
    const touchpoint: Touchpoint = {
      ...(text as Pick<Touchpoint, keyof typeof TEXT_COLUMNS>),
      messageId: String(row.message_id),
      projectId: String(row.project_id),
      type: String(row.type) as Touchpoint['type'],
      timestamp: parseDateTime64(row.timestamp, 'touchpoints.timestamp'),
      originalTimestamp: time('original_timestamp'),
      sentAt: time('sent_at'),
      receivedAt: parseDateTime64(row.received_at, 'touchpoints.received_at'),
      properties: String(row.properties),
      traits: String(row.traits),
      context: String(row.context),
    };
    return {
      touchpoint,
      rawKey: String(row.raw_key),
      stage: toNumber(row.stage, 'touchpoints.stage'),
      complaint: toNumber(row.complaint, 'touchpoints.complaint') === 1,
      revenue: toNumber(row.revenue, 'touchpoints.revenue'),
      currency: String(row.currency),
      rulesetVersion: toNumber(row.ruleset_version, 'touchpoints.ruleset_version'),
      channel: String(row.channel),
    };
  });
}
