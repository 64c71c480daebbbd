/**
 * Stage funnel latency (DESIGN §9): the reached-mode funnel (`queryStageFunnel`, over the stage_reach
 * pre-aggregation + identities) next to a hand-written `windowFunnel` over the raw touchpoints, on the
 * same generated population and cohort, in the same run; plus insert throughput. Embedded chDB in a
 * temporary data directory, deleted at the end.
 *
 *   pnpm exec tsx bench/stage-funnel.bench.ts [--touchpoints 10000000] [--customers 1000000] [--runs 7]
 *   (or WAYMARK_BENCH_TOUCHPOINTS=1000000; customers default to touchpoints / 10)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ClickHouseClient,
  createClickHouse,
  insertTouchpoints,
  queryStageFunnel,
  rawKeyOf,
  runMigrations,
  type StoredTouchpoint,
} from '@waymark/clickhouse';
import { generatePopulation } from './generate-population.ts';

const { values: args } = parseArgs({
  options: {
    touchpoints: { type: 'string', default: process.env.WAYMARK_BENCH_TOUCHPOINTS ?? '10000000' },
    customers: { type: 'string' },
    runs: { type: 'string', default: '7' },
    'json-rows': { type: 'string', default: '100000' },
  },
});
const TOUCHPOINTS = Number(args.touchpoints);
const CUSTOMERS = Number(args.customers ?? Math.max(1, Math.round(TOUCHPOINTS / 10)));
const RUNS = Number(args.runs);
const JSON_ROWS = Number(args['json-rows']);
const PROJECT = 'p_bench';
const START = new Date('2024-01-01T00:00:00Z');
const ENTRY_DAYS = 60;
const DAY_MS = 86_400_000;
const COHORT = { from: START, to: new Date(START.getTime() + 30 * DAY_MS) };
const WINDOW_SECONDS = 30 * 86_400;

function windowFunnelSql(withIdentities: boolean): string {
  const conditions = [1, 2, 3, 4, 5, 6, 7].map((k) => `t.stage >= ${k}`).join(', ');
  const customer = withIdentities
    ? "if(links.linked_customer = '', t.raw_key, links.linked_customer)"
    : 't.raw_key';
  return `
WITH links AS (
  SELECT alias_key, argMax(customer_key, linked_at) AS linked_customer
  FROM identities WHERE project_id = {projectId:String} GROUP BY alias_key
)
SELECT level, count() AS customers FROM (
  SELECT
    ${customer} AS customer,
    windowFunnel(${WINDOW_SECONDS * 1000})(toUInt64(toUnixTimestamp64Milli(t.timestamp)), ${conditions}) AS level,
    toUnixTimestamp64Milli(min(t.timestamp)) AS entry
  FROM touchpoints AS t
  ${withIdentities ? 'LEFT JOIN links ON links.alias_key = t.raw_key' : ''}
  WHERE t.project_id = {projectId:String} AND t.stage >= 1
  GROUP BY customer
  HAVING entry >= {fromMs:Int64} AND entry < {toMs:Int64}
)
GROUP BY level ORDER BY level`;
}

async function windowFunnel(client: ClickHouseClient, withIdentities: boolean): Promise<number[]> {
  const result = await client.query({
    query: windowFunnelSql(withIdentities),
    format: 'JSONEachRow',
    query_params: { projectId: PROJECT, fromMs: COHORT.from.getTime(), toMs: COHORT.to.getTime() },
  });
  const rows = await result.json<{ level: number | string; customers: number | string }>();
  // Customers at level ≥ k, the funnel's "reached step k" counts.
  return [1, 2, 3, 4, 5, 6, 7].map((k) =>
    rows.filter((row) => Number(row.level) >= k).reduce((sum, row) => sum + Number(row.customers), 0),
  );
}

async function stageFunnel(client: ClickHouseClient): Promise<number[]> {
  const funnel = await queryStageFunnel(client, {
    projectId: PROJECT,
    ...COHORT,
    windowSeconds: WINDOW_SECONDS,
  });
  return funnel.stages.map((stage) => stage.customers);
}

async function time(run: () => Promise<unknown>): Promise<{ p50: number; min: number }> {
  await run(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length / 2)] as number, min: samples[0] as number };
}

function jsonTouchpoint(i: number): StoredTouchpoint {
  const at = START.getTime() + i * 1000;
  const ids = { anonymousId: `json-${i % 10_000}`, userId: null };
  return {
    touchpoint: {
      messageId: `json-${i}`,
      projectId: 'p_bench_json',
      type: 'track',
      event: 'Product Viewed',
      name: null,
      ...ids,
      previousId: null,
      groupId: null,
      timestamp: at,
      originalTimestamp: at,
      sentAt: at + 40,
      receivedAt: at + 90,
      sessionId: `s-${i % 30_000}`,
      pageUrl: 'https://shop.example.com/products/shoe?color=red',
      pagePath: '/products/shoe',
      pageReferrer: 'https://www.google.com/',
      pageTitle: 'Red shoe',
      pageSearch: '?color=red',
      campaignSource: 'google',
      campaignMedium: 'cpc',
      campaignName: 'spring',
      campaignTerm: null,
      campaignContent: null,
      clickId: null,
      userAgent:
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
      deviceType: 'desktop',
      os: 'Windows',
      browser: 'Chrome',
      ip: '203.0.113.0',
      country: 'DE',
      region: 'BE',
      city: 'Berlin',
      locale: 'de-DE',
      timezone: 'Europe/Berlin',
      libraryName: 'waymark.js',
      libraryVersion: '1.0.0',
      properties: '{"product_id":"p-1","price":49.9}',
      traits: '{}',
      context: '{"page":{"path":"/products/shoe"}}',
    },
    rawKey: rawKeyOf(ids),
    channel: 'paid search',
    stage: 2,
    complaint: false,
    revenue: 0,
    currency: '',
    rulesetVersion: 1,
  };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const dataDir = await mkdtemp(join(tmpdir(), 'waymark-bench-stage-funnel-'));
let client: ClickHouseClient | undefined;
try {
  client = await createClickHouse({ dataDir });
  const ch = client;
  await runMigrations(ch);

  console.error(`generating ${fmt(TOUCHPOINTS)} touchpoints / ${fmt(CUSTOMERS)} customers in ${dataDir} …`);
  const population = await generatePopulation(ch, {
    projectId: PROJECT,
    customers: CUSTOMERS,
    touchpoints: TOUCHPOINTS,
    start: START,
    entryDays: ENTRY_DAYS,
    onProgress: (done, total) => console.error(`  ${fmt(done)} / ${fmt(total)} customers`),
  });
  const settleStarted = performance.now();
  for (const table of ['touchpoints', 'stage_reach', 'identities']) {
    await ch.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
  }
  const settleMs = performance.now() - settleStarted;

  console.error(`insertTouchpoints of ${fmt(JSON_ROWS)} touchpoints …`);
  const jsonRows = Array.from({ length: JSON_ROWS }, (_, i) => jsonTouchpoint(i));
  const jsonStarted = performance.now();
  for (let i = 0; i < jsonRows.length; i += 10_000) {
    await insertTouchpoints(ch, jsonRows.slice(i, i + 10_000));
  }
  const jsonMs = performance.now() - jsonStarted;

  console.error('timing queries …');
  const reached = await stageFunnel(ch);
  const ordered = await windowFunnel(ch, true);
  const orderedRaw = await windowFunnel(ch, false);
  const reachedTime = await time(() => stageFunnel(ch));
  const orderedTime = await time(() => windowFunnel(ch, true));
  const orderedRawTime = await time(() => windowFunnel(ch, false));
  const [{ version } = { version: '?' }] = await (
    await ch.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })
  ).json<{ version: string }>();

  const lines = [
    `### Stage funnel, ${fmt(population.touchpoints)} touchpoints / ${fmt(CUSTOMERS)} customers ` +
      `(${fmt(population.rawKeys)} raw keys, ${fmt(population.identityLinks)} identity links), chDB ${version}`,
    '',
    `Cohort: entries in [${COHORT.from.toISOString().slice(0, 10)}, ${COHORT.to.toISOString().slice(0, 10)}), ` +
      `window 30 days; ${RUNS} warm runs after one warm-up.`,
    '',
    '| query | p50 ms | min ms | ratio to windowFunnel |',
    '|---|---:|---:|---:|',
    `| \`queryStageFunnel\` (reached; stage_reach + identities) | ${fmt(reachedTime.p50)} | ${fmt(reachedTime.min)} | ${fmt(reachedTime.p50 / orderedTime.p50, 2)} |`,
    `| \`windowFunnel\` on touchpoints + identities | ${fmt(orderedTime.p50)} | ${fmt(orderedTime.min)} | 1.00 |`,
    `| \`windowFunnel\` on touchpoints, raw keys only | ${fmt(orderedRawTime.p50)} | ${fmt(orderedRawTime.min)} | ${fmt(orderedRawTime.p50 / orderedTime.p50, 2)} |`,
    '',
    '| customers at stage 1 … 7 | counts |',
    '|---|---|',
    `| reached (queryStageFunnel) | ${reached.map((n) => fmt(n)).join(' / ')} |`,
    `| ordered (windowFunnel + identities) | ${ordered.map((n) => fmt(n)).join(' / ')} |`,
    `| ordered, raw keys only | ${orderedRaw.map((n) => fmt(n)).join(' / ')} |`,
    '',
    '| insert | rows | s | rows/s |',
    '|---|---:|---:|---:|',
    `| \`INSERT … SELECT FROM numbers()\` into touchpoints (+ stage_reach view) | ${fmt(population.touchpoints)} | ${fmt(population.insertMs / 1000, 1)} | ${fmt(population.touchpoints / (population.insertMs / 1000))} |`,
    `| \`insertTouchpoints\` (through @clickhouse/client, 10k-row batches) | ${fmt(JSON_ROWS)} | ${fmt(jsonMs / 1000, 1)} | ${fmt(JSON_ROWS / (jsonMs / 1000))} |`,
    '',
    `\`OPTIMIZE … FINAL\` of the three tables before timing: ${fmt(settleMs / 1000, 1)} s.`,
  ];
  console.log(lines.join('\n'));
} finally {
  await client?.close();
  await rm(dataDir, { recursive: true, force: true });
}
