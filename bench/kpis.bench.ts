/**
 * KPIs for a year by month (issue #14, item 4): queryKpis, which reads kpi_activity (decision 0036), against
 * the query it replaced, which merged every raw key's customer_profiles states (decision 0013), on the same
 * population in the same run, the two alternated so that load that comes and goes hits both.
 */
import { parseArgs } from 'node:util';
import { queryKpis } from '@waymark/clickhouse';
import { withPopulation } from './generate-population.ts';
import { commandLine, formatNumber as fmt, markdownTable, runContext } from './report.ts';

const { values: args } = parseArgs({
  options: {
    touchpoints: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '5' },
  },
});
const TOUCHPOINTS = Number(args.touchpoints);
const CUSTOMERS = Math.max(1, Math.round(TOUCHPOINTS / 10));
const RUNS = Number(args.runs);
const PROJECT = 'p_bench';
const FROM = new Date('2024-01-01T00:00:00Z');
const TO = new Date('2025-01-01T00:00:00Z');
// The previous query's range: a year and one month before the first month (its comparisons), to `to`.
const START_MS = Date.parse('2022-12-01T00:00:00Z');

/*
 * The previous figures query for months (kpis.query.ts before 0016), as it was: one row per identity-resolved
 * customer after merging its raw keys' profile states, then its months. Its periods query is the same as today's.
 */
const MONTH = (t: string) =>
  `makeDate32(toYear(toDate32(${t}, {timezone:String})), toMonth(toDate32(${t}, {timezone:String})), 1)`;
const PREVIOUS_SQL = `
WITH
  links AS (
    SELECT alias_key, argMax(customer_key, linked_at) AS linked_customer
    FROM identities WHERE project_id = {projectId:String} GROUP BY alias_key),
  customers AS (
    SELECT if(links.linked_customer = '', p.raw_key, links.linked_customer) AS customer,
      min(p.first_seen) AS first_seen,
      groupUniqArrayMerge(p.active_slots) AS slots,
      groupUniqArrayMerge(p.money) AS money_rows
    FROM customer_profiles AS p
    LEFT JOIN links ON links.alias_key = p.raw_key
    WHERE p.project_id = {projectId:String}
    GROUP BY customer
    HAVING max(p.last_seen) >= fromUnixTimestamp64Milli({startMs:Int64})
      AND first_seen < fromUnixTimestamp64Milli({toMs:Int64})),
  customer_periods AS (
    SELECT
      arrayDistinct(arrayMap(s -> ${MONTH('s')}, arrayFilter(
        s -> s >= fromUnixTimestamp64Milli({startMs:Int64}) AND s < fromUnixTimestamp64Milli({toMs:Int64}), slots))) AS periods,
      arrayMap(m -> (${MONTH('m.2')}, m.3, m.4), arrayMap(m -> (m.1, m.2, if(isFinite(m.3), least(greatest(m.3, -1e15), 1e15), 0), m.4),
        arrayMap(id -> arrayFirst(m -> m.1 = id, money_rows), arrayDistinct(arrayMap(m -> m.1, money_rows))))) AS money,
      if(first_seen >= fromUnixTimestamp64Milli({startMs:Int64}), ${MONTH('first_seen')}, NULL) AS new_period
    FROM customers)
SELECT toString(period) AS period_key, count() AS active, countIf(period = new_period) AS new_customers,
  countIf(orders > 0) AS purchasers, sum(orders) AS period_orders, sum(revenue) AS period_revenue,
  countIf(orders > 0 AND lifetime_orders >= 2) AS repeat_purchasers
FROM (
  SELECT period, new_period,
    arrayCount(m -> m.1 = period AND m.3 = 1, money) AS orders,
    arraySum(m -> if(m.1 = period, m.2, 0), money) AS revenue,
    arrayCount(m -> m.1 <= period AND m.3 = 1, money) AS lifetime_orders
  FROM customer_periods ARRAY JOIN periods AS period)
GROUP BY period ORDER BY period`;

await withPopulation(
  'kpis',
  { projectId: PROJECT, customers: CUSTOMERS, touchpoints: TOUCHPOINTS, start: FROM, entryDays: 60 },
  async (ch, population) => {
    const previous = (timezone: string) => async () =>
      (
        await ch.query({
          query: PREVIOUS_SQL,
          format: 'JSONEachRow',
          query_params: { projectId: PROJECT, timezone, startMs: START_MS, toMs: TO.getTime() },
        })
      ).json<{ period_key: string; active: string }>();
    const current = (timezone: string) => () =>
      queryKpis(ch, { projectId: PROJECT, from: FROM, to: TO, interval: 'month', timezone });

    // The same active customers per month from both, before timing them.
    const months = (await previous('UTC')()).map((r) => [r.period_key, Number(r.active)]);
    const now = (await current('UTC')())
      .map((p) => [p.start.slice(0, 10), p.kpis.activeCustomers])
      .filter(([, active]) => active !== 0);
    if (JSON.stringify(months) !== JSON.stringify(now)) {
      throw new Error(`the two queries disagree: ${JSON.stringify(months)} vs ${JSON.stringify(now)}`);
    }

    const cases: Array<[string, () => Promise<unknown>, () => Promise<unknown>]> = [
      ['UTC', previous('UTC'), current('UTC')],
      ['Asia/Kathmandu (+5:45)', previous('Asia/Kathmandu'), current('Asia/Kathmandu')],
    ];
    const rows: string[][] = [];
    for (const [zone, before, after] of cases) {
      await before();
      await after();
      const samples = { before: [] as number[], after: [] as number[] };
      for (let i = 0; i < RUNS; i++) {
        for (const [side, run] of [
          ['before', before],
          ['after', after],
        ] as const) {
          const started = performance.now();
          await run();
          samples[side].push(performance.now() - started);
        }
      }
      const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      const min = (values: number[]) => Math.min(...values);
      rows.push(
        [
          `${zone}: previous query (customer_profiles)`,
          fmt(p50(samples.before)),
          fmt(min(samples.before)),
          '1.00×',
        ],
        [
          `${zone}: queryKpis (kpi_activity)`,
          fmt(p50(samples.after)),
          fmt(min(samples.after)),
          `${fmt(p50(samples.after) / p50(samples.before), 2)}×`,
        ],
      );
    }
    console.log(
      [
        `### KPIs for a year by month, ${fmt(population.touchpoints)} touchpoints / ${fmt(CUSTOMERS)} customers ` +
          `(${fmt(population.rawKeys)} raw keys, ${fmt(population.identityLinks)} identity links)`,
        '',
        `${runContext()}. \`${commandLine()}\`; ${RUNS} alternated warm runs after one warm-up. The periods query ` +
          '(a few ms) is left out of the previous side; the queryKpis side includes it.',
        '',
        markdownTable(['query', 'p50 ms', 'min ms', 'time ratio to the previous query'], rows),
      ].join('\n'),
    );
  },
);
