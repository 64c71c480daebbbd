import type { ClickHouseClient } from '@clickhouse/client';
import { buildQuery, type Cte, cte, type SqlText } from './sql.ts';

/**
 * `owned (raw_key, customer)`: every raw key of the given customers — each
 * customer's own key and every alias whose latest link points at it. One level is enough because the
 * processor keeps the identity map flat (0003). `customer_key IN` reads the project's identity rows (one
 * per identify/alias call); everything else goes through primary keys, so one customer's touchpoints or
 * profile rows cost a few lookups however large the project.
 */
export const ownedRawKeysCte = (projectId: string, customers: readonly string[]): Cte =>
  cte('owned', (p) => {
    const project = p.named('projectId', projectId, 'String');
    const owners = p.named('customers', customers, 'Array(String)');
    return `
    SELECT arrayJoin(${owners}) AS raw_key, raw_key AS customer
    UNION ALL
    SELECT alias_key AS raw_key, argMax(customer_key, linked_at) AS customer
    FROM identities
    WHERE project_id = ${project}
      AND alias_key IN (
        SELECT alias_key FROM identities
        WHERE project_id = ${project} AND customer_key IN ${owners})
    GROUP BY alias_key
    HAVING customer IN ${owners}`;
  });

/**
 * The customer that `key` belongs to, as a scalar subquery: the latest link of that key as an alias, else
 * the key itself (a customer key, or an unlinked raw key).
 */
export const resolvedCustomerSql =
  (projectId: string, key: string): SqlText =>
  (p) => {
    const customer = p.bind(key, 'String');
    return `(
  SELECT if(linked = '', ${customer}, linked)
  FROM (
    SELECT argMax(customer_key, linked_at) AS linked FROM identities
    WHERE project_id = ${p.named('projectId', projectId, 'String')} AND alias_key = ${customer}
  )
)`;
  };

/** The customer `key` belongs to and every raw key of that customer (its own included), sorted. */
export async function customerRawKeys(
  client: ClickHouseClient,
  projectId: string,
  key: string,
): Promise<{ customer: string; rawKeys: string[] }> {
  const resolved = buildQuery([], (p) => `SELECT ${resolvedCustomerSql(projectId, key)(p)} AS customer`);
  const [row] = await (
    await client.query({ query: resolved.sql, query_params: resolved.params, format: 'JSONEachRow' })
  ).json<{ customer: string }>();
  const customer = row?.customer ?? key;
  const owned = buildQuery(
    [ownedRawKeysCte(projectId, [customer])],
    () => 'SELECT DISTINCT raw_key FROM owned ORDER BY raw_key',
  );
  const rows = await (
    await client.query({ query: owned.sql, query_params: owned.params, format: 'JSONEachRow' })
  ).json<{ raw_key: string }>();
  return { customer, rawKeys: rows.map((r) => r.raw_key) };
}
