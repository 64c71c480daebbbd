import type { ClickHouseClient } from '@clickhouse/client';
import {
  type IdentityLink,
  type IdentityLookup,
  identityLookupOf,
  resolveIdentityLinks,
} from '@waymark/journey';
import { buildQuery, type Cte, cte } from './sql.ts';
import { formatDateTime64, toNumber } from './values.ts';

export type { IdentityLink };

/**
 * The identity map as queries read it: each alias key's latest customer key (argMax over linked_at is the
 * ReplacingMergeTree's answer, exact before merges). The processor keeps the map flat, so one lookup
 * resolves a raw key, joined `LEFT JOIN links ON links.alias_key = <raw key>`: {@link linkedCustomerSql}.
 */
export const linksCte = (projectId: string): Cte =>
  cte(
    'links',
    (p) => `
    SELECT alias_key, argMax(customer_key, linked_at) AS linked_customer
    FROM identities WHERE project_id = ${p.named('projectId', projectId, 'String')} GROUP BY alias_key`,
  );

/** SQL: the customer of the raw key `rawKey` (a column) joined to `links`: its link, else itself. */
export const linkedCustomerSql = (rawKey: string) =>
  `if(links.linked_customer = '', ${rawKey}, links.linked_customer)`;

/** Appends rows to the identity map as they are; {@link linkIdentities} is how links are stored. */
export async function insertIdentityLinks(
  client: ClickHouseClient,
  links: readonly IdentityLink[],
): Promise<void> {
  if (links.length === 0) return;
  await client.insert({
    table: 'identities',
    format: 'JSONEachRow',
    values: links.map((link) => ({
      project_id: link.projectId,
      alias_key: link.aliasKey,
      customer_key: link.customerKey,
      linked_at: formatDateTime64(link.linkedAt),
      message_id: link.messageId,
    })),
  });
}

/*
 * The outer argMax runs over all rows of the selected aliases, not only those the filter matched: an alias
 * that once belonged to one of the keys may belong to someone else by now. `customer_key IN` is not in the
 * sorting key, so it reads the project's identity rows (one per identify/alias call, far fewer than
 * touchpoints); `alias_key IN` uses the primary index. Each list is bound once and its placeholder read
 * where needed.
 */
const latestIdentityLinksQuery = (lookup: IdentityLookup) =>
  buildQuery([], (p) => {
    const projectIds = p.bind(lookup.projectIds, 'Array(String)');
    return `
SELECT project_id, alias_key, latest.1 AS customer_key, latest.2 AS message_id,
  toUnixTimestamp64Milli(latest_at) AS linked_ms
FROM (
  SELECT project_id, alias_key, argMax((customer_key, message_id), linked_at) AS latest,
    max(linked_at) AS latest_at
  FROM identities
  WHERE project_id IN ${projectIds}
    AND alias_key IN (
      SELECT alias_key FROM identities
      WHERE project_id IN ${projectIds}
        AND (alias_key IN ${p.bind(lookup.aliasKeys, 'Array(String)')}
          OR customer_key IN ${p.bind(lookup.customerKeys, 'Array(String)')})
    )
  GROUP BY project_id, alias_key
)`;
  });

interface LatestIdentityLinkRow {
  project_id: string;
  alias_key: string;
  customer_key: string;
  message_id: string;
  linked_ms: string | number;
}

/** The latest row of every alias the lookup asks for (see {@link IdentityLookup}). */
export async function latestIdentityLinks(
  client: ClickHouseClient,
  lookup: IdentityLookup,
): Promise<IdentityLink[]> {
  const { sql, params } = latestIdentityLinksQuery(lookup);
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return (await result.json<LatestIdentityLinkRow>()).map((row) => ({
    projectId: row.project_id,
    aliasKey: row.alias_key,
    customerKey: row.customer_key,
    linkedAt: toNumber(row.linked_ms, 'identities.linked_at'),
    messageId: row.message_id,
  }));
}

/**
 * Stores identify/alias links so that the identity map stays flat (docs/decisions/0003): reads the rows
 * the links touch, writes the path-compressed result, then reads them again and repairs what another
 * processor member linked meanwhile. Of two members that link the same customer at once, at least the one
 * that reads second sees both writes (each reads after its own write), so a chain they form between them
 * is flattened here rather than left for queries to miss. Batches without links cost nothing.
 */
export async function linkIdentities(
  client: ClickHouseClient,
  links: readonly IdentityLink[],
): Promise<void> {
  if (links.length === 0) return;
  const written = resolveIdentityLinks(await latestIdentityLinks(client, identityLookupOf(links)), links);
  await insertIdentityLinks(client, written);
  const now = await latestIdentityLinks(client, identityLookupOf([...links, ...written]));
  await insertIdentityLinks(client, resolveIdentityLinks(now, []));
}
