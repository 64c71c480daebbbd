import type { ClickHouseClient } from '@clickhouse/client';
import type { StageTransition } from '@waymark/events';
import { isBefore, projectKey } from '@waymark/journey';
import { insertRaw } from './client.ts';
import { type BuiltQuery, buildQuery, type QueryParams } from './sql.ts';
import { dateTime64Text, type StoredTouchpoint } from './touchpoints.ts';
import { toNumber } from './values.ts';

/** Where a raw key of the batch stands: its customer and that customer's stage before the batch. */
export interface CustomerStage {
  readonly customerKey: string;
  /** Stage of the customer's latest staged touchpoint stored before its earliest one in the batch; 0 = none. */
  readonly previousStage: number;
}

/** Keyed by `projectKey(projectId, rawKey)` (@waymark/journey); one entry per raw key of the batch's staged touchpoints. */
export type CustomerStages = ReadonlyMap<string, CustomerStage>;

interface Customer {
  readonly projectId: string;
  readonly customerKey: string;
  /** Its earliest staged touchpoint in the batch: history is read strictly before it. */
  bound: { readonly timestamp: number; readonly messageId: string };
  readonly batchRawKeys: string[];
}

/**
 * Query parameters travel in the URL of a server request (ClickHouse accepts 1 MiB by default), so an
 * unusually large batch is looked up in several queries of whole customers.
 */
const MAX_PARAM_CHARS_PER_QUERY = 256 * 1024;

/*
 * The latest link of every alias that can matter to the batch: its raw keys, the customers they link to,
 * and every alias of either. Latest per alias is taken over all of the alias's rows (filtering rows by
 * customer first would miss a relink to someone else). Filtering project and key separately may read a
 * few rows of another project of the batch; the caller keys the answer by both. Each list is bound once
 * (the batch's size budget counts it once) and named by a WITH alias where it is needed: ClickHouse parses a
 * parameter's value at every placeholder, ≈ 30 ms for 12k keys.
 */
const linksQuery = (keys: { projectIds: readonly string[]; rawKeys: readonly string[] }) =>
  buildQuery([], (p) => {
    const projectIds = p.bind(keys.projectIds, 'Array(String)');
    const rawKeys = p.bind(keys.rawKeys, 'Array(String)');
    return `
WITH ${projectIds} AS batch_projects, ${rawKeys} AS batch_keys,
linked AS (
  SELECT customer_key FROM identities
  WHERE project_id IN batch_projects AND alias_key IN batch_keys
)
SELECT project_id, alias_key, argMax(customer_key, linked_at) AS customer_key
FROM identities
WHERE project_id IN batch_projects
  AND alias_key IN (
    SELECT alias_key FROM identities
    WHERE project_id IN batch_projects
      AND (alias_key IN batch_keys OR customer_key IN batch_keys
        OR alias_key IN linked OR customer_key IN linked)
  )
GROUP BY project_id, alias_key`;
  });

/** The raw keys whose history is read, each with its customer's bound, as the queries below bind them. */
interface HistoryKeys {
  projectIds: readonly string[];
  rawKeys: readonly string[];
  boundMs: readonly number[];
  boundMessageIds: readonly string[];
}

/**
 * The WITH clause of a history query: `history_keys` (the raw keys, bound once and read twice) and
 * `history_projects` (their distinct projects); and `keys`, one row per history key with its bound (`bound_ms`,
 * `bound_message_id`).
 */
const historyKeysSql = (p: QueryParams, keys: HistoryKeys) => ({
  withSql: `WITH ${p.bind([...new Set(keys.projectIds)], 'Array(String)')} AS history_projects,
  ${p.bind(keys.rawKeys, 'Array(String)')} AS history_keys`,
  boundsSql: `(
  SELECT k.1 AS project_id, k.2 AS raw_key, k.3 AS bound_ms, k.4 AS bound_message_id
  FROM (
    SELECT arrayJoin(arrayZip(
      ${p.bind(keys.projectIds, 'Array(String)')}, history_keys, ${p.bind(keys.boundMs, 'Array(Int64)')}, ${p.bind(keys.boundMessageIds, 'Array(String)')}
    )) AS k
  )
) AS keys`,
});

/*
 * Per raw key of the customers' histories, its latest staged touchpoint from stage_reach (0017 migration): one row
 * per key, however long its history. `before` says whether that touchpoint is strictly before the customer's
 * bound, in (timestamp, message_id) order; only then is it the key's answer. A key without any staged touchpoint
 * has no row, or only the column's default (stage 0).
 */
const latestQuery = (keys: HistoryKeys) =>
  buildQuery([], (p) => {
    const { withSql, boundsSql } = historyKeysSql(p, keys);
    return `${withSql}
SELECT
  r.project_id AS project_id,
  r.raw_key AS raw_key,
  max(r.latest) AS key_latest,
  key_latest.4 AS stage,
  toUnixTimestamp64Milli(key_latest.1) AS latest_ms,
  key_latest.2 AS latest_message_id,
  (latest_ms, latest_message_id) < (any(keys.bound_ms), any(keys.bound_message_id)) AS before
FROM stage_reach AS r
INNER JOIN ${boundsSql} ON keys.project_id = r.project_id AND keys.raw_key = r.raw_key
WHERE r.project_id IN history_projects AND r.raw_key IN history_keys
GROUP BY r.project_id, r.raw_key`;
  });

/*
 * The same from touchpoints, for the keys whose latest staged touchpoint is at or after the bound (a late event, a
 * redelivered batch): the latest strictly before it, in (timestamp, message_id) order; of copies of one message
 * (a replay after a ruleset change) the last ingested counts, as in ReplacingMergeTree. The IN filters use the
 * primary key, which reads a granule of touchpoints per key: hence stage_reach first.
 */
const historyQuery = (keys: HistoryKeys) =>
  buildQuery([], (p) => {
    const { withSql, boundsSql } = historyKeysSql(p, keys);
    return `${withSql}
SELECT
  t.project_id AS project_id,
  t.raw_key AS raw_key,
  argMax(t.stage, (t.timestamp, t.message_id, t.ingested_at)) AS stage,
  max((t.timestamp, t.message_id)) AS latest,
  toUnixTimestamp64Milli(latest.1) AS latest_ms,
  latest.2 AS latest_message_id
FROM touchpoints AS t
INNER JOIN ${boundsSql} ON keys.project_id = t.project_id AND keys.raw_key = t.raw_key
WHERE t.project_id IN history_projects
  AND t.raw_key IN history_keys
  AND t.stage >= 1
  AND (toUnixTimestamp64Milli(t.timestamp), t.message_id) < (keys.bound_ms, keys.bound_message_id)
GROUP BY t.project_id, t.raw_key`;
  });

interface LatestRow {
  project_id: string;
  raw_key: string;
  stage: number | string;
  latest_ms: number | string;
  latest_message_id: string;
}

async function rowsOf<T>(client: ClickHouseClient, { sql, params }: BuiltQuery): Promise<T[]> {
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return result.json<T>();
}

/**
 * Each key's latest staged touchpoint before its bound: from stage_reach, and from touchpoints for the keys whose
 * latest is at or after the bound. Keys with no staged touchpoint before the bound have no row.
 */
async function latestBefore(client: ClickHouseClient, keys: HistoryKeys): Promise<LatestRow[]> {
  const reached = await rowsOf<LatestRow & { before: number | string | boolean }>(client, latestQuery(keys));
  const beforeBound = (row: { before: number | string | boolean }) => Number(row.before) === 1;
  const answered = reached.filter(
    (row) => beforeBound(row) && toNumber(row.stage, 'stage_reach.latest') >= 1,
  );
  const later = new Set(
    reached.filter((row) => !beforeBound(row)).map((row) => projectKey(row.project_id, row.raw_key)),
  );
  if (later.size === 0) return answered;
  const indexes = keys.rawKeys.flatMap((rawKey, i) =>
    later.has(projectKey(keys.projectIds[i] as string, rawKey)) ? [i] : [],
  );
  const pick = <T>(values: readonly T[]) => indexes.map((i) => values[i] as T);
  const fromTouchpoints = await rowsOf<LatestRow>(
    client,
    historyQuery({
      projectIds: pick(keys.projectIds),
      rawKeys: pick(keys.rawKeys),
      boundMs: pick(keys.boundMs),
      boundMessageIds: pick(keys.boundMessageIds),
    }),
  );
  return [...answered, ...fromTouchpoints];
}

/**
 * For every raw key of a batch's staged touchpoints: its customer — the latest link of the raw key in
 * `identities` (the batch's own links included: call this after they are inserted), else the raw key
 * itself — and the stage of that customer's latest staged touchpoint, over all of its raw keys, stored
 * strictly before the customer's earliest staged touchpoint of the batch. That bound keeps the batch's
 * own touchpoints out whether or not they are stored yet, so the answer does not depend on when this runs; run
 * before their insert, it reads one stage_reach row per key (decision 0043). Two queries per batch (links, then
 * stage_reach) for all of its customers; a third, over touchpoints, only for keys whose latest staged touchpoint
 * is at or after the bound (a late event, a redelivery), and more only for a batch too large for one (see
 * {@link MAX_PARAM_CHARS_PER_QUERY}).
 */
export async function lookupCustomerStages(
  client: ClickHouseClient,
  touchpoints: readonly StoredTouchpoint[],
): Promise<CustomerStages> {
  const earliest = new Map<string, StoredTouchpoint>();
  for (const stored of touchpoints) {
    if (stored.stage < 1) continue;
    const key = projectKey(stored.touchpoint.projectId, stored.rawKey);
    const known = earliest.get(key);
    if (known === undefined || isBefore(stored.touchpoint, known.touchpoint)) earliest.set(key, stored);
  }
  if (earliest.size === 0) return new Map();

  const links = new Map<string, string>();
  for (const chunk of chunked([...earliest.values()], (stored) => stored.rawKey.length)) {
    const { sql, params } = linksQuery({
      projectIds: [...new Set(chunk.map((stored) => stored.touchpoint.projectId))],
      rawKeys: chunk.map((stored) => stored.rawKey),
    });
    const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
    const rows = await result.json<{ project_id: string; alias_key: string; customer_key: string }>();
    for (const row of rows) links.set(projectKey(row.project_id, row.alias_key), row.customer_key);
  }

  const customers = new Map<string, Customer>();
  for (const [key, stored] of earliest) {
    const { projectId } = stored.touchpoint;
    const customerKey = links.get(key) ?? stored.rawKey;
    const customer = customers.get(projectKey(projectId, customerKey));
    if (customer === undefined) {
      customers.set(projectKey(projectId, customerKey), {
        projectId,
        customerKey,
        bound: stored.touchpoint,
        batchRawKeys: [stored.rawKey],
      });
    } else {
      customer.batchRawKeys.push(stored.rawKey);
      if (isBefore(stored.touchpoint, customer.bound)) customer.bound = stored.touchpoint;
    }
  }
  // A customer's raw keys: the aliases linked to it, and its own key unless that is linked elsewhere.
  const historyKeys = new Map<string, string[]>();
  for (const [key, customer] of customers) {
    const own = links.get(key);
    historyKeys.set(key, own === undefined || own === customer.customerKey ? [customer.customerKey] : []);
  }
  for (const [aliasKey, customerKey] of links) {
    const projectId = aliasKey.slice(0, aliasKey.indexOf('\u0000'));
    const alias = aliasKey.slice(projectId.length + 1);
    if (alias !== customerKey) historyKeys.get(projectKey(projectId, customerKey))?.push(alias);
  }

  const stages = new Map<string, CustomerStage>();
  const charsOf = (customer: Customer) =>
    (historyKeys.get(projectKey(customer.projectId, customer.customerKey)) ?? []).reduce(
      (sum, rawKey) => sum + rawKey.length + customer.bound.messageId.length + 16,
      0,
    );
  for (const chunk of chunked([...customers.values()], charsOf)) {
    const keys = chunk.flatMap((customer) =>
      (historyKeys.get(projectKey(customer.projectId, customer.customerKey)) ?? []).map((rawKey) => ({
        customer,
        rawKey,
      })),
    );
    const rows = await latestBefore(client, {
      projectIds: keys.map((k) => k.customer.projectId),
      rawKeys: keys.map((k) => k.rawKey),
      boundMs: keys.map((k) => k.customer.bound.timestamp),
      boundMessageIds: keys.map((k) => k.customer.bound.messageId),
    });
    // The customer's previous stage is that of the latest touchpoint over all of its raw keys.
    const latest = new Map<string, { timestamp: number; messageId: string; stage: number }>();
    for (const row of rows) {
      const key = projectKey(row.project_id, row.raw_key);
      const customerKey = links.get(key) ?? row.raw_key;
      const customer = projectKey(row.project_id, customerKey);
      const candidate = {
        timestamp: toNumber(row.latest_ms, 'touchpoints.timestamp'),
        messageId: row.latest_message_id,
        stage: toNumber(row.stage, 'touchpoints.stage'),
      };
      const known = latest.get(customer);
      if (known === undefined || isBefore(known, candidate)) latest.set(customer, candidate);
    }
    for (const customer of chunk) {
      const key = projectKey(customer.projectId, customer.customerKey);
      const previousStage = latest.get(key)?.stage ?? 0;
      for (const rawKey of customer.batchRawKeys) {
        stages.set(projectKey(customer.projectId, rawKey), {
          customerKey: customer.customerKey,
          previousStage,
        });
      }
    }
  }
  return stages;
}

/** Consecutive chunks whose `chars` add up to about {@link MAX_PARAM_CHARS_PER_QUERY} each. */
function* chunked<T>(items: readonly T[], chars: (item: T) => number): Generator<T[]> {
  let chunk: T[] = [];
  let total = 0;
  for (const item of items) {
    chunk.push(item);
    total += chars(item);
    if (total >= MAX_PARAM_CHARS_PER_QUERY) {
      yield chunk;
      chunk = [];
      total = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

const STAGE_TRANSITION_COLUMNS = [
  'project_id',
  'customer_key',
  'from_stage',
  'to_stage',
  'at',
  'message_id',
  'raw_key',
  'ruleset_version',
  'ingested_at',
] as const;

/** One insert; re-inserting a transition (redelivery, replay) replaces it, see migration 0008. */
export async function insertStageTransitions(
  client: ClickHouseClient,
  transitions: readonly StageTransition[],
  ingestedAt: number,
): Promise<void> {
  if (transitions.length === 0) return;
  const ingested = dateTime64Text(ingestedAt);
  await insertRaw(client, {
    table: 'stage_transitions',
    columns: STAGE_TRANSITION_COLUMNS,
    rows: transitions.map((t) => [
      t.projectId,
      t.customerKey,
      t.fromStage,
      t.toStage,
      dateTime64Text(t.at),
      t.messageId,
      t.rawKey,
      t.rulesetVersion,
      ingested,
    ]),
  });
}
