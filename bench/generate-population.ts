/**
 * A realistic customer population written straight into ClickHouse with `INSERT … SELECT … FROM numbers()`
 * (no Kafka, no JSON): funnel-shaped stages, touchpoints spread over weeks, some customers identified
 * across devices. The stage_reach view is fed by the same inserts, exactly as in production.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClickHouse, runMigrations } from '@waymark/clickhouse';

export interface PopulationOptions {
  readonly projectId: string;
  /** Customers (people); each gets 1 … 2×(touchpoints/customers)−1 touchpoints, so about `touchpoints` in all. */
  readonly customers: number;
  readonly touchpoints: number;
  /** Entries (first touchpoints) are spread uniformly over [start, start + entryDays). */
  readonly start: Date;
  readonly entryDays: number;
  readonly seed?: number;
  /** Customers per INSERT; each INSERT is one batch of parts, like a backfill. */
  readonly customersPerInsert?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface PopulationReport {
  readonly touchpoints: number;
  readonly customers: number;
  readonly rawKeys: number;
  readonly identityLinks: number;
  /** Wall time of the touchpoint INSERTs (stage_reach view included). */
  readonly insertMs: number;
}

/*
 * Per customer c (hashes of (seed, c, salt) give independent uniform draws):
 * - furthest stage: P(≥ k) = 1, .55, .32, .20, .10, .06, .025 (discovery … advocacy);
 * - n touchpoints, uniform in 1 … 2·avg−1; entry uniform in the entry period; a typical gap between
 *   touchpoints of 1 minute … 5 days, so slow customers reach later stages after the 30-day window;
 * - touchpoint j: the first is discovery (5% of purchasers "buy now": their first touchpoint is the
 *   purchase); later ones climb towards the furthest stage, 25% of them unstaged (stage 0);
 * - 20% of customers identify halfway (touchpoints under u:c afterwards, a:c → u:c linked), half of those
 *   also used a second device before (a:c-2 → u:c).
 */
const FUNNEL = [0.55, 0.32, 0.2, 0.1, 0.06, 0.025];
const EVENTS = [
  'Page Viewed',
  'Promotion Viewed',
  'Product Viewed',
  'Products Compared',
  'Product Added',
  'Order Completed',
  'Product Used',
  'Product Reviewed',
];
const PATHS = [
  '/',
  '/landing',
  '/products/shoe',
  '/compare',
  '/cart',
  '/checkout/done',
  '/account',
  '/reviews',
];

export async function generatePopulation(
  client: ClickHouseClient,
  options: PopulationOptions,
): Promise<PopulationReport> {
  const seed = options.seed ?? 1;
  const average = Math.max(1, Math.round(options.touchpoints / options.customers));
  const perInsert = options.customersPerInsert ?? 250_000;
  const startMs = options.start.getTime();
  const entrySpanMs = Math.round(options.entryDays * 86_400_000);
  const draw = (salt: number) => `(sipHash64(${seed}, c, ${salt}) % 1000000) / 1000000`;
  const furthest = `toUInt8(1 + ${FUNNEL.map((p) => `(${draw(1)} < ${p})`).join(' + ')})`;
  const literalArray = (items: readonly string[]) => `[${items.map((item) => `'${item}'`).join(', ')}]`;

  // The customer's own draws, shared by the touchpoint and identity inserts.
  const customer = (from: number, count: number) => `
    SELECT
      number AS c,
      toUInt32(1 + sipHash64(${seed}, c, 2) % ${2 * average - 1}) AS n,
      ${furthest} AS top,
      top >= 5 AND sipHash64(${seed}, c, 3) % 20 = 0 AS buy_now,
      sipHash64(${seed}, c, 4) % 5 = 0 AS identified,
      identified AND sipHash64(${seed}, c, 4) % 10 = 0 AS second_device,
      toDateTime64(${startMs / 1000}, 3, 'UTC') + toIntervalMillisecond(sipHash64(${seed}, c, 5) % ${entrySpanMs}) AS entry,
      toUInt64(60000 * (1 + sipHash64(${seed}, c, 11) % 7200)) AS gap_ms
    FROM numbers(${from}, ${count})`;

  const started = Date.now();
  for (let first = 0; first < options.customers; first += perInsert) {
    const count = Math.min(perInsert, options.customers - first);
    // Aliases are visible to the whole SELECT list; c is the customer, j the touchpoint's position.
    await client.command({
      query: `
INSERT INTO touchpoints (message_id, project_id, type, event, anonymous_id, user_id, timestamp, original_timestamp,
  sent_at, received_at, session_id, page_url, page_path, campaign_source, campaign_medium, device_type, os, browser,
  country, library_name, library_version, properties, raw_key, stage, revenue, currency, ruleset_version, ingested_at)
SELECT
  concat('m-', toString(${seed}), '-', toString(c), '-', toString(j)) AS message_id,
  {projectId:String} AS project_id,
  if(stage <= 2, 'page', 'track') AS type,
  ${literalArray(EVENTS)}[stage + 1] AS event,
  if(identified AND j >= intDiv(n, 2), '',
    if(second_device AND j % 2 = 1, concat(toString(c), '-2'), toString(c))) AS anonymous_id,
  if(identified AND j >= intDiv(n, 2), toString(c), '') AS user_id,
  if(j = 0, entry, entry + toIntervalMillisecond(j * gap_ms + sipHash64(${seed}, c, j, 13) % gap_ms)) AS timestamp,
  timestamp AS original_timestamp,
  timestamp + toIntervalMillisecond(40) AS sent_at,
  timestamp + toIntervalMillisecond(90) AS received_at,
  concat(toString(c), '-', toString(intDiv(j, 3))) AS session_id,
  concat('https://shop.example.com', page_path) AS page_url,
  ${literalArray(PATHS)}[stage + 1] AS page_path,
  if(stage = 1, ['google', 'facebook', 'newsletter', 'bing'][1 + sipHash64(${seed}, c, 6) % 4], '') AS campaign_source,
  if(stage = 1, ['cpc', 'social', 'email', 'cpc'][1 + sipHash64(${seed}, c, 6) % 4], '') AS campaign_medium,
  ['desktop', 'mobile', 'mobile', 'tablet'][1 + sipHash64(${seed}, c, 7) % 4] AS device_type,
  ['Windows', 'iOS', 'Android', 'macOS'][1 + sipHash64(${seed}, c, 7) % 4] AS os,
  ['Chrome', 'Safari', 'Chrome', 'Firefox'][1 + sipHash64(${seed}, c, 8) % 4] AS browser,
  ['DE', 'FR', 'US', 'GB', 'NL', 'ES'][1 + sipHash64(${seed}, c, 9) % 6] AS country,
  'waymark.js' AS library_name,
  '1.0.0' AS library_version,
  if(stage = 5, concat('{"order_id":"o-', toString(c), '-', toString(j), '","revenue":', toString(revenue), '}'), '{}')
    AS properties,
  if(user_id != '', concat('u:', user_id), concat('a:', anonymous_id)) AS raw_key,
  toUInt8(if(j = 0, if(buy_now, 5, 1),
    if(sipHash64(${seed}, c, j, 12) % 4 = 0, 0, least(top, 1 + intDiv(j * top, n))))) AS stage,
  if(stage = 5, round(10 + (sipHash64(${seed}, c, j, 10) % 20000) / 100, 2), 0) AS revenue,
  if(stage = 5, 'EUR', '') AS currency,
  1 AS ruleset_version,
  now64(3) AS ingested_at
FROM (${customer(first, count)})
ARRAY JOIN range(n) AS j`,
      query_params: { projectId: options.projectId },
    });
    options.onProgress?.(first + count, options.customers);
  }
  const insertMs = Date.now() - started;

  await client.command({
    query: `
INSERT INTO identities (project_id, alias_key, customer_key, linked_at, message_id)
SELECT {projectId:String}, alias_key, concat('u:', toString(c)), entry + toIntervalDay(1), concat('link-', alias_key)
FROM (${customer(0, options.customers)})
ARRAY JOIN arrayConcat([concat('a:', toString(c))], if(second_device, [concat('a:', toString(c), '-2')], [])) AS alias_key
WHERE identified`,
    query_params: { projectId: options.projectId },
  });

  const [counts] = await (
    await client.query({
      query: `SELECT
        (SELECT count() FROM touchpoints WHERE project_id = {projectId:String}) AS touchpoints,
        (SELECT uniqExact(raw_key) FROM touchpoints WHERE project_id = {projectId:String}) AS raw_keys,
        (SELECT count() FROM identities WHERE project_id = {projectId:String}) AS links`,
      format: 'JSONEachRow',
      query_params: { projectId: options.projectId },
    })
  ).json<{ touchpoints: string; raw_keys: string; links: string }>();
  return {
    touchpoints: Number(counts?.touchpoints),
    customers: options.customers,
    rawKeys: Number(counts?.raw_keys),
    identityLinks: Number(counts?.links),
    insertMs,
  };
}

const MERGED_TABLES = ['touchpoints', 'stage_reach', 'customer_profiles', 'identities', 'kpi_activity'];

/**
 * A fresh embedded ClickHouse in a temporary directory holding a generated population, its tables merged
 * (`OPTIMIZE … FINAL`) as a long-running store's would be; `run` gets the client, the population and the
 * seconds the merge took. The directory is removed afterwards, whatever happens.
 */
export async function withPopulation<T>(
  name: string,
  options: Omit<PopulationOptions, 'onProgress'>,
  run: (client: ClickHouseClient, population: PopulationReport, mergeSeconds: number) => Promise<T>,
): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), `waymark-bench-${name}-`));
  let client: ClickHouseClient | undefined;
  try {
    client = await createClickHouse({ dataDir });
    await runMigrations(client);
    const count = (n: number) => n.toLocaleString('en-US');
    console.error(
      `generating ${count(options.touchpoints)} touchpoints / ${count(options.customers)} customers in ${dataDir} …`,
    );
    const population = await generatePopulation(client, {
      ...options,
      onProgress: (done, total) => console.error(`  ${count(done)} / ${count(total)} customers`),
    });
    const mergeStarted = performance.now();
    for (const table of MERGED_TABLES) await client.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
    return await run(client, population, (performance.now() - mergeStarted) / 1000);
  } finally {
    await client?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
