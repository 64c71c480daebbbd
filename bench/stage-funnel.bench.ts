import { parseArgs } from 'node:util';
import {
  type ClickHouseClient,
  insertTouchpoints,
  loadMigrations,
  queryStageFunnel,
  renderMigration,
  type StageFunnelQuery,
  type StoredTouchpoint,
} from '@waymark/clickhouse';
import { touchpointOf } from '@waymark/events';
import { rawKeyOf } from '@waymark/journey';
import { withPopulation } from './generate-population.ts';
import { commandLine, formatNumber as fmt, markdownTable, median, runContext } from './report.ts';

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
const ENTRY_DAYS = 60;
const DAY_MS = 86_400_000;
const WINDOW_SECONDS = 30 * 86_400;
const FUNNEL: StageFunnelQuery = {
  projectId: PROJECT,
  from: START,
  to: new Date(START.getTime() + 30 * DAY_MS),
  windowSeconds: WINDOW_SECONDS,
};
const INSERT_ROWS = 100_000;
const STAGES = [1, 2, 3, 4, 5, 6, 7];

const PARAMS = { projectId: PROJECT, fromMs: FUNNEL.from.getTime(), toMs: FUNNEL.to.getTime() };
const LINKS_CTE = `links AS (
  SELECT alias_key, argMax(customer_key, linked_at) AS linked_customer
  FROM identities WHERE project_id = {projectId:String} GROUP BY alias_key
)`;

/**
 * The hand-written baseline: ClickHouse's own funnel function over the raw touchpoints, customers resolved
 * through the identity map. `stage >= k` conditions let one touchpoint satisfy several steps (what reached
 * mode counts, though from any start rather than from entry); `stage = k` needs the stages in order (what
 * ordered mode counts, again from any start).
 */
function windowFunnelSql(condition: '>=' | '=', withIdentities: boolean): string {
  const conditions = STAGES.map((k) => `t.stage ${condition} ${k}`).join(', ');
  const customer = withIdentities
    ? "if(links.linked_customer = '', t.raw_key, links.linked_customer)"
    : 't.raw_key';
  return `
WITH ${LINKS_CTE}
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

/** The reached-mode query before stage_reach knew which raw keys are linked: every key joined and grouped. */
const PREVIOUS_REACHED_SQL = `
WITH ${LINKS_CTE},
funnel_customers AS (
  SELECT
    if(links.linked_customer = '', reach.raw_key, links.linked_customer) AS customer,
    ${STAGES.map((k) => `min(toUnixTimestamp64Milli(reach.first_at_${k})) AS t${k}`).join(', ')}
  FROM stage_reach AS reach
  LEFT JOIN links ON links.alias_key = reach.raw_key
  WHERE reach.project_id = {projectId:String}
  GROUP BY customer
  HAVING t1 >= {fromMs:Int64} AND t1 < {toMs:Int64}
)
SELECT count() AS n1,
  ${STAGES.slice(1)
    .map((k) => `countIf(t${k} - t1 <= {windowMs:Int64}) AS n${k}`)
    .join(', ')},
  ${STAGES.slice(1)
    .map(
      (k) =>
        `quantilesExactInclusiveIf(0.5, 0.9)((t${k} - t${k - 1}) / 1000, t${k} - t1 <= {windowMs:Int64}) AS q${k}`,
    )
    .join(', ')}
FROM funnel_customers`;

async function rows<T>(client: ClickHouseClient, query: string, extra: Record<string, number> = {}) {
  const result = await client.query({
    query,
    format: 'JSONEachRow',
    query_params: { ...PARAMS, ...extra },
  });
  return result.json<T>();
}

async function windowFunnel(client: ClickHouseClient, condition: '>=' | '=', withIdentities: boolean) {
  const levels = await rows<{ level: number | string; customers: number | string }>(
    client,
    windowFunnelSql(condition, withIdentities),
  );
  // Customers at level ≥ k, the funnel's "reached step k" counts.
  return STAGES.map((k) =>
    levels.filter((row) => Number(row.level) >= k).reduce((sum, row) => sum + Number(row.customers), 0),
  );
}

async function previousReached(client: ClickHouseClient) {
  const [row] = await rows<Record<string, unknown>>(client, PREVIOUS_REACHED_SQL, {
    windowMs: WINDOW_SECONDS * 1000,
  });
  return STAGES.map((k) => Number(row?.[`n${k}`]));
}

const stageFunnel = async (client: ClickHouseClient, query: Partial<StageFunnelQuery>) =>
  (await queryStageFunnel(client, { ...FUNNEL, ...query })).stages.map((stage) => stage.customers);

interface Timed {
  readonly name: string;
  readonly run: () => Promise<number[]>;
  readonly samples: number[];
  counts?: number[];
}

/** One warm-up each, then RUNS rounds in which every query runs once. */
async function timeRoundRobin(queries: readonly Timed[]): Promise<void> {
  for (const query of queries) query.counts = await query.run();
  for (let round = 0; round < RUNS; round++) {
    for (const query of queries) {
      const started = performance.now();
      await query.run();
      query.samples.push(performance.now() - started);
    }
  }
}

function insertRows(tag: string): StoredTouchpoint[] {
  return Array.from({ length: INSERT_ROWS }, (_, i) => {
    const at = START.getTime() + i * 1000;
    const ids = { anonymousId: `${tag}-${i % 10_000}`, userId: null };
    const stage = [1, 2, 2, 3, 4, 5, 0][i % 7] as number;
    return {
      touchpoint: touchpointOf({
        messageId: `${tag}-${i}`,
        projectId: 'p_bench_insert',
        type: 'track',
        event: 'Product Viewed',
        ...ids,
        timestamp: at,
        receivedAt: at + 90,
        campaignSource: 'google',
        campaignMedium: 'cpc',
        country: 'DE',
        deviceType: 'desktop',
        os: 'Windows',
        browser: 'Chrome',
        properties: '{"product_id":"p-1","price":49.9}',
      }),
      rawKey: rawKeyOf(ids),
      channel: 'paid search',
      stage,
      complaint: false,
      revenue: 0,
      currency: '',
      rulesetVersion: 1,
    };
  });
}

async function insertSeconds(client: ClickHouseClient, tag: string): Promise<number> {
  const batch = insertRows(tag);
  const started = performance.now();
  for (let i = 0; i < batch.length; i += 10_000) await insertTouchpoints(client, batch.slice(i, i + 10_000));
  return (performance.now() - started) / 1000;
}

/** The stage_reach view's query as a migration defines it (`0002`: minima only, `0010`: + paths and entry). */
async function viewQuery(migrationName: string): Promise<string> {
  const migration = (await loadMigrations()).find((m) => m.name === migrationName);
  const statement = migration && renderMigration(migration).find((s) => s.includes('stage_reach_mv'));
  const select = statement?.slice(statement.indexOf('SELECT'));
  if (!select) throw new Error(`stage_reach_mv not found in migration ${migrationName}`);
  return select;
}

await withPopulation(
  'stage-funnel',
  { projectId: PROJECT, customers: CUSTOMERS, touchpoints: TOUCHPOINTS, start: START, entryDays: ENTRY_DAYS },
  async (ch, population, mergeSeconds) => {
    const context = runContext();

    console.error('timing queries …');
    const filtered = { country: ['DE', 'FR'], device: ['mobile'] };
    const queries: Timed[] = [
      {
        name: '`windowFunnel`, `stage >= k`, + identities (baseline)',
        run: () => windowFunnel(ch, '>=', true),
      },
      { name: '`windowFunnel`, `stage = k`, + identities', run: () => windowFunnel(ch, '=', true) },
      { name: '`windowFunnel`, `stage >= k`, raw keys only', run: () => windowFunnel(ch, '>=', false) },
      {
        name: 'reached, previous query (every raw key joined to identities)',
        run: () => previousReached(ch),
      },
      { name: '`queryStageFunnel` reached', run: () => stageFunnel(ch, { mode: 'reached' }) },
      { name: '`queryStageFunnel` ordered', run: () => stageFunnel(ch, { mode: 'ordered' }) },
      { name: '`queryStageFunnel` strict', run: () => stageFunnel(ch, { mode: 'strict' }) },
      {
        name: '`queryStageFunnel` reached, `country=DE&country=FR&device=mobile`',
        run: () => stageFunnel(ch, { mode: 'reached', filters: filtered }),
      },
      {
        name: '`queryStageFunnel` ordered, `country=DE&country=FR&device=mobile`',
        run: () => stageFunnel(ch, { mode: 'ordered', filters: filtered }),
      },
    ].map((query) => ({ ...query, samples: [] }));
    await timeRoundRobin(queries);
    const baseline = median(queries[0]?.samples ?? []);

    console.error('timing inserts with the stage_reach view of 0002 and of 0010 …');
    // Alternated, so load that comes and goes hits both sides.
    const minimaOnly = await viewQuery('stage_reach');
    const withPaths = await viewQuery('stage_reach_paths');
    const before: number[] = [];
    const after: number[] = [];
    for (let round = 0; round < 3; round++) {
      await ch.command({ query: `ALTER TABLE stage_reach_mv MODIFY QUERY ${minimaOnly}` });
      before.push(await insertSeconds(ch, `before${round}`));
      await ch.command({ query: `ALTER TABLE stage_reach_mv MODIFY QUERY ${withPaths}` });
      after.push(await insertSeconds(ch, `after${round}`));
    }

    const [{ version } = { version: '?' }] = await (
      await ch.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })
    ).json<{ version: string }>();
    const lines = [
      `### Stage funnel, ${fmt(population.touchpoints)} touchpoints / ${fmt(CUSTOMERS)} customers ` +
        `(${fmt(population.rawKeys)} raw keys, ${fmt(population.identityLinks)} identity links), chDB ${version}`,
      '',
      `${context}. \`${commandLine()}\`. Cohort: entries in [${FUNNEL.from.toISOString().slice(0, 10)}, ` +
        `${FUNNEL.to.toISOString().slice(0, 10)}), window 30 days; one warm-up each, then ${RUNS} rounds in which ` +
        'every query runs once.',
      '',
      markdownTable(
        ['query', 'p50 ms', 'min ms', 'ratio to the baseline (p50)'],
        queries.map((q) => [
          q.name,
          fmt(median(q.samples)),
          fmt(Math.min(...q.samples)),
          `${fmt(median(q.samples) / baseline, 2)}×`,
        ]),
      ),
      '',
      markdownTable(
        ['customers at stage 1 … 7', 'counts'],
        queries.map((q) => [q.name, (q.counts ?? []).map((n) => fmt(n)).join(' / ')]),
      ),
      '',
      markdownTable(
        ['insert', 'rows', 's', 'rows/s'],
        [
          [
            '`INSERT … SELECT FROM numbers()` into touchpoints (+ the views)',
            fmt(population.touchpoints),
            fmt(population.insertMs / 1000, 1),
            fmt(population.touchpoints / (population.insertMs / 1000)),
          ],
          [
            '`insertTouchpoints`, 10k-row batches, stage_reach view of 0002 (minima), median of 3 alternated rounds',
            fmt(INSERT_ROWS),
            fmt(median(before), 2),
            fmt(INSERT_ROWS / median(before)),
          ],
          [
            '`insertTouchpoints`, 10k-row batches, stage_reach view of 0010 (+ paths, entry), median of 3 alternated rounds',
            fmt(INSERT_ROWS),
            fmt(median(after), 2),
            fmt(INSERT_ROWS / median(after)),
          ],
        ],
      ),
      '',
      `\`OPTIMIZE … FINAL\` of the tables before timing: ${fmt(mergeSeconds, 1)} s.`,
    ];
    console.log(lines.join('\n'));
  },
);
