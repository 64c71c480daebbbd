import { parseArgs } from 'node:util';
import {
  type ClickHouseClient,
  insertTouchpoints,
  loadMigrations,
  queryCustomer,
  queryCustomers,
  queryKpis,
  queryRetention,
  querySegments,
  queryStageFunnel,
  queryStageFunnelBreakdown,
  renderMigration,
  type StoredTouchpoint,
} from '@waymark/clickhouse';
import { touchpointOf } from '@waymark/events';
import { DEFAULT_CUSTOMER_MODEL } from '@waymark/journey';
import { withPopulation } from './generate-population.ts';
import { commandLine, formatNumber as fmt, markdownTable, median, runContext, timeRuns } from './report.ts';

const { values: args } = parseArgs({
  options: {
    touchpoints: { type: 'string', default: '10000000' },
    customers: { type: 'string' },
    runs: { type: 'string', default: '5' },
  },
});
const TOUCHPOINTS = Number(args.touchpoints);
const CUSTOMERS = Number(args.customers ?? Math.max(1, Math.round(TOUCHPOINTS / 10)));
const RUNS = Number(args.runs);
const PROJECT = 'p_bench';
const START = new Date('2024-01-01T00:00:00Z');
const DAY_MS = 86_400_000;
const AS_OF = new Date(START.getTime() + 120 * DAY_MS);
const FUNNEL = {
  projectId: PROJECT,
  from: START,
  to: new Date(START.getTime() + 30 * DAY_MS),
  windowSeconds: 30 * 86_400,
};
const INSERT_ROWS = 100_000;

function insertRows(tag: string): StoredTouchpoint[] {
  return Array.from({ length: INSERT_ROWS }, (_, i) => {
    const at = START.getTime() + i * 1000;
    const stage = [2, 2, 3, 4, 5, 0][i % 6] as number;
    return {
      touchpoint: touchpointOf({
        messageId: `${tag}-${i}`,
        projectId: `p_insert_${tag}`,
        type: 'track',
        event: 'Product Viewed',
        anonymousId: `a-${i % 10_000}`,
        userId: null,
        timestamp: at,
        receivedAt: at + 90,
        country: 'DE',
        deviceType: 'desktop',
        os: 'Windows',
        browser: 'Chrome',
        properties: '{"product_id":"p-1","price":49.9}',
      }),
      rawKey: `a:a-${i % 10_000}`,
      channel: 'paid search',
      stage,
      complaint: false,
      revenue: stage === 5 ? 49.9 : 0,
      currency: '',
      rulesetVersion: 1,
    };
  });
}

async function insertSeconds(client: ClickHouseClient, tag: string): Promise<number> {
  const rows = insertRows(tag);
  const started = performance.now();
  for (let i = 0; i < rows.length; i += 10_000) await insertTouchpoints(client, rows.slice(i, i + 10_000));
  return (performance.now() - started) / 1000;
}

await withPopulation(
  'customers',
  { projectId: PROJECT, customers: CUSTOMERS, touchpoints: TOUCHPOINTS, start: START, entryDays: 60 },
  async (ch, population) => {
    console.error('timing queries …');
    const model = DEFAULT_CUSTOMER_MODEL;
    const firstPage = await queryCustomers(ch, { projectId: PROJECT, model, asOf: AS_OF, limit: 100 });
    const someone = firstPage.customers.find((c) => c.purchases.orders > 0) ?? firstPage.customers[0];
    if (someone === undefined) throw new Error('the population has no customers');
    const types = await querySegments(ch, { projectId: PROJECT, model, asOf: AS_OF, dimension: 'type' });
    const queries: Array<[string, () => Promise<unknown>]> = [
      ['stage funnel, reached (baseline)', () => queryStageFunnel(ch, FUNNEL)],
      [
        'stage funnel broken down by customer type',
        () => queryStageFunnelBreakdown(ch, { ...FUNNEL, dimension: 'type', model, asOf: AS_OF }),
      ],
      [
        'segments by type',
        () => querySegments(ch, { projectId: PROJECT, model, asOf: AS_OF, dimension: 'type' }),
      ],
      [
        'segments by country',
        () => querySegments(ch, { projectId: PROJECT, model, asOf: AS_OF, dimension: 'country' }),
      ],
      [
        'customer list, first 100 loyal',
        () =>
          queryCustomers(ch, {
            projectId: PROJECT,
            model,
            asOf: AS_OF,
            filter: { type: 'loyal' },
            limit: 100,
          }),
      ],
      [
        'KPIs for a year by month (+ comparisons)',
        () =>
          queryKpis(ch, {
            projectId: PROJECT,
            from: START,
            to: new Date('2025-01-01T00:00:00Z'),
            interval: 'month',
            timezone: 'UTC',
          }),
      ],
      [
        'retention, weekly cohorts over 12 weeks × 8 weeks',
        () =>
          queryRetention(ch, {
            projectId: PROJECT,
            from: START,
            to: new Date(START.getTime() + 84 * DAY_MS),
            interval: 'week',
            timezone: 'UTC',
            periods: 8,
          }),
      ],
      [
        'one customer profile (+ sessions)',
        () => queryCustomer(ch, { projectId: PROJECT, model, asOf: AS_OF, customer: someone.customer }),
      ],
    ];
    const timings: Array<[string, { p50: number; min: number }]> = [];
    for (const [name, run] of queries) timings.push([name, await timeRuns(run, RUNS)]);
    const baseline = timings[0]?.[1].p50 ?? Number.NaN;

    console.error('timing inserts with and without the customer_profiles view …');
    // Alternated, so load that comes and goes on the shared machine hits both sides.
    const migration = (await loadMigrations()).find((m) => m.name === 'customer_profiles');
    const createView =
      migration && renderMigration(migration).find((s) => s.includes('customer_profiles_mv'));
    if (createView === undefined) throw new Error('customer_profiles_mv not found in the migrations');
    const withView: number[] = [];
    const withoutView: number[] = [];
    for (let round = 0; round < 3; round++) {
      withView.push(await insertSeconds(ch, `with${round}`));
      await ch.command({ query: 'DROP VIEW customer_profiles_mv' });
      withoutView.push(await insertSeconds(ch, `without${round}`));
      await ch.command({ query: createView });
    }

    console.log(
      [
        `### Customer queries, ${fmt(population.touchpoints)} touchpoints / ${fmt(CUSTOMERS)} customers ` +
          `(${fmt(population.rawKeys)} raw keys, ${fmt(population.identityLinks)} identity links)`,
        '',
        `${runContext()}. \`${commandLine()}\`; ${RUNS} warm runs after one warm-up.`,
        '',
        markdownTable(
          ['query', 'p50 ms', 'min ms', 'ratio to the stage funnel'],
          timings.map(([name, t]) => [name, fmt(t.p50), fmt(t.min), `${fmt(t.p50 / baseline, 2)}×`]),
        ),
        '',
        `Customer types at ${AS_OF.toISOString().slice(0, 10)}: ${types.map((s) => `${s.value} ${fmt(s.customers)}`).join(', ')}.`,
        '',
        markdownTable(
          [
            'insertTouchpoints, 100k rows in 10k batches, median of 3 alternated rounds',
            's',
            'rows/s',
            'time ratio',
          ],
          [
            [
              'without customer_profiles_mv',
              fmt(median(withoutView), 2),
              fmt(INSERT_ROWS / median(withoutView)),
              '1.00×',
            ],
            [
              'with customer_profiles_mv',
              fmt(median(withView), 2),
              fmt(INSERT_ROWS / median(withView)),
              `${fmt(median(withView) / median(withoutView), 2)}×`,
            ],
          ],
        ),
      ].join('\n'),
    );
  },
);
