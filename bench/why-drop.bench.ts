import { parseArgs } from 'node:util';
import {
  type ClickHouseClient,
  queryCustomFunnel,
  queryCustomFunnelWhyDrop,
  queryStageFunnel,
  queryStageFunnelWhyDrop,
  type WhyDropCounts,
  type WhyDropOptions,
} from '@waymark/clickhouse';
import { DEFAULT_CUSTOMER_MODEL, rankFactors } from '@waymark/journey';
import { withPopulation } from './generate-population.ts';
import { commandLine, formatNumber as fmt, median, runContext } from './report.ts';

/*
 * "Why did they drop?" (docs/analytics/why-drop.md) on the generated population, each against the plain funnel
 * it explains, timed in the same rounds: stage funnel selection → purchase and a 5-step custom funnel's
 * Product Added → Order Completed, with the API's default limits and dimensions, ranking included.
 */

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
const COHORT = { from: START, to: new Date(START.getTime() + 30 * DAY_MS), windowSeconds: 30 * 86_400 };
const STEPS = ['Promotion Viewed', 'Product Viewed', 'Products Compared', 'Product Added', 'Order Completed'];
const FUNNEL = {
  steps: STEPS.map((event) => ({ event: [event] })),
  order: 'ordered' as const,
  exclusions: [],
};
/** The API's defaults (packages/api-contract/src/why-drop.ts). */
const OPTIONS: WhyDropOptions = {
  limits: {
    events: 100,
    propertyKeys: 10,
    values: 10,
    pairs: 200,
    minimumSupport: 20,
    pathLength: 3,
    paths: 10,
  },
  dimensions: ['device', 'os', 'browser', 'country', 'channel'],
  model: DEFAULT_CUSTOMER_MODEL,
};

/** A derived dimension: the customer model's classification over every profile (the profile fields alone do not). */
const WITH_TYPE: WhyDropOptions = { ...OPTIONS, dimensions: [...OPTIONS.dimensions, 'type'] };

const ranked = (counts: WhyDropCounts) => ({
  counts,
  factors: rankFactors(counts.factors, counts, OPTIONS.limits.minimumSupport),
});

await withPopulation(
  'why-drop',
  { projectId: PROJECT, customers: CUSTOMERS, touchpoints: TOUCHPOINTS, start: START, entryDays: 60 },
  async (ch: ClickHouseClient, population) => {
    const rows: Array<[string, () => Promise<unknown>]> = [
      [
        '`queryStageFunnel` reached (baseline of the next two rows)',
        () => queryStageFunnel(ch, { projectId: PROJECT, ...COHORT }),
      ],
      [
        'why-drop, stage funnel selection → purchase',
        async () =>
          ranked(await queryStageFunnelWhyDrop(ch, { projectId: PROJECT, ...COHORT, stage: 4 }, OPTIONS)),
      ],
      [
        'why-drop, stage funnel selection → purchase, dimensions + type (the customer model)',
        async () =>
          ranked(await queryStageFunnelWhyDrop(ch, { projectId: PROJECT, ...COHORT, stage: 4 }, WITH_TYPE)),
      ],
      [
        '`queryCustomFunnel` 5 steps, ordered (baseline of the next row)',
        () => queryCustomFunnel(ch, { projectId: PROJECT, ...COHORT, funnel: FUNNEL }),
      ],
      [
        'why-drop, custom funnel step 4 → 5',
        async () =>
          ranked(
            await queryCustomFunnelWhyDrop(
              ch,
              { projectId: PROJECT, ...COHORT, funnel: FUNNEL, step: 4 },
              OPTIONS,
            ),
          ),
      ],
    ];
    const context = runContext();
    console.error('timing queries …');
    const samples = rows.map(() => [] as number[]);
    // The process's CPU time (user + system, every thread, the embedded engine's included): on a shared
    // machine it moves less with the neighbours' load than the wall time does.
    const cpuSamples = rows.map(() => [] as number[]);
    const last: unknown[] = [];
    for (const [i, [, run]] of rows.entries()) last[i] = await run(); // warm-up
    // Rounds: every query in turn, so the machine's load hits them alike.
    for (let round = 0; round < RUNS; round++) {
      for (const [i, [, run]] of rows.entries()) {
        const started = performance.now();
        const cpuStarted = process.cpuUsage();
        await run();
        const cpu = process.cpuUsage(cpuStarted);
        samples[i]?.push(performance.now() - started);
        cpuSamples[i]?.push((cpu.user + cpu.system) / 1000);
      }
    }
    const p50 = samples.map((s) => median(s));
    const min = samples.map((s) => Math.min(...s));
    const cpuP50 = cpuSamples.map((s) => median(s));
    const shape = (i: number) => {
      const answer = last[i] as { counts: WhyDropCounts; factors: unknown[] };
      return `${fmt(answer.counts.converted)} converted / ${fmt(answer.counts.dropped)} dropped, ${fmt(answer.factors.length)} factors tested, ${answer.counts.paths.length} paths`;
    };
    console.log(
      [
        `#### Why did they drop, ${fmt(population.touchpoints)} touchpoints / ${fmt(CUSTOMERS)} customers (${fmt(population.rawKeys)} raw keys, ${fmt(population.identityLinks)} identity links)`,
        '',
        `${context}. \`${commandLine()}\`; one warm-up call each, then ${RUNS} rounds calling every query in turn. Cohort [2024-01-01, 2024-01-31), window 30 days.`,
        '',
        '| query | p50 ms | min ms | p50 CPU ms | p50 ratio to its funnel |',
        '|---|---:|---:|---:|---:|',
        ...rows.map(
          ([name], i) =>
            `| ${name} | ${fmt(p50[i] as number)} | ${fmt(min[i] as number)} | ${fmt(cpuP50[i] as number)} | ${fmt((p50[i] as number) / (p50[i < 3 ? 0 : 3] as number), 2)}× |`,
        ),
        '',
        `Stage funnel why-drop: ${shape(1)}. Custom funnel why-drop: ${shape(4)}.`,
      ].join('\n'),
    );
  },
);
