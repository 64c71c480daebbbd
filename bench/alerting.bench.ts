import { parseArgs } from 'node:util';
import { evaluateAlertRule, queryStageFunnel } from '@waymark/clickhouse';
import { AlertRule, DEFAULT_CUSTOMER_MODEL } from '@waymark/journey';
import { simulateNoise } from '../packages/journey/src/alerting/noise.fixture.ts';
import { withPopulation } from './generate-population.ts';
import { formatNumber as fmt, timeRuns } from './report.ts';

const { values: args } = parseArgs({
  options: {
    touchpoints: { type: 'string', default: process.env.WAYMARK_BENCH_TOUCHPOINTS ?? '10000000' },
    runs: { type: 'string', default: '7' },
    'noise-windows': { type: 'string', default: '20000' },
  },
});
const TOUCHPOINTS = Number(args.touchpoints);
const CUSTOMERS = Math.max(1, Math.round(TOUCHPOINTS / 10));
const RUNS = Number(args.runs);
const NOISE_WINDOWS = Number(args['noise-windows']);
const PROJECT = 'p_bench';
const START = new Date('2024-01-01T00:00:00Z');
const DAY_MS = 86_400_000;
const COHORT = { from: START, to: new Date(START.getTime() + 30 * DAY_MS) };
// A slot late enough that four weeks of baseline lie inside the generated data.
const SLOT = START.getTime() + 45 * DAY_MS + 14 * 3_600_000;

const RULES: Array<[string, unknown]> = [
  [
    'stage_conversion_drop selection → purchase, 1h, same weekday × 4, by device',
    { kind: 'stage_conversion_drop', name: 'b', from: 'selection', to: 'purchase', breakdown: 'device' },
  ],
  [
    'stage_conversion_drop, 1d, trailing 6 windows',
    {
      kind: 'stage_conversion_drop',
      name: 'b',
      from: 'selection',
      to: 'purchase',
      window: '1d',
      baseline: { type: 'trailing', windows: 6 },
    },
  ],
  [
    'kpi_threshold orders, 1h',
    { kind: 'kpi_threshold', name: 'b', metric: 'orders', operator: 'below', value: 1 },
  ],
  [
    'volume_anomaly purchase touchpoints, 1h, same weekday × 4',
    { kind: 'volume_anomaly', name: 'b', stage: 'purchase' },
  ],
  ['complaint_surge, 1d, same weekday × 4', { kind: 'complaint_surge', name: 'b' }],
  ['churn_risk, 1d', { kind: 'churn_risk', name: 'b' }],
];

const noiseLines = () => {
  const lines = [
    `False positives of the stage_conversion_drop defaults (minRelativeDrop 0.25, significance 0.0001 ` +
      `Bonferroni-divided, minSample 100, resolveAfter 3, cooldown 1h; breakdown into 3 segments; baseline = ` +
      `median of 4 independent windows) on ${fmt(NOISE_WINDOWS)} windows of pure binomial noise at a steady 30% conversion:`,
    '',
    '| customers per segment per window | breaching evaluations | rate per evaluation | incidents opened |',
    '|---:|---:|---:|---:|',
  ];
  for (const size of [100, 200, 500, 2000]) {
    const { breaches, incidents } = simulateNoise({
      windows: NOISE_WINDOWS,
      customersPerSegment: size,
      segments: 3,
      rate: 0.3,
      seed: size,
    });
    lines.push(`| ${size} | ${breaches} | ${(breaches / NOISE_WINDOWS).toExponential(1)} | ${incidents} |`);
  }
  return lines;
};

await withPopulation(
  'alerting',
  { projectId: PROJECT, customers: CUSTOMERS, touchpoints: TOUCHPOINTS, start: START, entryDays: 60 },
  async (ch, population) => {
    console.error('timing …');
    const funnel = await timeRuns(
      () => queryStageFunnel(ch, { projectId: PROJECT, ...COHORT, windowSeconds: 30 * 86_400 }),
      RUNS,
    );
    const rows: string[] = [];
    for (const [label, input] of RULES) {
      const rule = AlertRule.parse(input);
      const evaluate = () =>
        evaluateAlertRule(ch, {
          projectId: PROJECT,
          rule,
          slotEndMs: SLOT,
          customerModel: async () => DEFAULT_CUSTOMER_MODEL,
        });
      const { outcome } = await evaluate();
      const t = await timeRuns(evaluate, RUNS);
      rows.push(
        `| ${label} | ${fmt(t.p50)} | ${fmt(t.min)} | ${fmt(t.p50 / funnel.p50, 2)} | ${outcome.status} |`,
      );
    }
    const [{ version } = { version: '?' }] = await (
      await ch.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })
    ).json<{ version: string }>();
    console.log(
      [
        `### Alerting, ${fmt(population.touchpoints)} touchpoints / ${fmt(CUSTOMERS)} customers, chDB ${version}`,
        '',
        `One evaluation = one rule, one slot (${new Date(SLOT).toISOString()}), current window and all baseline ` +
          `windows in one query; ${RUNS} warm runs after one warm-up. Baseline: \`queryStageFunnel\` (reached, 30-day ` +
          'window, cohort of 30 days) on the same data in the same run.',
        '',
        '| rule | p50 ms | min ms | ratio to stage funnel | outcome |',
        '|---|---:|---:|---:|---|',
        `| \`queryStageFunnel\` (baseline) | ${fmt(funnel.p50)} | ${fmt(funnel.min)} | 1.00 | |`,
        ...rows,
        '',
        ...noiseLines(),
      ].join('\n'),
    );
  },
);
