import { parseArgs } from 'node:util';
import { hashApiKey, queryCustomerTimeline, queryStageFunnel } from '@waymark/clickhouse';
import { buildQueryApp, loadQueryEnv, webhooksFromEnv } from '@waymark/query';
import { TEST_WEBHOOK_ENV, testLogger } from '@waymark/testing';
import { withPopulation } from './generate-population.ts';
import { commandLine, formatNumber as fmt, markdownTable, percentile, runContext } from './report.ts';

const { values: args } = parseArgs({
  options: {
    touchpoints: { type: 'string', default: '10000000' },
    customers: { type: 'string' },
    runs: { type: 'string', default: '7' },
    timelines: { type: 'string', default: '60' },
  },
});
const TOUCHPOINTS = Number(args.touchpoints);
const CUSTOMERS = Number(args.customers ?? Math.max(1, Math.round(TOUCHPOINTS / 10)));
const RUNS = Number(args.runs);
const TIMELINES = Number(args.timelines);
const PROJECT = 'p_bench';
const API_KEY = 'sk_bench';
const START = new Date('2024-01-01T00:00:00Z');
const DAY_MS = 86_400_000;
const COHORT = { from: START, to: new Date(START.getTime() + 30 * DAY_MS) };
const RANGE = `from=${COHORT.from.toISOString()}&to=${COHORT.to.toISOString()}`;

interface Timing {
  p50: number;
  p90: number;
  min: number;
}

interface Query {
  readonly name: string;
  /** The i-th call (calls may differ: the i-th customer). */
  readonly run: (i: number) => Promise<unknown>;
  /** Calls per round. */
  readonly calls: number;
}

/*
 * One warm-up call each, then `RUNS` rounds in which every query is called in turn: load from other
 * processes on the shared machine then hits all queries alike, and the ratios stay meaningful.
 */
async function timeInRounds(queries: readonly Query[]): Promise<Timing[]> {
  for (const query of queries) await query.run(0);
  const samples = queries.map((): number[] => []);
  for (let round = 0; round < RUNS; round++) {
    for (const [q, query] of queries.entries()) {
      for (let call = 0; call < query.calls; call++) {
        const started = performance.now();
        await query.run(round * query.calls + call);
        samples[q]?.push(performance.now() - started);
      }
    }
  }
  return samples.map((times) => {
    times.sort((a, b) => a - b);
    return { p50: percentile(times, 0.5), p90: percentile(times, 0.9), min: times[0] as number };
  });
}

await withPopulation(
  'flow',
  { projectId: PROJECT, customers: CUSTOMERS, touchpoints: TOUCHPOINTS, start: START, entryDays: 60 },
  async (ch, population) => {
    const app = buildQueryApp({
      logger: testLogger('bench'),
      clickhouse: ch,
      webhooks: webhooksFromEnv(loadQueryEnv(TEST_WEBHOOK_ENV)),
      apiKeyOwners: () => [{ projectId: PROJECT, apiKeyHash: hashApiKey(API_KEY) }],
    });
    const endpoint = (path: string) => async () => {
      const response = await app.inject({
        method: 'GET',
        url: `/v1/projects/${PROJECT}${path}`,
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      if (response.statusCode !== 200) throw new Error(`${path}: ${response.statusCode} ${response.body}`);
      return response.json();
    };
    // Customers spread over the population; `a:<c>` resolves to `u:<c>` for those who identified.
    const sample = Array.from(
      { length: TIMELINES + 1 },
      (_, i) => `a:${Math.floor((i * CUSTOMERS) / (TIMELINES + 1))}`,
    );
    const timeline = (i: number) => sample[i % sample.length] as string;

    console.error('timing …');
    const perRound = Math.max(1, Math.round(TIMELINES / RUNS));
    const queries: Query[] = [
      {
        name: '`queryStageFunnel` (reached, 30-day cohort; baseline)',
        run: () => queryStageFunnel(ch, { projectId: PROJECT, ...COHORT, windowSeconds: 30 * 86_400 }),
        calls: 1,
      },
      { name: 'GET /funnel/stages', run: endpoint(`/funnel/stages?${RANGE}`), calls: 1 },
      {
        name: `\`queryCustomerTimeline\`, 50 newest, ${perRound * RUNS} customers`,
        run: (i) => queryCustomerTimeline(ch, { projectId: PROJECT, customer: timeline(i), limit: 50 }),
        calls: perRound,
      },
      {
        name: `GET /customers/:customer/timeline?limit=50, ${perRound * RUNS} customers`,
        run: (i) => endpoint(`/customers/${encodeURIComponent(timeline(i))}/timeline?limit=50`)(),
        calls: perRound,
      },
      {
        name: 'GET /flow/stages (30 days, exitAfter 30d)',
        run: endpoint(`/flow/stages?${RANGE}&exitAfter=30d`),
        calls: 1,
      },
      {
        name: 'GET /bottlenecks?compare=previous',
        run: endpoint(`/bottlenecks?${RANGE}&compare=previous`),
        calls: 1,
      },
      {
        name: 'GET /funnel/stages/customers, dropped at purchase, first 100',
        run: endpoint(`/funnel/stages/customers?${RANGE}&stage=purchase&outcome=dropped&limit=100`),
        calls: 1,
      },
    ];
    const timings = (await timeInRounds(queries)).map((t, i): [string, Timing] => [
      queries[i]?.name ?? '',
      t,
    ]);
    const flow = (await endpoint(`/flow/stages?${RANGE}&exitAfter=30d`)()) as {
      customers: number;
      links: unknown[];
    };
    const timelineSizes = await Promise.all(
      sample
        .slice(0, 5)
        .map(
          async (customer) =>
            (await queryCustomerTimeline(ch, { projectId: PROJECT, customer, limit: 1000 }))?.touchpoints
              .length,
        ),
    );
    await app.close();
    const baseline = timings[0]?.[1].p50 ?? Number.NaN;

    console.log(
      [
        `### Flow, bottlenecks, drill-down and timeline, ${fmt(population.touchpoints)} touchpoints / ${fmt(CUSTOMERS)} customers ` +
          `(${fmt(population.rawKeys)} raw keys, ${fmt(population.identityLinks)} identity links)`,
        '',
        `${runContext()}. \`${commandLine()}\`; one warm-up call each, then ${RUNS} rounds calling every query in turn (timelines: ${perRound} customers a round).`,
        '',
        markdownTable(
          ['query', 'p50 ms', 'p90 ms', 'min ms', 'p50 ratio to the stage funnel'],
          timings.map(([name, t]) => [
            name,
            fmt(t.p50),
            fmt(t.p90),
            fmt(t.min),
            `${fmt(t.p50 / baseline, 2)}×`,
          ]),
        ),
        '',
        `The flow of the 30 days: ${fmt(flow.customers)} customers, ${flow.links.length} links. ` +
          `Timelines sampled hold ${timelineSizes.join(', ')} … touchpoints.`,
      ].join('\n'),
    );
  },
);
