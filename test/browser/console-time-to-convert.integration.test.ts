/// <reference lib="dom" />

import type { getStageFunnel, postCustomFunnel, RouteResponse } from '@waymark/api-contract';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  type TestProject,
  usePipeline,
} from '../support/pipeline.ts';
import { DAY, HOUR, MINUTE, STAGE_EVENTS } from '../support/population.ts';
import {
  downloadCsv,
  expectCleanPage,
  launchConsoleBrowser,
  openPage as openRecordedPage,
  poll,
  readCsv,
  screenshot,
  seriousViolations,
  shownRows,
  signIn,
} from './support/console-page.ts';

/*
 * The time-to-convert histogram on the Journey and the custom funnel screen, in a real Chromium against the
 * whole pipeline. Shoppers go from one step to the next after planted times (40 s, 2 min, 3 h, 2 days, …);
 * the histogram the test expects is counted here from those times with the bucket edges of
 * docs/analytics/custom-funnels.md#time-to-convert, and the bars, their labels and the table on screen must
 * equal it and the API's answer.
 */

const stack = usePipeline();
let browser: Browser;
let journeyShop: TestProject;
let funnelShop: TestProject;

const SECOND = 1000;
const T0 = Date.UTC(2025, 7, 4);
const FROM = '2025-08-04';
const TO = '2025-08-11';
const VIEW = `from=${FROM}&to=${TO}&window=30d&mode=reached`;

/** The documented edges up to the 30-day window, in seconds, and as the console names them. */
const EDGES = [0, 60, 300, 900, 3600, 21_600, 86_400, 3 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400];
const EDGE_NAMES = ['0s', '1m', '5m', '15m', '1h', '6h', '1d', '3d', '7d', '14d', '30d'];

interface Bucket {
  fromSeconds: number;
  toSeconds: number;
  customers: number;
}

/** Every bucket of the window, each counting the times in [from, to); the last one includes the window. */
function histogram(times: readonly number[]): Bucket[] {
  return EDGES.slice(0, -1).map((fromSeconds, i) => {
    const toSeconds = EDGES[i + 1] as number;
    const last = i === EDGES.length - 2;
    return {
      fromSeconds,
      toSeconds,
      customers: times.filter(
        (ms) => ms / SECOND >= fromSeconds && (ms / SECOND < toSeconds || (last && ms / SECOND <= toSeconds)),
      ).length,
    };
  });
}

/** The buckets the screen shows: from the first with customers to the last, the empty ones between kept. */
function shown(buckets: readonly Bucket[]): Bucket[] {
  const counted = buckets.flatMap((b, i) => (b.customers > 0 ? [i] : []));
  return buckets.slice(counted[0], (counted.at(-1) ?? -1) + 1);
}

const name = (b: Bucket) =>
  `${EDGE_NAMES[EDGES.indexOf(b.fromSeconds)]}–${EDGE_NAMES[EDGES.indexOf(b.toSeconds)]}`;
const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The table's rows as the test expects them: the bucket, its customers and its share of the step. */
function expectedRows(buckets: readonly Bucket[]): string[][] {
  const total = buckets.reduce((sum, b) => sum + b.customers, 0);
  return shown(buckets).map((b) => [name(b), String(b.customers), percent(b.customers / total)]);
}

/** Numpy's default percentile (linear between closest ranks), in whole seconds as the screen writes it. */
function quantile(times: readonly number[], q: number): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = sorted[Math.floor(at)] as number;
  const high = sorted[Math.ceil(at)] as number;
  return `PT${Math.round((low + (high - low) * (at - Math.floor(at))) / SECOND)}S`;
}

/** Shoppers in groups: how many, and the time each took into each step after the first (null: stopped). */
type Plan = ReadonlyArray<{ shoppers: number; gaps: ReadonlyArray<number | null> }>;

/** The Journey's shoppers: discovery, consideration, evaluation, selection, purchase. */
const JOURNEY_PLAN: Plan = [
  { shoppers: 5, gaps: [40 * SECOND, 7 * MINUTE, 7 * MINUTE, 2 * MINUTE] },
  { shoppers: 4, gaps: [20 * MINUTE, 7 * MINUTE, 7 * MINUTE, 3 * HOUR] },
  { shoppers: 3, gaps: [40 * SECOND, 7 * MINUTE, 7 * MINUTE, 2 * DAY] },
  { shoppers: 3, gaps: [20 * MINUTE, 7 * MINUTE, 7 * MINUTE, null] },
];

/** The custom funnel's shoppers: trial started, plan chosen, invoice paid. */
const FUNNEL_STEPS = ['Trial Started', 'Plan Chosen', 'Invoice Paid'] as const;
const FUNNEL_PLAN: Plan = [
  { shoppers: 3, gaps: [40 * SECOND, 2 * MINUTE] },
  { shoppers: 4, gaps: [10 * MINUTE, 2 * DAY] },
  { shoppers: 2, gaps: [5 * HOUR, null] },
  { shoppers: 2, gaps: [null, null] },
];

/** Each shopper's touchpoints through the collector, entering every few hours in the range, and the gaps. */
function plant(plan: Plan, events: readonly string[], prefix: string) {
  const batch: Record<string, unknown>[] = [];
  const gaps: Array<ReadonlyArray<number | null>> = [];
  for (const group of plan) {
    for (let n = 0; n < group.shoppers; n++) {
      const shopper = gaps.length;
      let at = T0 + shopper * 5 * HOUR;
      const send = (step: number) =>
        batch.push({
          type: 'track',
          event: events[step],
          anonymousId: `${prefix}-${shopper}`,
          messageId: `${prefix}-${shopper}-${step}`,
          timestamp: new Date(at).toISOString(),
        });
      send(0);
      for (const [k, gap] of group.gaps.entries()) {
        if (gap === null) break;
        at += gap;
        send(k + 1);
      }
      gaps.push(group.gaps);
    }
  }
  return {
    batch,
    /** The times into step k + 1 (k ≥ 1) of the shoppers who got there. */
    timesInto: (k: number) =>
      gaps.flatMap((g) => (g.slice(0, k).every((gap) => gap !== null) ? [g[k - 1] as number] : [])),
  };
}

const journey = plant(JOURNEY_PLAN, STAGE_EVENTS.slice(1, 6), 'journey');
const funnel = plant(FUNNEL_PLAN, FUNNEL_STEPS, 'funnel');
/** Into purchase (stage 5) and consideration (stage 2); into plan chosen (step 2) and invoice paid (step 3). */
const INTO_PURCHASE = journey.timesInto(4);
const INTO_CONSIDERATION = journey.timesInto(1);
const INTO_PLAN = funnel.timesInto(1);
const INTO_INVOICE = funnel.timesInto(2);

/**
 * The chart as drawn, left to right: the buckets named under the axis, the counts written above the columns
 * and the columns' heights in pixels (an empty bucket has none). By order, not position: on a narrow screen
 * the names are slanted.
 */
function drawnColumns(page: Page, section: string) {
  return page.locator(`${section} .time-to-convert-chart svg`).evaluate((svg) => {
    const boxed = (e: Element) => ({ text: e.textContent ?? '', box: e.getBoundingClientRect() });
    const byLeft = <T extends { box: DOMRect }>(items: T[]) => items.sort((a, b) => a.box.left - b.box.left);
    // The columns are the wide shapes; the axis and grid lines have no height.
    const columns = byLeft(
      Array.from(svg.querySelectorAll('path'), boxed).filter((p) => p.box.width > 4 && p.box.height > 0),
    );
    const axis = Math.max(...columns.map((c) => c.box.bottom));
    const left = Math.min(...columns.map((c) => c.box.left));
    const texts = Array.from(svg.querySelectorAll('text'), boxed);
    return {
      names: byLeft(texts.filter((t) => t.box.top >= axis - 1 && t.text.includes('–'))).map((t) => t.text),
      // The value axis's figures are left of the first column.
      counts: byLeft(
        texts.filter((t) => t.box.bottom <= axis + 1 && t.box.left >= left - 8 && /^\d+$/.test(t.text)),
      ).map((t) => t.text),
      heights: columns.map((c) => c.box.height),
    };
  });
}

/** The columns name the expected buckets, write their counts, and are as tall as their counts. */
async function expectColumns(page: Page, section: string, buckets: readonly Bucket[]) {
  const expected = shown(buckets);
  await poll(async () => {
    const { names, counts } = await drawnColumns(page, section);
    return { names, counts };
  }).toEqual({ names: expected.map(name), counts: expected.map((b) => String(b.customers)) });
  const { heights } = await drawnColumns(page, section);
  const counted = expected.map((b) => b.customers).filter((n) => n > 0);
  expect(heights).toHaveLength(counted.length);
  const perCustomer = Math.max(...heights) / Math.max(...counted);
  for (const [i, height] of heights.entries()) {
    expect(Math.abs(height - (counted[i] as number) * perCustomer)).toBeLessThanOrEqual(1);
  }
}

const rowEdges = (page: Page) =>
  page.$$eval('table.time-to-convert-figures tbody tr', (rows) =>
    rows.map((row) => [Number(row.getAttribute('data-from')), Number(row.getAttribute('data-to'))]),
  );
const stepSelect = (page: Page) => page.getByRole('combobox', { name: 'Step', exact: true });
const url = (page: Page) => new URL(page.url()).searchParams;

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  journeyShop = await createTestProject(stack.clickhouse, 'console-time-to-convert');
  funnelShop = await createTestProject(stack.clickhouse, 'console-time-to-convert-funnel');
  for (const [shop, planted] of [
    [journeyShop, journey],
    [funnelShop, funnel],
  ] as const) {
    await eventually(async () => {
      expect((await postBatch(stack.collectorUrl, shop.writeKey, { batch: planted.batch })).status).toBe(200);
    });
  }
  await eventually(
    async () => {
      const { body } = await queryApi<RouteResponse<typeof getStageFunnel>>(
        stack.queryUrl,
        journeyShop,
        'GET',
        `/funnel/stages?${VIEW}`,
      );
      expect(body.stages.find((s) => s.stage === 'purchase')?.customers).toBe(INTO_PURCHASE.length);
      const { body: events } = await queryApi<{ events: Array<{ touchpoints: number }> }>(
        stack.queryUrl,
        funnelShop,
        'GET',
        `/events?from=${FROM}&to=${TO}`,
      );
      expect(events.events.reduce((sum, e) => sum + e.touchpoints, 0)).toBe(funnel.batch.length);
    },
    { timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await browser?.close();
});

describe('the time-to-convert histogram', () => {
  it('shows the purchase histogram on the Journey, another stage from the URL, and keeps it there', async () => {
    expect(INTO_PURCHASE.length).toBe(12);
    const { body } = await queryApi<RouteResponse<typeof getStageFunnel>>(
      stack.queryUrl,
      journeyShop,
      'GET',
      `/funnel/stages?${VIEW}`,
    );
    const api = (stage: string) => body.stages.find((s) => s.stage === stage)?.timeToConvert;
    // The API's histogram is the one counted from the planted times.
    expect(api('purchase')).toEqual(histogram(INTO_PURCHASE));
    expect(api('consideration')).toEqual(histogram(INTO_CONSIDERATION));

    const { page, seen } = await openRecordedPage(browser, stack.queryUrl);
    await page.goto(`${stack.queryUrl}/?${VIEW}`);
    await signIn(page, journeyShop);
    const section = page.getByRole('region', { name: 'Time to convert', exact: true });
    await section.waitFor();
    // Purchase by default: 2 min, 3 h and 2 days, the empty buckets between them kept.
    expect(await stepSelect(page).inputValue()).toBe('purchase');
    expect(await stepSelect(page).locator('option').allTextContents()).toEqual([
      'discovery → consideration',
      'consideration → evaluation',
      'evaluation → selection',
      'selection → purchase',
      'purchase → use',
      'use → advocacy',
    ]);
    const rows = expectedRows(histogram(INTO_PURCHASE));
    expect(rows.map((r) => r[0])).toEqual(['1m–5m', '5m–15m', '15m–1h', '1h–6h', '6h–1d', '1d–3d']);
    expect(expectedRows(api('purchase') ?? [])).toEqual(rows);
    const shownTable = async () => {
      const buckets = await section.locator('tbody th').allTextContents();
      return (await shownRows(page, 'table.time-to-convert-figures')).map((cells, i) => [
        buckets[i],
        ...cells,
      ]);
    };
    await poll(shownTable).toEqual(rows);
    expect(await rowEdges(page)).toEqual(
      shown(histogram(INTO_PURCHASE)).map((b) => [b.fromSeconds, b.toSeconds]),
    );
    await expectColumns(page, '.time-to-convert', histogram(INTO_PURCHASE));
    const summary = section.locator('p.summary');
    expect(await summary.textContent()).toContain('12 customers went from selection to purchase');
    expect(
      await summary.locator('time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime'))),
    ).toEqual([quantile(INTO_PURCHASE, 0.5), quantile(INTO_PURCHASE, 0.9)]);
    // The CSV has the exact figures.
    const csv = await downloadCsv(page, 'Time to convert table');
    expect(csv.name).toBe('journey-time-to-convert-table.csv');
    expect(readCsv(csv.text)).toEqual([
      ['Time', 'Customers', 'Share'],
      ...shown(histogram(INTO_PURCHASE)).map((b) => [name(b), String(b.customers), String(b.customers / 12)]),
    ]);
    await screenshot(page, 'journey-time-to-convert');
    expect(await seriousViolations(page)).toEqual([]);

    // Choosing a stage puts it in the URL and leaves the page where it was.
    const scrolled = await page.evaluate(() => window.scrollY);
    expect(scrolled).toBeGreaterThan(0);
    await stepSelect(page).selectOption('consideration');
    await poll(() => url(page).get('convert')).toBe('consideration');
    await poll(shownTable).toEqual(expectedRows(histogram(INTO_CONSIDERATION)));
    expect(await page.evaluate(() => window.scrollY)).toBe(scrolled);
    await expectColumns(page, '.time-to-convert', histogram(INTO_CONSIDERATION));

    // The funnel's controls keep the chosen stage, and the link opens it afresh.
    await page.getByRole('combobox', { name: 'Mode' }).selectOption('ordered');
    await poll(() => url(page).get('mode')).toBe('ordered');
    expect(url(page).get('convert')).toBe('consideration');
    await page.goto(page.url());
    await poll(shownTable).toEqual(expectedRows(histogram(INTO_CONSIDERATION)));
    expect(await stepSelect(page).inputValue()).toBe('consideration');
    // A saved view keeps it: the stage funnel's route, which refuses unknown parameters, never sees it.
    await page.getByText('Save view', { exact: true }).click();
    await page.getByLabel('Name').fill('Consideration time');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved “Consideration time”' }).waitFor();
    expectCleanPage(seen, journeyShop);
    await page.context().close();
  });

  it('shows a custom funnel step’s histogram, the first step with customers by default', async () => {
    const definition = {
      steps: FUNNEL_STEPS.map((value) => ({ kind: 'event', value, properties: [] })),
      order: 'ordered',
      window: '30d',
      exclusions: [],
      breakdown: '',
    };
    const { page, seen } = await openRecordedPage(browser, stack.queryUrl);
    const asked = page.waitForRequest((request) => request.url().endsWith('/funnels'));
    await page.goto(
      `${stack.queryUrl}/funnels?${new URLSearchParams({ from: FROM, to: TO, funnel: JSON.stringify(definition) })}`,
    );
    await signIn(page, funnelShop);
    const { status, body } = await queryApi<RouteResponse<typeof postCustomFunnel>>(
      stack.queryUrl,
      funnelShop,
      'POST',
      '/funnels',
      { body: (await asked).postDataJSON() },
    );
    expect(status).toBe(200);
    expect(body.steps.map((s) => s.timeToConvert)).toEqual([
      null,
      histogram(INTO_PLAN),
      histogram(INTO_INVOICE),
    ]);

    const section = page.getByRole('region', { name: 'Time to convert', exact: true });
    await section.waitFor();
    expect(await stepSelect(page).inputValue()).toBe('2');
    expect(await stepSelect(page).locator('option').allTextContents()).toEqual([
      `1. ${FUNNEL_STEPS[0]} → 2. ${FUNNEL_STEPS[1]}`,
      `2. ${FUNNEL_STEPS[1]} → 3. ${FUNNEL_STEPS[2]}`,
    ]);
    const shownTable = () => shownRows(page, 'table.time-to-convert-figures');
    const figures = (buckets: readonly Bucket[]) => expectedRows(buckets).map((r) => r.slice(1));
    await poll(shownTable).toEqual(figures(histogram(INTO_PLAN)));
    expect(figures(body.steps[1]?.timeToConvert ?? [])).toEqual(figures(histogram(INTO_PLAN)));
    expect(await section.locator('tbody th').allTextContents()).toEqual([
      '0s–1m',
      '1m–5m',
      '5m–15m',
      '15m–1h',
      '1h–6h',
    ]);
    await expectColumns(page, '.time-to-convert', histogram(INTO_PLAN));
    await screenshot(page, 'funnels-time-to-convert');
    expect(await seriousViolations(page)).toEqual([]);

    await stepSelect(page).selectOption('3');
    await poll(() => url(page).get('convert')).toBe('3');
    await poll(shownTable).toEqual(figures(histogram(INTO_INVOICE)));
    expect(await section.locator('p.summary').textContent()).toContain(
      `${INTO_INVOICE.length} customers went from 2. ${FUNNEL_STEPS[1]} to 3. ${FUNNEL_STEPS[2]}`,
    );
    await expectColumns(page, '.time-to-convert', histogram(INTO_INVOICE));

    // The link is the view: on a phone in dark mode, the same step and figures, in the screen's width.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await poll(shownTable).toEqual(figures(histogram(INTO_INVOICE)));
    await expectColumns(page, '.time-to-convert', histogram(INTO_INVOICE));
    // The section fits the screen: its chart and the table's scroll region inside it.
    expect(
      await section.evaluate((e) => [e.scrollWidth <= e.clientWidth, e.getBoundingClientRect().right <= 390]),
    ).toEqual([true, true]);
    await screenshot(page, 'funnels-time-to-convert-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, funnelShop);
    await page.context().close();
  });
});
