/**
 * The reached stage funnel at scale (issue #15: 100M touchpoints / 10M customers ≤ 1.5 s p50): a generated
 * population (bench/generate-population.ts) merged as a long-running store's would be, then
 * `queryStageFunnel` in reached mode timed over `--runs` warm runs. Prints the load time, the merge time
 * and the disk size of each table, so runs at several sizes show how the figures scale.
 *
 *   pnpm exec tsx bench/stage-funnel-scale.bench.ts [--touchpoints 100000000] [--customers 10000000] [--runs 9]
 */
import { parseArgs } from 'node:util';
import { queryStageFunnel } from '@waymark/clickhouse';
import { withPopulation } from './generate-population.ts';
import { commandLine, formatNumber as fmt, markdownTable, percentile, runContext } from './report.ts';

const { values: args } = parseArgs({
  options: {
    touchpoints: { type: 'string', default: '100000000' },
    customers: { type: 'string' },
    runs: { type: 'string', default: '9' },
  },
});
const TOUCHPOINTS = Number(args.touchpoints);
const CUSTOMERS = Number(args.customers ?? Math.max(1, Math.round(TOUCHPOINTS / 10)));
const RUNS = Number(args.runs);
const TARGET_P50_MS = 1_500;
const PROJECT = 'p_scale';
const START = new Date('2024-01-01T00:00:00Z');
const DAY_MS = 86_400_000;
const FUNNEL = {
  projectId: PROJECT,
  from: START,
  to: new Date(START.getTime() + 30 * DAY_MS),
  windowSeconds: 30 * 86_400,
  mode: 'reached',
} as const;

const context = runContext();
const loadStarted = performance.now();
await withPopulation(
  'stage-funnel-scale',
  { projectId: PROJECT, customers: CUSTOMERS, touchpoints: TOUCHPOINTS, start: START, entryDays: 60 },
  async (ch, population, mergeSeconds) => {
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const tables = await (
      await ch.query({
        query: `SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, count() AS parts
          FROM system.parts WHERE active AND database = currentDatabase()
          GROUP BY table HAVING rows > 0 ORDER BY bytes DESC`,
        format: 'JSONEachRow',
      })
    ).json<{ table: string; rows: string; bytes: string; parts: string }>();
    const totalBytes = tables.reduce((sum, t) => sum + Number(t.bytes), 0);

    console.error('timing the reached funnel …');
    const counts = (await queryStageFunnel(ch, FUNNEL)).stages.map((stage) => stage.customers);
    const samples: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      await queryStageFunnel(ch, FUNNEL);
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    const p50 = percentile(samples, 0.5);
    const gb = (bytes: number) => `${fmt(bytes / 1024 ** 3, 2)} GB`;

    const lines = [
      `### Reached stage funnel at scale, ${fmt(population.touchpoints)} touchpoints / ${fmt(CUSTOMERS)} customers ` +
        `(${fmt(population.rawKeys)} raw keys, ${fmt(population.identityLinks)} identity links)`,
      '',
      `${context}. \`${commandLine()}\`. Cohort: entries in [${FUNNEL.from.toISOString().slice(0, 10)}, ` +
        `${FUNNEL.to.toISOString().slice(0, 10)}), window 30 days; one warm-up, then ${RUNS} runs.`,
      '',
      markdownTable(
        ['query', 'p50 ms', 'min ms', 'max ms'],
        [
          [
            '`queryStageFunnel` reached',
            fmt(p50),
            fmt(samples[0] ?? Number.NaN),
            fmt(samples.at(-1) ?? Number.NaN),
          ],
        ],
      ),
      '',
      `Customers at stage 1 … 7: ${counts.map((n) => fmt(n)).join(' / ')}. ` +
        `Target p50 ≤ ${fmt(TARGET_P50_MS)} ms: ${p50 <= TARGET_P50_MS ? 'met' : '**missed**'}.`,
      '',
      markdownTable(
        ['load', 's'],
        [
          [
            `touchpoint INSERTs (+ views), ${fmt(population.touchpoints / (population.insertMs / 1000))} rows/s`,
            fmt(population.insertMs / 1000, 1),
          ],
          ['`OPTIMIZE … FINAL` of the tables', fmt(mergeSeconds, 1)],
          ['whole load (generation, identities, merge)', fmt(loadSeconds, 1)],
        ],
      ),
      '',
      markdownTable(
        ['table', 'rows', 'parts', 'on disk'],
        [
          ...tables.map((t) => [t.table, fmt(Number(t.rows)), fmt(Number(t.parts)), gb(Number(t.bytes))]),
          ['all', '', '', gb(totalBytes)],
        ],
      ),
    ];
    console.log(lines.join('\n'));
  },
);
