import type { ClickHouseClient } from '@clickhouse/client';
import { linkedCustomerSql, linksCte } from './identities.ts';
import { buildQuery, type QueryParams } from './sql.ts';
import { toNumber } from './values.ts';

/*
 * The event catalog (docs/decisions/0025-event-catalog.md): which event names, property keys and values a
 * project's touchpoints in a range carry, each with its touchpoints (one per message id: FINAL) and its
 * distinct identity-resolved customers. Every list is ordered by touchpoints, then by text so equal counts
 * answer the same order each time, and reads one row more than asked to tell whether it was cut.
 */

export interface CatalogRange {
  readonly projectId: string;
  /** Touchpoints in [from, to). */
  readonly from: Date;
  readonly to: Date;
  readonly limit: number;
}

export interface CatalogCounts {
  readonly touchpoints: number;
  readonly customers: number;
}

export interface CatalogPage<T> {
  readonly items: readonly (T & CatalogCounts)[];
  /** More than `limit` were seen; the least frequent were left out. */
  readonly truncated: boolean;
}

/** A property value as stored, typed as a funnel filter's `eq` compares it. */
export type PropertyValue = string | number | boolean | null;

/** The keys a funnel filter can name (PropertyKey of @waymark/journey): others are not worth listing. */
const PROPERTY_KEY_PATTERN = '^[A-Za-z0-9_$][A-Za-z0-9_.$-]{0,99}$';

/** The range's touchpoints of the project (and of `event` when given), as a subquery's WHERE. */
function touchpointsWhere(p: QueryParams, range: CatalogRange, event?: string): string {
  return `project_id = ${p.named('projectId', range.projectId, 'String')}
      AND timestamp >= fromUnixTimestamp64Milli(${p.named('fromMs', range.from.getTime(), 'Int64')})
      AND timestamp < fromUnixTimestamp64Milli(${p.named('toMs', range.to.getTime(), 'Int64')})${
        event === undefined ? '' : `\n      AND event = ${p.bind(event, 'String')}`
      }`;
}

/** Counts per `item` over the subquery `rows` (columns item, raw_key), most touchpoints first. */
const countedSql = (p: QueryParams, rows: string, limit: number) => `
SELECT item, count() AS touchpoints, uniqExact(${linkedCustomerSql('t.raw_key')}) AS customers
FROM (${rows}) AS t
LEFT JOIN links ON links.alias_key = t.raw_key
GROUP BY item
ORDER BY touchpoints DESC, item
LIMIT ${p.bind(limit + 1, 'UInt32')}`;

interface CountedRow {
  item: string;
  touchpoints: string | number;
  customers: string | number;
}

async function countedPage<T>(
  client: ClickHouseClient,
  range: CatalogRange,
  rows: (p: QueryParams) => string,
  item: (text: string) => T,
): Promise<CatalogPage<T>> {
  const { sql, params } = buildQuery([linksCte(range.projectId)], (p) => countedSql(p, rows(p), range.limit));
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const found = await result.json<CountedRow>();
  return {
    items: found.slice(0, range.limit).map((row) => ({
      ...item(row.item),
      touchpoints: toNumber(row.touchpoints, 'event_catalog.touchpoints'),
      customers: toNumber(row.customers, 'event_catalog.customers'),
    })),
    truncated: found.length > range.limit,
  };
}

/** The event names seen in the range (touchpoints without one left out), optionally by prefix. */
export function queryEventNames(
  client: ClickHouseClient,
  query: CatalogRange & { readonly prefix?: string },
): Promise<CatalogPage<{ event: string }>> {
  const { prefix } = query;
  return countedPage(
    client,
    query,
    (p) => `
    SELECT event AS item, raw_key FROM touchpoints FINAL
    WHERE ${touchpointsWhere(p, query)} AND event != ''${
      prefix ? ` AND startsWith(lowerUTF8(event), ${p.bind(prefix.toLowerCase(), 'String')})` : ''
    }`,
    (event) => ({ event }),
  );
}

/** The top-level property keys seen in the range, of one event or all. */
export function queryEventProperties(
  client: ClickHouseClient,
  query: CatalogRange & { readonly event?: string },
): Promise<CatalogPage<{ property: string }>> {
  return countedPage(
    client,
    query,
    (p) => `
    SELECT item, raw_key FROM (
      SELECT arrayJoin(arrayDistinct(JSONExtractKeys(properties))) AS item, raw_key FROM touchpoints FINAL
      WHERE ${touchpointsWhere(p, query, query.event)}
    ) WHERE match(item, ${p.bind(PROPERTY_KEY_PATTERN, 'String')})`,
    (property) => ({ property }),
  );
}

/*
 * JSONType answers 'Null' for an absent key too, hence JSONHas. A value is grouped as the filter compares it: a string by its text (however the JSON escaped it), a
 * number by its Float64 value ("4.0" and "4" are one), booleans and null as themselves. The item carries
 * its type as a one-letter tag so "4" and 4 stay two values.
 */
const TAGGED_VALUE = `multiIf(
        type = 'String', concat('s', JSONExtractString(properties, key)),
        type IN ('Int64', 'UInt64', 'Double'), concat('n', toString(JSONExtractFloat(properties, key))),
        type = 'Bool', concat('b', toString(JSONExtractBool(properties, key))),
        'z')`;

function untagged(item: string): { value: PropertyValue } {
  const text = item.slice(1);
  switch (item[0]) {
    case 's':
      return { value: text };
    case 'n':
      return { value: Number(text) };
    case 'b':
      return { value: text === '1' || text === 'true' };
    default:
      return { value: null };
  }
}

/** One property key's scalar values seen in the range, of one event or all. */
export function queryPropertyValues(
  client: ClickHouseClient,
  query: CatalogRange & { readonly event?: string; readonly property: string },
): Promise<CatalogPage<{ value: PropertyValue }>> {
  return countedPage(
    client,
    query,
    (p) => `
    SELECT ${TAGGED_VALUE} AS item, raw_key FROM (
      SELECT properties, raw_key, ${p.bind(query.property, 'String')} AS key, toString(JSONType(properties, key)) AS type
      FROM touchpoints FINAL
      WHERE ${touchpointsWhere(p, query, query.event)}
    ) WHERE JSONHas(properties, key) AND type IN ('String', 'Int64', 'UInt64', 'Double', 'Bool', 'Null')`,
    untagged,
  );
}
