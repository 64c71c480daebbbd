import { parseArgs } from 'node:util';
import {
  type ClickHouseClient,
  type CustomFunnelBreakdown,
  type CustomFunnelDefinition,
  queryCustomFunnel,
} from '@waymark/clickhouse';
import { DEFAULT_CUSTOMER_MODEL, type FunnelOrder } from '@waymark/journey';
import { withPopulation } from './generate-population.ts';
import { formatNumber as fmt, median } from './report.ts';

const { values: args } = parseArgs({
  options: {
    touchpoints: { type: 'string', default: process.env.WAYMARK_BENCH_TOUCHPOINTS ?? '10000000' },
    customers: { type: 'string' },
    runs: { type: 'string', default: '7' },
  },
});
const TOUCHPOINTS = Number(args.touchpoints);
const CUSTOMERS = Number(args.customers ?? Math.max(1, Math.round(TOUCHPOINTS / 10)));
const RUNS = Number(args.runs);
const PROJECT = 'p_bench';
const START = new Date('2024-01-01T00:00:00Z');
const DAY_MS = 86_400_000;
const COHORT = { from: START, to: new Date(START.getTime() + 30 * DAY_MS) };
const WINDOW_SECONDS = 30 * 86_400;
/** The generator's events for stages 1–5: discovery (with a campaign) … purchase. */
const STEPS = ['Promotion Viewed', 'Product Viewed', 'Products Compared', 'Product Added', 'Order Completed'];

/** The baseline: windowFunnel per customer, identities resolved, broken down by the entry's utm_source. */
const WINDOW_FUNNEL_SQL = `
WITH links AS (
  SELECT alias_key, argMax(customer_key, linked_at) AS linked_customer
  FROM identities WHERE project_id = {projectId:String} GROUP BY alias_key
)
SELECT source, level, count() AS customers FROM (
  SELECT
    if(links.linked_customer = '', t.raw_key, links.linked_customer) AS customer,
    windowFunnel(${WINDOW_SECONDS * 1000})(toUInt64(toUnixTimestamp64Milli(t.timestamp)),
      ${STEPS.map((event) => `t.event = '${event}'`).join(', ')}) AS level,
    minIf(toUnixTimestamp64Milli(t.timestamp), t.event = '${STEPS[0]}') AS entry,
    argMinIf(t.campaign_source, t.timestamp, t.event = '${STEPS[0]}') AS source
  FROM touchpoints AS t
  LEFT JOIN links ON links.alias_key = t.raw_key
  WHERE t.project_id = {projectId:String} AND t.event IN (${STEPS.map((event) => `'${event}'`).join(', ')})
  GROUP BY customer
  HAVING countIf(t.event = '${STEPS[0]}') > 0 AND entry >= {fromMs:Int64} AND entry < {toMs:Int64}
)
GROUP BY source, level`;

async function windowFunnel(client: ClickHouseClient): Promise<number[]> {
  const result = await client.query({
    query: WINDOW_FUNNEL_SQL,
    format: 'JSONEachRow',
    query_params: { projectId: PROJECT, fromMs: COHORT.from.getTime(), toMs: COHORT.to.getTime() },
  });
  const rows = await result.json<{ level: number | string; customers: number | string }>();
  return STEPS.map((_, k) =>
    rows.filter((row) => Number(row.level) > k).reduce((sum, row) => sum + Number(row.customers), 0),
  );
}

const funnel = (order: FunnelOrder): CustomFunnelDefinition => ({
  steps: STEPS.map((event) => ({ event: [event] })),
  order,
  exclusions: [],
});

async function customFunnel(
  client: ClickHouseClient,
  order: FunnelOrder,
  breakdown?: CustomFunnelBreakdown,
): Promise<number[]> {
  const result = await queryCustomFunnel(client, {
    projectId: PROJECT,
    ...COHORT,
    windowSeconds: WINDOW_SECONDS,
    funnel: funnel(order),
    ...(breakdown && { breakdown }),
  });
  return result.steps.map((step) => step.customers);
}

interface Timing {
  p50: number;
  min: number;
  cpuP50: number;
}

async function time(run: () => Promise<unknown>): Promise<Timing> {
  await run(); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await run();
    const used = process.cpuUsage(cpuStarted);
    wall.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
  }
  return { p50: median(wall), min: Math.min(...wall), cpuP50: median(cpu) };
}

const utmSource: CustomFunnelBreakdown = { kind: 'touchpoint', dimension: 'utm_source', limit: 50 };
const customerDevice: CustomFunnelBreakdown = {
  kind: 'customer',
  dimension: 'device',
  limit: 50,
  model: DEFAULT_CUSTOMER_MODEL,
};

await withPopulation(
  'custom-funnel',
  { projectId: PROJECT, customers: CUSTOMERS, touchpoints: TOUCHPOINTS, start: START, entryDays: 60 },
  async (ch, population) => {
    console.error('timing queries …');
    const rows: Array<[string, () => Promise<number[]>]> = [
      ['hand-written `windowFunnel` + identities, by utm_source (baseline)', () => windowFunnel(ch)],
      ['`queryCustomFunnel` ordered, by utm_source', () => customFunnel(ch, 'ordered', utmSource)],
      ['`queryCustomFunnel` ordered, no breakdown', () => customFunnel(ch, 'ordered')],
      ['`queryCustomFunnel` strict, by utm_source', () => customFunnel(ch, 'strict', utmSource)],
      ['`queryCustomFunnel` unordered, by utm_source', () => customFunnel(ch, 'unordered', utmSource)],
      ['`queryCustomFunnel` ordered, by customer device', () => customFunnel(ch, 'ordered', customerDevice)],
    ];
    const results: Array<{ name: string; counts: number[]; timing: Timing }> = [];
    for (const [name, run] of rows) {
      const counts = await run();
      results.push({ name, counts, timing: await time(run) });
    }
    const baseline = results[0]?.timing as Timing;
    const [{ version } = { version: '?' }] = await (
      await ch.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })
    ).json<{ version: string }>();

    const lines = [
      `### Custom funnel, 5 steps, ${fmt(population.touchpoints)} touchpoints / ${fmt(CUSTOMERS)} customers ` +
        `(${fmt(population.rawKeys)} raw keys, ${fmt(population.identityLinks)} identity links), chDB ${version}`,
      '',
      `Steps: ${STEPS.join(' → ')}; attempts: step-1 touchpoints in ` +
        `[${COHORT.from.toISOString().slice(0, 10)}, ${COHORT.to.toISOString().slice(0, 10)}), window 30 days; ` +
        `${RUNS} warm runs after one warm-up. CPU: the process's user + system time during the query.`,
      '',
      '| query | p50 ms | min ms | CPU p50 ms | p50 ratio to windowFunnel | CPU ratio |',
      '|---|---:|---:|---:|---:|---:|',
      ...results.map(
        ({ name, timing }) =>
          `| ${name} | ${fmt(timing.p50)} | ${fmt(timing.min)} | ${fmt(timing.cpuP50)} | ${fmt(timing.p50 / baseline.p50, 2)} | ${fmt(timing.cpuP50 / baseline.cpuP50, 2)} |`,
      ),
      '',
      '| customers at step 1 … 5 | counts |',
      '|---|---|',
      ...results.map(({ name, counts }) => `| ${name} | ${counts.map((n) => fmt(n)).join(' / ')} |`),
    ];
    console.log(lines.join('\n'));
  },
);
