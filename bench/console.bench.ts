/// <reference lib="dom" />

/**
 * The console's budgets (issue #12): the first screen's JavaScript (≤ 300 KB gzip; the other screens load
 * lazily) and the time from navigation to the Journey screen's numbers in a real Chromium against the query
 * service over a generated population (≤ 1 s on 10M touchpoints / 1M customers). The baseline, measured in
 * the same run, is the stage funnel request alone from Node, so the ratio is what the console adds.
 *
 *   pnpm --filter @waymark/console build && pnpm exec tsx bench/console.bench.ts [--touchpoints 10000000]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { hashApiKey } from '@waymark/clickhouse';
import { buildQueryApp, loadQueryEnv, webhooksFromEnv } from '@waymark/query';
import { TEST_WEBHOOK_ENV, testLogger } from '@waymark/testing';
import { launchChromium } from '../test/browser/support/chromium.ts';
import { withPopulation } from './generate-population.ts';
import { commandLine, formatNumber as fmt, markdownTable, percentile, runContext } from './report.ts';

const { values: args } = parseArgs({
  options: {
    touchpoints: { type: 'string', default: '10000000' },
    customers: { type: 'string' },
    runs: { type: 'string', default: '9' },
  },
});
const TOUCHPOINTS = Number(args.touchpoints);
const CUSTOMERS = Number(args.customers ?? Math.max(1, Math.round(TOUCHPOINTS / 10)));
const RUNS = Number(args.runs);
const FIRST_SCREEN_BUDGET = 300 * 1024;
const PROJECT = 'p_bench';
const API_KEY = 'sk_bench';
const START = new Date('2024-01-01T00:00:00Z');
const RANGE = 'from=2024-01-01&to=2024-01-31&window=30d&mode=reached';
const DIST = fileURLToPath(new URL('../packages/console/dist', import.meta.url));

/** gzip -9 sizes of what index.html loads at once (entry and preloads) and of the lazy chunks. */
function bundleSizes() {
  const index = readFileSync(join(DIST, 'index.html'), 'utf8');
  const eager = new Set(
    [...index.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1] as string),
  );
  const size = (name: string) => gzipSync(readFileSync(join(DIST, 'assets', name)), { level: 9 }).length;
  const chunks = readdirSync(join(DIST, 'assets')).filter((name) => name.endsWith('.js'));
  const sum = (names: string[]) => names.reduce((total, name) => total + size(name), 0);
  return {
    first: sum(chunks.filter((n) => eager.has(n))),
    lazy: chunks.filter((n) => !eager.has(n)).map((n) => ({ name: n, bytes: size(n) })),
  };
}

const bundle = bundleSizes();

await withPopulation(
  'console',
  { projectId: PROJECT, customers: CUSTOMERS, touchpoints: TOUCHPOINTS, start: START, entryDays: 60 },
  async (ch, population) => {
    const app = buildQueryApp({
      logger: testLogger('bench'),
      clickhouse: ch,
      webhooks: webhooksFromEnv(loadQueryEnv(TEST_WEBHOOK_ENV)),
      apiKeyOwners: () => [{ projectId: PROJECT, apiKeyHash: hashApiKey(API_KEY) }],
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const browser = await launchChromium();
    try {
      const api = async () => {
        const started = performance.now();
        const response = await fetch(`${url}/v1/projects/${PROJECT}/funnel/stages?${RANGE}`, {
          headers: { authorization: `Bearer ${API_KEY}` },
        });
        if (!response.ok) throw new Error(`funnel: ${response.status} ${await response.text()}`);
        await response.json();
        return performance.now() - started;
      };
      // One context for every run, as a returning analyst's browser: the hashed assets are cached.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript(
        ({ projectId, apiKey }) =>
          sessionStorage.setItem('waymark.session', JSON.stringify({ projectId, apiKey })),
        { projectId: PROJECT, apiKey: API_KEY },
      );
      const page = await context.newPage();
      const screen = async () => {
        await page.goto('about:blank');
        const started = performance.now();
        await page.goto(`${url}/?${RANGE}`);
        await page.waitForFunction(
          () => document.querySelectorAll('table.figures tbody tr').length === 7,
          null,
          {
            timeout: 60_000,
            polling: 'raf',
          },
        );
        return performance.now() - started;
      };
      console.error('timing …');
      await api();
      await screen();
      const apiMs: number[] = [];
      const screenMs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        apiMs.push(await api());
        screenMs.push(await screen());
      }
      apiMs.sort((a, b) => a - b);
      screenMs.sort((a, b) => a - b);
      const row = (name: string, ms: number[]) => [
        name,
        fmt(percentile(ms, 0.5)),
        fmt(percentile(ms, 0.9)),
        fmt(ms[0] as number),
      ];
      console.log(
        `### Console, ${fmt(population.touchpoints)} touchpoints / ${fmt(population.customers)} customers\n\n` +
          `${runContext()}; \`${commandLine()}\`\n\n` +
          markdownTable(
            ['first screen JavaScript (gzip -9)', 'budget', 'lazy chunks'],
            [
              [
                `${fmt(bundle.first / 1024)} KB`,
                `${fmt(FIRST_SCREEN_BUDGET / 1024)} KB`,
                bundle.lazy.map((c) => `${c.name} ${fmt(c.bytes / 1024, 1)} KB`).join(', ') || 'none',
              ],
            ],
          ) +
          '\n\n' +
          markdownTable(
            ['ms, reached funnel over a 30-day cohort', 'p50', 'p90', 'min'],
            [
              row('`GET /funnel/stages` from Node (baseline)', apiMs),
              row('Journey screen: navigation → numbers', screenMs),
            ],
          ) +
          `\n\nratio screen ÷ API (p50): ${fmt(percentile(screenMs, 0.5) / percentile(apiMs, 0.5), 2)}; budget 1,000 ms p50 on 10M touchpoints.\n`,
      );
      await context.close();
    } finally {
      await browser.close();
      await app.close();
    }
  },
);
