/// <reference lib="dom" />

import type { getStageFunnelWhyDrop, RouteResponse } from '@waymark/api-contract';
import { seededRandom } from '@waymark/cli';
import type { EntryFilters } from '@waymark/journey';
import { type ReferenceFunnel, type ReferenceTouchpoint, referenceStageFunnel } from '@waymark/testing';
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
 * The Journey screen's entry filters, breakdown and previous period in a real Chromium against the whole
 * pipeline: shoppers with campaign fields go through the collector, in the range and in the week before it,
 * and the tables must show what the reference implementation computes from what was sent.
 */

const stack = usePipeline();
let project: TestProject;
let browser: Browser;

const T0 = Date.UTC(2025, 4, 1);
const FROM = '2025-05-01';
const TO = '2025-05-08';
const VIEW = `from=${FROM}&to=${TO}&window=30d&mode=reached`;
const SOURCES = ['google', 'newsletter', 'facebook', 'bing'];

/** Shoppers entering within six days after `start`, every touchpoint carrying the shopper's campaign. */
function generate(shoppers: number, seed: number, start: number, campaign = (_shopper: number) => 'spring') {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const events: Record<string, unknown>[] = [];
  const touchpoints: ReferenceTouchpoint[] = [];
  for (let i = 0; i < shoppers; i++) {
    const source = pick(SOURCES);
    const medium = source === 'newsletter' ? 'email' : 'cpc';
    let at = start + Math.floor(random() * 6 * DAY);
    let stage = random() < 0.8 ? 1 : pick([2, 3]);
    const steps = 1 + Math.floor(random() * 9);
    for (let s = 0; s < steps; s++) {
      const messageId = `j${seed}-${i}-${s}`;
      events.push({
        type: 'track',
        event: STAGE_EVENTS[stage],
        anonymousId: `visitor-${seed}-${i}`,
        messageId,
        timestamp: new Date(at).toISOString(),
        context: { campaign: { source, medium, name: campaign(i) } },
      });
      touchpoints.push({
        projectId: '',
        messageId,
        rawKey: `a:visitor-${seed}-${i}`,
        timestamp: at,
        stage,
        fields: { utm_source: source, utm_medium: medium, utm_campaign: campaign(i) },
      });
      at += pick([1000, 20 * MINUTE, 3 * HOUR, 2 * DAY]);
      const move = random();
      stage =
        move < 0.6
          ? Math.min(7, Math.max(stage, 1) + 1)
          : move < 0.75
            ? Math.max(1, stage - 1)
            : move < 0.9
              ? Math.min(7, stage + 2)
              : 0;
    }
  }
  return { events, touchpoints };
}

const current = generate(60, 21, T0);
const before = generate(40, 22, T0 - 7 * DAY);
/** A campaign each: more segments than the screen shows comfortably. */
const campaigns = generate(12, 23, T0, (i) => `autumn-${i}`);
const touchpoints = [...current.touchpoints, ...before.touchpoints, ...campaigns.touchpoints];

/** The reference funnel of [from, to) for the cohort the filters select. */
const reference = (filters: EntryFilters, from = T0, to = T0 + 7 * DAY): ReferenceFunnel =>
  referenceStageFunnel(touchpoints, [], {
    projectId: '',
    from,
    to,
    windowMs: 30 * DAY,
    mode: 'reached',
    filters,
  });
const previous = (filters: EntryFilters) => reference(filters, T0 - 7 * DAY, T0);

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const count = (n: number) => n.toLocaleString('en-US');

/** The main table's rows, written out from the reference's figures. */
function expectedRows(funnel: ReferenceFunnel): string[][] {
  const duration = (s: number | null | undefined) =>
    s === null || s === undefined ? '—' : `PT${Math.round(s)}S`;
  return funnel.stages.map((s) => [
    count(s.customers),
    percent(s.conversionFromStart),
    percent(s.conversionFromPrevious),
    percent(s.dropOff),
    duration(s.medianSecondsToNext),
    duration(s.p90SecondsToNext),
  ]);
}

/** The previous-period table's rows: this period, the previous one, the change of "from start" in points. */
function expectedPreviousRows(now: ReferenceFunnel, then: ReferenceFunnel): string[][] {
  return now.stages.map((s, i) => {
    const p = then.stages[i] as ReferenceFunnel['stages'][number];
    const points = (s.conversionFromStart - p.conversionFromStart) * 100;
    const sign = points > 0 ? '+' : points < 0 ? '−' : '±';
    return [
      count(s.customers),
      percent(s.conversionFromStart),
      count(p.customers),
      percent(p.conversionFromStart),
      `${sign}${Math.abs(points).toFixed(1)} pp`,
    ];
  });
}

type WhyDropBody = RouteResponse<typeof getStageFunnelWhyDrop>;

/** A factor as docs/analytics/why-drop.md names it, in words. */
function factorText(f: WhyDropBody['factors'][number]['factor']): string {
  switch (f.kind) {
    case 'event':
    case 'page':
      return `${f.kind} ${f.name}`;
    case 'property':
      return `${f.key} = ${f.value}`;
    case 'customer':
      return `${f.dimension} = ${f.value}`;
    case 'segment_touchpoint':
      return `${f.dimension} = ${f.value} and ${f.touchpoint.kind} ${f.touchpoint.name}`;
  }
}

const openPage = () => openRecordedPage(browser, stack.queryUrl);
const signIn = (page: Page) => signInAs(page, project);
const url = (page: Page) => new URL(page.url()).searchParams;
const filterInput = (page: Page, dimension: string) =>
  page.getByRole('textbox', { name: dimension, exact: true });

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  project = await createTestProject(stack.clickhouse, 'console-journey');
  await eventually(async () => {
    const batch = [...current.events, ...before.events, ...campaigns.events];
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch })).status).toBe(200);
  });
  await eventually(
    async () => {
      for (const [range, expected] of [
        [`from=${FROM}&to=${TO}`, reference({})],
        ['from=2025-04-24&to=2025-05-01', previous({})],
      ] as const) {
        const { body } = await queryApi<{ entered: number }>(
          stack.queryUrl,
          project,
          'GET',
          `/funnel/stages?${range}`,
        );
        expect(body.entered).toBe(expected.entered);
      }
    },
    { timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await browser?.close();
});

describe('the Journey screen', () => {
  it('filters the cohort, compares with the previous period and breaks down by a dimension, all from the URL', async () => {
    const google = { utm_source: ['google'] };
    expect(reference(google).entered).toBeGreaterThan(5);
    expect(previous(google).entered).toBeGreaterThan(3);
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/?${VIEW}&utm_source=google`);
    await signIn(page);

    // The filter from the URL: applied, shown, and the figures are the filtered cohort's.
    await poll(() => shownRows(page)).toEqual(expectedRows(reference(google)));
    expect(await page.getByRole('list', { name: 'Applied filters' }).textContent()).toContain(
      'utm_source: google',
    );
    expect(await filterInput(page, 'utm_source').inputValue()).toBe('google');
    await page.getByRole('heading', { name: 'Previous period: 2025-04-24 to 2025-05-01' }).waitFor();
    await poll(() => shownRows(page, 'table.previous-figures')).toEqual(
      expectedPreviousRows(reference(google), previous(google)),
    );
    await page.locator('.chart svg').waitFor();
    await screenshot(page, 'journey-filtered');
    expect(await seriousViolations(page)).toEqual([]);

    // Typing filters and applying them changes the URL and the figures.
    const two = { utm_source: ['google', 'newsletter'], utm_campaign: ['spring'] };
    await filterInput(page, 'utm_source').fill('google, newsletter');
    await filterInput(page, 'utm_campaign').fill('spring');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await poll(() => url(page).getAll('utm_source')).toEqual(['google', 'newsletter']);
    expect(url(page).getAll('utm_campaign')).toEqual(['spring']);
    await poll(() => shownRows(page)).toEqual(expectedRows(reference(two)));
    await poll(() => shownRows(page, 'table.previous-figures')).toEqual(
      expectedPreviousRows(reference(two), previous(two)),
    );

    // Removing a chip removes that value only.
    await page.getByRole('button', { name: 'Remove filter utm_source google' }).click();
    await poll(() => url(page).getAll('utm_source')).toEqual(['newsletter']);
    const newsletter = { utm_source: ['newsletter'], utm_campaign: ['spring'] };
    await poll(() => shownRows(page)).toEqual(expectedRows(reference(newsletter)));
    await page.getByRole('button', { name: 'Remove filter utm_source newsletter' }).click();
    await page.getByRole('button', { name: 'Remove filter utm_campaign spring' }).click();
    await poll(() => [...url(page).keys()].sort()).toEqual(['from', 'mode', 'to', 'window']);

    // A breakdown by the entry's utm_source: each segment is the funnel filtered on that value.
    await page.getByRole('combobox', { name: 'Breakdown' }).selectOption('utm_source');
    await poll(() => url(page).get('breakdown')).toBe('utm_source');
    const table = page.locator('table.segment-figures');
    await table.waitFor();
    const shown = await table
      .locator('thead th[data-segment]')
      .evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-segment') ?? ''));
    const sources = SOURCES.filter((source) => reference({ utm_source: [source] }).entered > 0);
    expect([...shown].sort()).toEqual([...sources].sort());
    const entered = shown.map((source) => reference({ utm_source: [source] }).entered);
    expect(entered).toEqual([...entered].sort((a, b) => b - a)); // largest first, as the API answers
    const segments = shown.map((source) => reference({ utm_source: [source] }));
    expect(await table.locator('thead th[data-segment]').allTextContents()).toEqual(
      shown.map((source, i) => `${source} (${count(segments[i]?.entered ?? 0)} entered)`),
    );
    await poll(() => shownRows(page, 'table.segment-figures')).toEqual(
      reference({}).stages.map((_, i) =>
        segments.flatMap((segment) => {
          const stage = segment.stages[i] as ReferenceFunnel['stages'][number];
          return [count(stage.customers), percent(stage.conversionFromStart)];
        }),
      ),
    );
    // Still the whole cohort in the main table.
    await poll(() => shownRows(page)).toEqual(expectedRows(reference({})));
    await page.locator('.chart svg').nth(1).waitFor();
    await screenshot(page, 'journey-breakdown');
    expect(await seriousViolations(page)).toEqual([]);

    // More than ten segments: all of them, and the screen says so (the API does not group the rest).
    await page.getByRole('combobox', { name: 'Breakdown' }).selectOption('utm_campaign');
    await poll(() => url(page).get('breakdown')).toBe('utm_campaign');
    const names = ['spring', ...Array.from({ length: 12 }, (_, i) => `autumn-${i}`)];
    expect(names.every((name) => reference({ utm_campaign: [name] }).entered > 0)).toBe(true);
    await poll(() => table.locator('thead th[data-segment]').count()).toBe(names.length);
    expect(await page.getByText(`All ${names.length} segments the API returned are shown`).count()).toBe(1);
    await page.locator('.chart svg').nth(1).waitFor();
    await screenshot(page, 'journey-breakdown-many');

    // The URL is the view: opened afresh on a phone in dark mode, the same breakdown.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.queryUrl}/?${VIEW}&utm_medium=cpc&breakdown=utm_source`);
    await poll(() => shownRows(page)).toEqual(expectedRows(reference({ utm_medium: ['cpc'] })));
    await poll(async () => (await shownRows(page, 'table.segment-figures'))[0]?.length).toBe(
      2 * SOURCES.filter((s) => s !== 'newsletter' && reference({ utm_source: [s] }).entered > 0).length,
    );
    await page.locator('.chart svg').nth(1).waitFor();
    await screenshot(page, 'journey-breakdown-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);

    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('shows the API problem or a plain empty state for hostile URL state, never a blank page', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/?${VIEW}&breakdown=${'x'.repeat(4000)}`);
    await signIn(page);
    const problem = page.getByRole('alert');
    await problem.waitFor();
    expect(await problem.getByRole('heading').textContent()).toBe('The request is invalid');
    expect(await problem.locator('p').textContent()).toContain('breakdown');
    // The value is an option of the select, yet the page keeps its width.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      await page.evaluate(() => window.innerWidth),
    );
    await screenshot(page, 'journey-bad-breakdown');
    expect(await seriousViolations(page)).toEqual([]);

    const sixty = Array.from({ length: 60 }, (_, i) => `utm_source=s${i}`).join('&');
    await page.goto(`${stack.queryUrl}/?${VIEW}&${sixty}`);
    await problem.waitFor();
    expect(await problem.locator('p').textContent()).toContain('at most 50 values per filter');
    expect(await page.getByRole('list', { name: 'Applied filters' }).locator('li').count()).toBe(60);

    // A script in a filter is a value like any other: no customer has it, and it is shown as text.
    const script = '<script>alert(1)</script>';
    await page.goto(`${stack.queryUrl}/?${VIEW}&utm_source=${encodeURIComponent(script)}`);
    await page.getByRole('heading', { name: 'No customers entered the journey in this range' }).waitFor();
    expect(await page.getByRole('list', { name: 'Applied filters' }).textContent()).toContain(
      `utm_source: ${script}`,
    );
    await screenshot(page, 'journey-script-filter');
    expect(seen.dialogs).toEqual([]);
    expect(seen.errors.filter((e) => !e.includes('400'))).toEqual([]);
    await page.context().close();
  });

  it('narrows the Journey and its trend to a stage range picked in the controls', async () => {
    // The cohort of consideration → selection, from what was sent: customers whose first touchpoint staged at
    // consideration or later is in the range.
    const firstAt = (rawKey: string, stage: number) =>
      Math.min(...touchpoints.filter((t) => t.rawKey === rawKey && t.stage >= stage).map((t) => t.timestamp));
    const cohort = [...new Set(touchpoints.map((t) => t.rawKey))].filter(
      (key) => firstAt(key, 2) >= T0 && firstAt(key, 2) < T0 + 7 * DAY,
    );
    const entered = cohort.length;
    expect(entered).toBeGreaterThan(5);
    // Who dropped at selection: reached evaluation, not selection, within 30 days of entry.
    const within = (key: string, stage: number) => firstAt(key, stage) - firstAt(key, 2) <= 30 * DAY;
    const droppedAtSelection = cohort.filter((key) => within(key, 3) && !within(key, 4)).sort();
    expect(droppedAtSelection.length).toBeGreaterThan(0);

    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/?${VIEW}`);
    await signIn(page);
    await poll(() => shownRows(page)).toEqual(expectedRows(reference({})));
    await page.getByLabel('From stage').selectOption('consideration');
    await page.getByLabel('To stage').selectOption('selection');
    await poll(async () => [url(page).get('fromStage'), url(page).get('toStage')]).toEqual([
      'consideration',
      'selection',
    ]);
    const range = `${VIEW}&fromStage=consideration&toStage=selection`;
    const { body } = await queryApi<ReferenceFunnel & { stages: Array<{ stage: string }> }>(
      stack.queryUrl,
      project,
      'GET',
      `/funnel/stages?${range}`,
    );
    expect(body.entered).toBe(entered);
    await poll(() => shownRows(page)).toEqual(expectedRows(body));
    expect(await page.locator('table.figures tbody th').allTextContents()).toEqual([
      '2. consideration',
      '3. evaluation',
      '4. selection',
    ]);
    // Nobody drops at the range's first stage; the other drop-offs open the range's own droppers.
    expect(await page.locator('table.figures tbody a').count()).toBe(2);
    await screenshot(page, 'journey-stage-range');
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator('tr[data-stage="selection"] a').click();
    await poll(() => new URL(page.url()).pathname).toBe('/dropped');
    await poll(() =>
      page.$$eval('table.figures tbody th a', (links) => links.map((a) => a.textContent ?? '')),
    ).toEqual(droppedAtSelection);
    expect(await page.locator('p.summary').first().textContent()).toContain('at consideration or later');
    await screenshot(page, 'dropped-stage-range');
    await page.goBack();
    await poll(() => shownRows(page)).toEqual(expectedRows(body));

    // Why they dropped, in the range's cohort: its drop-offs only, counted as the drill-down counts them.
    const whyDrop = page.getByRole('navigation', { name: 'Why did they drop' });
    expect(await whyDrop.getByRole('link').allTextContents()).toEqual([
      'consideration → evaluation',
      'evaluation → selection',
    ]);
    await whyDrop.getByRole('link', { name: 'evaluation → selection' }).click();
    await page.getByRole('heading', { name: 'Why did they drop after evaluation?' }).waitFor();
    expect([url(page).get('fromStage'), url(page).get('toStage')]).toEqual(['consideration', 'selection']);
    const atEvaluation = cohort.filter((key) => within(key, 3)).length;
    const wentOn = cohort.filter((key) => within(key, 4)).length;
    await poll(() => page.locator('.why-drop p.summary').first().textContent()).toContain(
      `${count(wentOn)} went on to selection and ${count(droppedAtSelection.length)} dropped`,
    );
    const summary = (await page.locator('.why-drop p.summary').first().textContent()) ?? '';
    expect(summary).toContain(`Of the ${count(atEvaluation)} customers who entered from`);
    expect(summary).toContain('at consideration or later and were counted at evaluation');
    await screenshot(page, 'why-drop-stage-range');
    await page.goBack();
    await poll(() => shownRows(page)).toEqual(expectedRows(body));

    // Back to the first stage: the URL drops the parameter, and the drill-down links are back.
    await page.getByLabel('From stage').selectOption('discovery');
    await poll(async () => url(page).has('fromStage')).toBe(false);
    await poll(() => page.locator('table.figures tbody a').count()).toBe(3);

    await page.goto(`${stack.queryUrl}/trend?${range}&interval=week&timezone=UTC`);
    await poll(() => page.locator('table.trend-figures thead th').allTextContents()).toEqual([
      'Entered in',
      'Entered',
      '2. consideration',
      '3. evaluation',
      '4. selection',
    ]);
    expect(await page.getByLabel('From stage').inputValue()).toBe('consideration');
    await screenshot(page, 'trend-stage-range');

    // A range the wrong way round is the API's to refuse, and its problem is shown.
    await page.getByLabel('From stage').selectOption('purchase');
    const problem = page.getByRole('alert');
    await problem.waitFor();
    expect(await problem.locator('p').textContent()).toContain('fromStage must come before toStage');
    expectCleanPage({ ...seen, errors: seen.errors.filter((e) => !e.includes('400')) }, project);
  });

  it('explains a drop-off: from the Journey to what converters and droppers did differently', async () => {
    const funnel = reference({});
    const [atEvaluation, atSelection] = [funnel.stages[2]?.customers ?? 0, funnel.stages[3]?.customers ?? 0];
    expect(atEvaluation - atSelection).toBeGreaterThan(0);
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/?${VIEW}`);
    await signIn(page);
    await poll(() => shownRows(page)).toEqual(expectedRows(funnel));
    await page
      .getByRole('navigation', { name: 'Why did they drop' })
      .getByRole('link', { name: 'evaluation → selection' })
      .click();
    await page.getByRole('heading', { name: 'Why did they drop after evaluation?' }).waitFor();
    expect(url(page).get('stage')).toBe('evaluation');

    // The populations are the funnel's own counts at evaluation and selection.
    const { body } = await queryApi<WhyDropBody>(
      stack.queryUrl,
      project,
      'GET',
      `/funnel/stages/why-drop?${VIEW}&stage=evaluation`,
    );
    expect([body.converted, body.dropped]).toEqual([atSelection, atEvaluation - atSelection]);
    const summary = (await page.locator('.why-drop p.summary').first().textContent()) ?? '';
    expect(summary).toContain(`Of the ${count(atEvaluation)} customers`);
    expect(summary).toContain(
      `${count(atSelection)} went on to selection and ${count(atEvaluation - atSelection)} dropped`,
    );

    expect(body.factors.length).toBeGreaterThan(0);
    const share = (part: number, rest: number) => (part + rest === 0 ? '—' : percent(part / (part + rest)));
    const fixed = (x: number) => x.toFixed(2);
    await poll(() => shownRows(page, 'table.why-drop-factors')).toEqual(
      body.factors.map((f) => [
        count(f.droppedWith),
        count(f.convertedWith),
        share(f.convertedWith, f.droppedWith),
        share(f.convertedWithout, f.droppedWithout),
        `${fixed(f.oddsRatio)} [${fixed(f.confidenceInterval.lower)}, ${fixed(f.confidenceInterval.upper)}]`,
        f.qValue < 0.001 ? '< 0.001' : f.qValue.toFixed(3),
        f.significant ? f.overRepresentedIn : 'not significant',
      ]),
    );
    expect(await page.locator('table.why-drop-factors tbody th').allTextContents()).toEqual(
      body.factors.map(({ factor }) => factorText(factor)),
    );
    expect(body.paths.reduce((sum, p) => sum + p.customers, 0)).toBeLessThanOrEqual(body.dropped);
    await poll(() => shownRows(page, 'table.why-drop-paths')).toEqual(
      body.paths.map((p) => [count(p.customers), percent(p.share)]),
    );
    expect(await page.locator('table.why-drop-paths tbody th').allTextContents()).toEqual(
      body.paths.map((p) => (p.touchpoints.length === 0 ? '(nothing)' : p.touchpoints.join(' → '))),
    );
    await screenshot(page, 'why-drop');
    expect(await seriousViolations(page)).toEqual([]);

    // A stage with no next one is the API's to refuse, and its problem is shown.
    await page.goto(`${stack.queryUrl}/why-drop?${VIEW}&stage=advocacy`);
    const problem = page.getByRole('alert');
    await problem.waitFor();
    expect(await problem.locator('p').textContent()).toContain('stage must be one of');
    // A value that is no stage is not echoed in the heading, and the page keeps its width.
    await page.goto(`${stack.queryUrl}/why-drop?${VIEW}&stage=${'x'.repeat(4000)}`);
    await page.getByRole('heading', { name: 'Why did they drop?', exact: true }).waitFor();
    await problem.waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      await page.evaluate(() => window.innerWidth),
    );
    expectCleanPage({ ...seen, errors: seen.errors.filter((e) => !e.includes('400')) }, project);
  });

  it('puts a planted cause on top: Android shoppers who saw the shipping page stop before ordering', async () => {
    const shop = await createTestProject(stack.clickhouse, 'console-why-drop');
    const android =
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36';
    const windows =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
    const random = seededRandom(31);
    const events: Record<string, unknown>[] = [];
    let [planted, plantedOrdered, ordered] = [0, 0, 0];
    for (let i = 0; i < 240; i++) {
      const onAndroid = i % 2 === 0;
      const sawShipping = i % 4 < 2;
      const orders = random() < (onAndroid && sawShipping ? 0.1 : 0.8);
      if (onAndroid && sawShipping)
        [planted, plantedOrdered] = [planted + 1, plantedOrdered + (orders ? 1 : 0)];
      if (orders) ordered++;
      let at = T0 + i * 40 * MINUTE;
      const send = (fields: Record<string, unknown>) => {
        events.push({
          anonymousId: `planted-${i}`,
          messageId: `planted-${i}-${events.length}`,
          timestamp: new Date(at).toISOString(),
          context: { userAgent: onAndroid ? android : windows, campaign: { source: 'google' } },
          ...fields,
        });
        at += MINUTE;
      };
      send({ type: 'track', event: 'Promotion Viewed' });
      send({ type: 'track', event: 'Product Viewed' });
      send({ type: 'track', event: 'Product Added' });
      if (sawShipping)
        send({
          type: 'page',
          properties: { path: '/shipping' },
          context: {
            userAgent: onAndroid ? android : windows,
            page: { path: '/shipping', url: 'https://shop.example/shipping' },
          },
        });
      if (orders) send({ type: 'track', event: 'Order Completed' });
    }
    for (let i = 0; i < events.length; i += 200) {
      const batch = events.slice(i, i + 200);
      await eventually(async () =>
        expect((await postBatch(stack.collectorUrl, shop.writeKey, { batch })).status).toBe(200),
      );
    }
    const view = `${VIEW}&stage=selection`;
    const answer = await eventually(
      async () => {
        const { body } = await queryApi<WhyDropBody>(
          stack.queryUrl,
          shop,
          'GET',
          `/funnel/stages/why-drop?${view}`,
        );
        expect([body.converted, body.dropped]).toEqual([ordered, 240 - ordered]);
        return body;
      },
      { timeoutMs: 60_000 },
    );

    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/why-drop?${view}`);
    await signInAs(page, shop);
    await page.getByRole('heading', { name: 'Why did they drop after selection?' }).waitFor();
    const first = page.locator('table.why-drop-factors tbody tr').first();
    await first.waitFor();
    // The pair itself, with its counts as sent, and dropped customers more common with it.
    expect(await first.locator('th').textContent()).toMatch(
      /^(os = Android|device = mobile) and page \/shipping$/,
    );
    expect(await shownRows(page, 'table.why-drop-factors').then((rows) => rows[0]?.slice(0, 2))).toEqual([
      count(planted - plantedOrdered),
      count(plantedOrdered),
    ]);
    expect(await first.locator('td').last().textContent()).toBe('dropped');
    expect(answer.factors[0]?.significant).toBe(true);
    await screenshot(page, 'why-drop-planted');
    expect(await seriousViolations(page)).toEqual([]);

    // Only os tested, and only factors of 30 customers or more: the URL says so, the table is the API's answer
    // for it, and the planted pair (60 customers) is still on top.
    const controls = page.getByRole('form', { name: 'What is tested' });
    await controls.locator('summary').click();
    for (const box of await controls.locator('input[name="dimensions"]').all()) {
      await box.setChecked((await box.getAttribute('value')) === 'os');
    }
    await controls.getByLabel('Minimum customers per factor').fill('30');
    await screenshot(page, 'why-drop-controls-open');
    await controls.getByRole('button', { name: 'Apply' }).click();
    await poll(() => [url(page).get('dimensions'), url(page).get('minSupport')]).toEqual(['os', '30']);
    const { body: narrowed } = await queryApi<WhyDropBody>(
      stack.queryUrl,
      shop,
      'GET',
      `/funnel/stages/why-drop?${view}&dimensions=os&minSupport=30`,
    );
    expect(narrowed.testedFactors).toBeLessThan(answer.testedFactors);
    for (const { factor, convertedWith, droppedWith } of narrowed.factors) {
      expect(convertedWith + droppedWith).toBeGreaterThanOrEqual(30);
      if (factor.kind === 'customer' || factor.kind === 'segment_touchpoint')
        expect(factor.dimension).toBe('os');
    }
    await poll(() => page.locator('table.why-drop-factors tbody th').allTextContents()).toEqual(
      narrowed.factors.map(({ factor }) => factorText(factor)),
    );
    expect(await first.locator('th').textContent()).toBe('os = Android and page /shipping');
    expect(await controls.locator('summary').textContent()).toBe(
      'Tested: os; factors with at least 30 customers',
    );
    await screenshot(page, 'why-drop-controls');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, shop);
  });
});
