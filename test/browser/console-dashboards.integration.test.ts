/// <reference lib="dom" />

import { seededRandom } from '@waymark/cli';
import { STAGE_NAMES } from '@waymark/journey';
import { type ReferenceTouchpoint, referenceStageFunnel } from '@waymark/testing';
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
import { DAY, HOUR, STAGE_EVENTS } from '../support/population.ts';
import {
  expectCleanPage,
  launchConsoleBrowser,
  openPage as openRecordedPage,
  poll,
  screenshot,
  seriousViolations,
  shownRows,
  signIn as signInAs,
} from './support/console-page.ts';

/*
 * Saved views, a dashboard of them and its share link in a real Chromium against the whole pipeline. Two
 * views are saved from their screens, a dashboard is built of them, and its share link is opened in a fresh
 * browser context without a session: the tiles' figures are checked against the reference stage funnel of
 * what this test sent (docs/analytics/stage-funnel.md, `reached` mode), read per day of entry for the trend,
 * ranked by drop-off for the bottlenecks; the retention cohorts (docs/analytics/kpis.md) and the segments by
 * furthest stage are read from the touchpoints sent. Every tile draws a chart above its table.
 * A revoked link then shows why it no longer opens.
 */

const stack = usePipeline();
let project: TestProject;
let browser: Browser;

const T0 = Date.UTC(2025, 4, 1);
const FROM = '2025-05-01';
const TO = '2025-05-08';
const PURCHASE = 5;

function generate(shoppers: number, seed: number) {
  const random = seededRandom(seed);
  const events: Record<string, unknown>[] = [];
  const touchpoints: ReferenceTouchpoint[] = [];
  for (let i = 0; i < shoppers; i++) {
    const key = `a:visitor-${i}`;
    let at = T0 + Math.floor(random() * 6.5 * DAY);
    let stage = 1;
    const steps = 1 + Math.floor(random() * 6);
    for (let s = 0; s < steps && stage <= 7; s++) {
      const messageId = `d${seed}-${i}-${s}`;
      events.push({
        type: 'track',
        event: STAGE_EVENTS[stage],
        anonymousId: key.slice(2),
        messageId,
        timestamp: new Date(at).toISOString(),
      });
      touchpoints.push({ projectId: '', messageId, rawKey: key, timestamp: at, stage });
      at += Math.floor(random() * 5 * HOUR);
      stage += random() < 0.7 ? 1 : 2;
    }
  }
  return { events, touchpoints };
}

const sent = generate(36, 11);
const funnel = referenceStageFunnel(sent.touchpoints, [], {
  projectId: '',
  from: T0,
  to: T0 + 7 * DAY,
  windowMs: 30 * DAY,
  mode: 'reached',
});

const count = (n: number) => n.toLocaleString('en-US');
const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

/** The funnel tile's rows: customers and share of the entered, per stage. */
const funnelRows = () => funnel.stages.map((s) => [count(s.customers), percent(s.conversionFromStart)]);

/** The trend tile's rows: per UTC day of entry (times[0] in reached mode), entered, purchased and their ratio. */
function trendRows(): string[][] {
  return Array.from({ length: 7 }, (_, day) => {
    const start = T0 + day * DAY;
    const cohort = [...funnel.customers.values()].filter(
      (t) => (t[0] as number) >= start && (t[0] as number) < start + DAY,
    );
    const purchased = cohort.filter((t) => t[PURCHASE - 1] !== null).length;
    return [
      count(cohort.length),
      count(purchased),
      percent(cohort.length === 0 ? 0 : purchased / cohort.length),
    ];
  });
}

/** The bottleneck tile's rows: steps into stages 2 … 7, by drop-off, then customers lost, then stage. */
function bottleneckRows(): string[][] {
  return funnel.stages
    .slice(1)
    .map((stage, i) => ({ ...stage, index: i + 2, from: funnel.stages[i]?.customers ?? 0 }))
    .sort(
      (a, b) => b.dropOff - a.dropOff || b.from - b.customers - (a.from - a.customers) || a.index - b.index,
    )
    .map((s) => [count(s.customers), percent(s.dropOff)]);
}

/** Each visitor's touchpoint times, in the order sent. */
const timesOf = () => {
  const times = new Map<string, number[]>();
  for (const t of sent.touchpoints) times.set(t.rawKey, [...(times.get(t.rawKey) ?? []), t.timestamp]);
  return [...times.values()];
};
const RETENTION_PERIODS = 3;

/**
 * The retention tile's rows: per UTC day of a first touchpoint, the cohort's size and the share of it with a
 * touchpoint on that day and each of the three after.
 */
function retentionRows(): string[][] {
  const visitors = timesOf();
  return Array.from({ length: 7 }, (_, day) => T0 + day * DAY).flatMap((start) => {
    const cohort = visitors.filter((times) => Math.floor((times[0] as number) / DAY) * DAY === start);
    if (cohort.length === 0) return [];
    const active = (k: number) =>
      cohort.filter((times) => times.some((t) => t >= start + k * DAY && t < start + (k + 1) * DAY)).length;
    return [
      [
        count(cohort.length),
        ...Array.from({ length: RETENTION_PERIODS + 1 }, (_, k) => percent(active(k) / cohort.length)),
      ],
    ];
  });
}

/** The segment tile's rows, by furthest stage ever (the stage names sorted, as ties have no order). */
function segmentRows(): string[][] {
  const furthest = new Map<string, number>();
  for (const t of sent.touchpoints) furthest.set(t.rawKey, Math.max(furthest.get(t.rawKey) ?? 0, t.stage));
  const sizes = new Map<string, number>();
  for (const stage of furthest.values()) {
    const name = STAGE_NAMES[stage - 1] as string;
    sizes.set(name, (sizes.get(name) ?? 0) + 1);
  }
  return [...sizes].map(([name, n]) => [name, count(n)]).sort();
}

const openPage = () => openRecordedPage(browser, stack.queryUrl);
const tileRows = (page: Page, name: string) => shownRows(page, `article[aria-label="${name}"] table.figures`);
/** Each row's heading and first figure, sorted: the segment tile's names and sizes. */
const tileSizes = (page: Page, name: string) =>
  page
    .$$eval(`article[aria-label="${name}"] table.figures tbody tr`, (rows) =>
      rows.map((row) => [
        row.querySelector('th')?.textContent ?? '',
        row.querySelector('td')?.textContent ?? '',
      ]),
    )
    .then((rows) => rows.sort());
/** The tiles that drew their chart: every one does, above its table. */
const drawnCharts = (page: Page) =>
  page.$$eval('.tiles article', (tiles) =>
    tiles.map(
      (tile) =>
        tile.querySelector('.tile-chart svg') !== null &&
        tile.querySelector('.tile-chart + .table-scroll') !== null,
    ),
  );
const tileNames = (page: Page) => page.$$eval('.tiles article h3', (h) => h.map((e) => e.textContent ?? ''));

const TILE_ORDER = [
  'Daily conversion',
  'Week funnel',
  'Daily retention',
  'Where they drop',
  'How far they got',
];

/** The retention, bottleneck and segment tiles show what was sent, and every tile has drawn its chart. */
async function expectNewKinds(page: Page) {
  await poll(() => tileRows(page, 'Daily retention')).toEqual(retentionRows());
  await poll(() => tileRows(page, 'Where they drop')).toEqual(bottleneckRows());
  await poll(() => tileSizes(page, 'How far they got')).toEqual(segmentRows());
  await poll(() => drawnCharts(page)).toEqual(TILE_ORDER.map(() => true));
}

async function saveView(page: Page, name: string) {
  await page.getByText('Save view', { exact: true }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Saved “${name}”` })
    .waitFor();
}

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  project = await createTestProject(stack.clickhouse, 'console-dashboards');
  await eventually(async () => {
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch: sent.events })).status).toBe(200);
  });
  await eventually(
    async () => {
      const { body } = await queryApi<{ entered: number }>(
        stack.queryUrl,
        project,
        'GET',
        `/funnel/stages?from=${FROM}&to=${TO}`,
      );
      expect(body.entered).toBe(funnel.entered);
    },
    { timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await browser?.close();
});

describe('dashboards and share links', () => {
  it('saves views of five screens, builds a dashboard, opens its share link without a session and revokes it', async () => {
    expect(funnel.entered).toBeGreaterThan(20);
    expect(funnel.stages[PURCHASE - 1]?.customers).toBeGreaterThan(0);
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/?from=${FROM}&to=${TO}&window=30d&mode=reached`);
    await signInAs(page, project);
    await saveView(page, 'Week funnel');
    await page.goto(
      `${stack.queryUrl}/trend?from=${FROM}&to=${TO}&window=30d&mode=reached&interval=day&timezone=UTC`,
    );
    await saveView(page, 'Daily conversion');
    await page.goto(
      `${stack.queryUrl}/retention?from=${FROM}&to=${TO}&interval=day&periods=${RETENTION_PERIODS}&timezone=UTC`,
    );
    await saveView(page, 'Daily retention');
    await page.goto(
      `${stack.queryUrl}/bottlenecks?from=${FROM}&to=${TO}&window=30d&compare=none&rank=dropOff`,
    );
    await saveView(page, 'Where they drop');
    await page.goto(`${stack.queryUrl}/customers`);
    await saveView(page, 'How far they got');

    await page.goto(`${stack.queryUrl}/dashboards`);
    await page.getByLabel('New dashboard').fill('Weekly review');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Weekly review' }).waitFor();
    for (const [view, width] of [
      ['Week funnel', 'One column'],
      ['Daily conversion', 'Two columns'],
      ['Daily retention', 'Two columns'],
      ['Where they drop', 'One column'],
      ['How far they got', 'One column'],
    ] as const) {
      await page.getByLabel('Saved view').selectOption({ label: view });
      await page.getByLabel('Width').selectOption({ label: width });
      await page.getByRole('button', { name: 'Add tile' }).click();
      await page.locator(`article[aria-label="${view}"]`).waitFor();
    }
    await poll(() => tileRows(page, 'Week funnel')).toEqual(funnelRows());
    await poll(() => tileRows(page, 'Daily conversion')).toEqual(trendRows());
    await expectNewKinds(page);
    await page.getByRole('button', { name: 'Move earlier: Daily conversion' }).click();
    await poll(() => tileNames(page)).toEqual(TILE_ORDER);
    await poll(() => tileRows(page, 'Week funnel')).toEqual(funnelRows());

    await page.getByLabel('Expires after').selectOption({ label: '7 days' });
    await page.getByRole('button', { name: 'Create share link' }).click();
    const link = page.getByLabel('Share link (shown once)');
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(new RegExp(`^${stack.queryUrl}/shared#[\\w-]+\\.[\\w-]+$`));
    await poll(() => shownRows(page, 'section.share-links table.figures')).toEqual([
      [expect.stringMatching(/UTC$/), 'active', 'Revoke'],
    ]);
    await screenshot(page, 'dashboards');
    expect(await seriousViolations(page)).toEqual([]);

    // A fresh context: no session, no API key, just the link.
    const viewer = await openPage();
    await viewer.page.goto(url);
    await viewer.page.getByRole('heading', { name: 'Weekly review', level: 1 }).waitFor();
    await poll(() => tileNames(viewer.page)).toEqual(TILE_ORDER);
    await poll(() => tileRows(viewer.page, 'Week funnel')).toEqual(funnelRows());
    await poll(() => tileRows(viewer.page, 'Daily conversion')).toEqual(trendRows());
    await expectNewKinds(viewer.page);
    expect(await viewer.page.getByRole('navigation').count()).toBe(0);
    expect(await viewer.page.getByLabel('API key').count()).toBe(0);
    await screenshot(viewer.page, 'shared-dashboard');
    expect(await seriousViolations(viewer.page)).toEqual([]);
    // On a phone the grid is one column and the tables scroll inside their tiles.
    const phone = await openRecordedPage(browser, stack.queryUrl, { width: 390, height: 844 });
    await phone.page.goto(url);
    await poll(() => tileRows(phone.page, 'Week funnel')).toEqual(funnelRows());
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(phone.page, 'shared-dashboard-phone');
    await phone.page.context().close();
    const token = url.split('#')[1] as string;
    // The token travels in headers only: no request URL carries it (the page's own address keeps it in the fragment).
    expect(viewer.seen.urls.filter((u) => u.includes(token) && !u.includes(`#${token}`))).toEqual([]);

    await page.getByRole('button', { name: /^Revoke/ }).click();
    await poll(() => shownRows(page, 'section.share-links table.figures')).toEqual([
      [expect.stringMatching(/UTC$/), 'revoked', ''],
    ]);
    await viewer.page.reload();
    const alert = viewer.page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.getByRole('heading').textContent()).toBe(
      'This share link is invalid, has expired or was revoked: ask for a new one',
    );
    expect(await alert.locator('p').textContent()).toBe('the link was revoked');
    await screenshot(viewer.page, 'shared-revoked');
    expect(await seriousViolations(viewer.page)).toEqual([]);

    expectCleanPage(seen, project);
    expect(viewer.seen.errors.filter((e) => !e.includes('401'))).toEqual([]);
    expect(viewer.seen.outside).toEqual([]);
  });

  it('reads a trend tile saved with a stage range at its stages by name', async () => {
    // The Trend screen has no stage-range fields: a view with one is saved from an edited URL.
    const range = `from=${FROM}&to=${TO}&window=30d&mode=reached&interval=day&timezone=UTC&fromStage=consideration&toStage=selection`;
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/trend?${range}`);
    await signInAs(page, project);
    await saveView(page, 'Mid-funnel conversion');
    await page.goto(`${stack.queryUrl}/dashboards`);
    await page.getByLabel('New dashboard').fill('Mid funnel');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Mid funnel' }).waitFor();
    await page.getByLabel('Saved view').selectOption({ label: 'Mid-funnel conversion' });
    await page.getByRole('button', { name: 'Add tile' }).click();

    const { status, body } = await queryApi<{
      periods: Array<{
        entered: number;
        stages: Array<{ stage: string; customers: number; conversionFromStart: number }>;
      }>;
    }>(stack.queryUrl, project, 'GET', `/funnel/stages/trend?${range}`);
    expect(status).toBe(200);
    const selection = body.periods.map((p) => p.stages.find((s) => s.stage === 'selection'));
    expect(body.periods[0]?.stages.map((s) => s.stage)).toEqual(['consideration', 'evaluation', 'selection']);
    expect(selection.reduce((sum, s) => sum + (s?.customers ?? 0), 0)).toBeGreaterThan(0);
    const tile = 'article[aria-label="Mid-funnel conversion"] table.figures';
    await poll(() => tileRows(page, 'Mid-funnel conversion')).toEqual(
      body.periods.map((p, i) => [
        count(p.entered),
        count(selection[i]?.customers ?? 0),
        percent(selection[i]?.conversionFromStart ?? 0),
      ]),
    );
    expect(await page.locator(`${tile} thead th`).allTextContents()).toEqual([
      'Entered in',
      'Entered',
      'Reached selection',
      'Conversion',
    ]);
    await screenshot(page, 'dashboard-stage-range-tile');
    expectCleanPage(seen, project);
  });
});
