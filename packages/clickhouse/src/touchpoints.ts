import type { ClickHouseClient } from '@clickhouse/client';
import type { Touchpoint } from '@waymark/events';
import { formatDateTime64, parseDateTime64, toNumber } from './values.ts';

/** A touchpoint as stored: the contract's fields plus what the processor derived from them. */
export interface StoredTouchpoint extends Touchpoint {
  /** {@link rawKeyOf} the touchpoint. */
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

/**
 * The key a touchpoint is stored under before identity resolution: `u:<userId>` when it carries a user id,
 * else `a:<anonymousId>`. The `identities` table maps `a:`/`u:` aliases to their customer's `u:` key.
 */
export function rawKeyOf(ids: { userId: string | null; anonymousId: string | null }): string {
  return ids.userId ? `u:${ids.userId}` : `a:${ids.anonymousId ?? ''}`;
}

/** One `touchpoints` row in JSONEachRow shape (snake_case, '' for absent text). */
export function toTouchpointRow(touchpoint: StoredTouchpoint): Record<string, string | number | null> {
  const text = (value: string | null) => value ?? '';
  const time = (value: number | null) => (value === null ? null : formatDateTime64(value));
  return {
    message_id: touchpoint.messageId,
    project_id: touchpoint.projectId,
    type: touchpoint.type,
    event: text(touchpoint.event),
    name: text(touchpoint.name),
    anonymous_id: text(touchpoint.anonymousId),
    user_id: text(touchpoint.userId),
    previous_id: text(touchpoint.previousId),
    group_id: text(touchpoint.groupId),
    timestamp: formatDateTime64(touchpoint.timestamp),
    original_timestamp: time(touchpoint.originalTimestamp),
    sent_at: time(touchpoint.sentAt),
    received_at: formatDateTime64(touchpoint.receivedAt),
    session_id: text(touchpoint.sessionId),
    page_url: text(touchpoint.pageUrl),
    page_path: text(touchpoint.pagePath),
    page_referrer: text(touchpoint.pageReferrer),
    page_title: text(touchpoint.pageTitle),
    page_search: text(touchpoint.pageSearch),
    campaign_source: text(touchpoint.campaignSource),
    campaign_medium: text(touchpoint.campaignMedium),
    campaign_name: text(touchpoint.campaignName),
    campaign_term: text(touchpoint.campaignTerm),
    campaign_content: text(touchpoint.campaignContent),
    click_id: text(touchpoint.clickId),
    user_agent: text(touchpoint.userAgent),
    device_type: text(touchpoint.deviceType),
    os: text(touchpoint.os),
    browser: text(touchpoint.browser),
    ip: text(touchpoint.ip),
    country: text(touchpoint.country),
    region: text(touchpoint.region),
    city: text(touchpoint.city),
    locale: text(touchpoint.locale),
    timezone: text(touchpoint.timezone),
    library_name: text(touchpoint.libraryName),
    library_version: text(touchpoint.libraryVersion),
    properties: touchpoint.properties,
    traits: touchpoint.traits,
    context: touchpoint.context,
    raw_key: touchpoint.rawKey,
    stage: touchpoint.stage,
    complaint: touchpoint.complaint ? 1 : 0,
    revenue: touchpoint.revenue,
    currency: touchpoint.currency,
    ruleset_version: touchpoint.rulesetVersion,
    channel: touchpoint.channel,
    ingested_at: formatDateTime64(touchpoint.ingestedAt ?? Date.now()),
  };
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
  await client.insert({
    table: 'touchpoints',
    format: 'JSONEachRow',
    values: touchpoints.map(toTouchpointRow),
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
  const result = await client.query({
    query: `SELECT message_id, project_id, type, timestamp, original_timestamp, sent_at, received_at, properties,
        traits, context, raw_key, stage, complaint, revenue, currency, ruleset_version, channel,
        ${Object.values(TEXT_COLUMNS).join(', ')}
      FROM touchpoints FINAL
      WHERE project_id = {projectId:String}
      ORDER BY timestamp DESC
      LIMIT {limit:UInt32}`,
    query_params: { projectId, limit },
    format: 'JSONEachRow',
  });
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
    return {
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
