/**
 * `owned (raw_key, customer)`: every raw key of the customers in `{customers:Array(String)}` — each
 * customer's own key and every alias whose latest link points at it. One level is enough because the
 * processor keeps the identity map flat (0003). `customer_key IN` reads the project's identity rows (one
 * per identify/alias call); everything else goes through primary keys, so one customer's touchpoints or
 * profile rows cost a few lookups however large the project.
 */
export const OWNED_RAW_KEYS_CTE = `
  owned AS (
    SELECT arrayJoin({customers:Array(String)}) AS raw_key, raw_key AS customer
    UNION ALL
    SELECT alias_key AS raw_key, argMax(customer_key, linked_at) AS customer
    FROM identities
    WHERE project_id = {projectId:String}
      AND alias_key IN (
        SELECT alias_key FROM identities
        WHERE project_id = {projectId:String} AND customer_key IN {customers:Array(String)})
    GROUP BY alias_key
    HAVING customer IN {customers:Array(String)}
  )`;

/**
 * The customer that `{customer:String}` belongs to, as a scalar subquery: the latest link of that key as an
 * alias, else the key itself (a customer key, or an unlinked raw key).
 */
export const RESOLVED_CUSTOMER_SQL = `(
  SELECT if(linked = '', {customer:String}, linked)
  FROM (
    SELECT argMax(customer_key, linked_at) AS linked FROM identities
    WHERE project_id = {projectId:String} AND alias_key = {customer:String}
  )
)`;
