/// <reference lib="dom" />

import { seededRandom } from '@waymark/cli';
import type { StageFunnelMode } from '@waymark/journey';
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
 * The console in a real Chromium against the whole pipeline: touchpoints go through the collector, the
 * query service serves the built console at `/`, and the Journey screen's table must show the figures the
 * reference implementation (@waymark/testing) computes from what was sent.
 */

const stack = usePipeline();
let project: TestProject;
let browser: Browser;

const T0 = Date.UTC(2025, 4, 1);
const FROM = '2025-05-01';
const TO = '2025-05-08';

function generate(shoppers: number, seed: number) {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const events: Record<string, unknown>[] = [];
  const touchpoints: ReferenceTouchpoint[] = [];
  for (let i = 0; i < shoppers; i++) {
    let at = T0 + Math.floor(random() * 6 * DAY);
    let stage = random() < 0.8 ? 1 : pick([2, 3]);
    const steps = 1 + Math.floor(random() * 9);
    for (let s = 0; s < steps; s++) {
      const messageId = `c${seed}-${i}-${s}`;
      events.push({
        type: 'track',
        event: STAGE_EVENTS[stage],
        anonymousId: `visitor-${i}`,
        messageId,
        timestamp: new Date(at).toISOString(),
      });
      touchpoints.push({ projectId: '', messageId, rawKey: `a:visitor-${i}`, timestamp: at, stage });
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

const sent = generate(50, 12);
const reference = (mode: StageFunnelMode): ReferenceFunnel =>
  referenceStageFunnel(sent.touchpoints, [], {
    projectId: '',
    from: T0,
    to: T0 + 7 * DAY,
    windowMs: 30 * DAY,
    mode,
  });

/** What a row of the table must read, written out from the reference's figures. */
function expectedRows(funnel: ReferenceFunnel): string[][] {
  const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
  const duration = (s: number | null | undefined) =>
    s === null || s === undefined ? '—' : `PT${Math.round(s)}S`;
  return funnel.stages.map((s) => [
    s.customers.toLocaleString('en-US'),
    percent(s.conversionFromStart),
    percent(s.conversionFromPrevious),
    percent(s.dropOff),
    duration(s.medianSecondsToNext),
    duration(s.p90SecondsToNext),
  ]);
}

const openPage = () => openRecordedPage(browser, stack.queryUrl);
const signIn = (page: Page) => signInAs(page, project);

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  project = await createTestProject(stack.clickhouse, 'console');
  await eventually(async () => {
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch: sent.events })).status).toBe(200);
  });
  const everyone = reference('reached');
  await eventually(
    async () => {
      const { body } = await queryApi<{ entered: number }>(
        stack.queryUrl,
        project,
        'GET',
        `/funnel/stages?from=${FROM}&to=${TO}`,
      );
      expect(body.entered).toBe(everyone.entered);
    },
    { timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await browser?.close();
});

describe('the console', () => {
  it('signs in and shows the Journey funnel as the reference computes it, for each mode, from the URL', async () => {
    expect(reference('strict').entered).toBeGreaterThan(20);
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/?from=${FROM}&to=${TO}&window=30d&mode=reached`);
    await screenshot(page, 'sign-in');
    expect(await seriousViolations(page)).toEqual([]);
    await signIn(page);

    await poll(() => shownRows(page)).toEqual(expectedRows(reference('reached')));
    await page.locator('.chart svg').waitFor();
    await screenshot(page, 'journey-reached');
    expect(await seriousViolations(page)).toEqual([]);

    // Changing the mode changes the URL and the figures.
    await page.getByLabel('Mode').selectOption('ordered');
    await poll(() => new URL(page.url()).searchParams.get('mode')).toBe('ordered');
    await poll(() => shownRows(page)).toEqual(expectedRows(reference('ordered')));

    // The URL is the view: opened afresh (the session kept in this tab), it shows the same figures.
    await page.goto(`${stack.queryUrl}/?from=${FROM}&to=${TO}&window=30d&mode=strict`);
    await poll(() => shownRows(page)).toEqual(expectedRows(reference('strict')));
    await screenshot(page, 'journey-strict');

    // On a phone, in dark mode: the same figures, still readable (axe checks the contrast).
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await poll(() => shownRows(page)).toEqual(expectedRows(reference('strict')));
    await page.locator('.chart svg').waitFor();
    await screenshot(page, 'journey-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);

    expectCleanPage(seen, project);
    expect(seen.urls.length).toBeGreaterThan(3);
    await page.context().close();
  });

  it('shows how to send a first touchpoint for a range with no customers, and the API problem for bad input', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/?from=2020-01-01&to=2020-02-01`);
    await signIn(page);
    const empty = page.getByRole('heading', { name: 'No customers entered the journey in this range' });
    await empty.waitFor();
    await poll(() => page.locator('.empty').textContent()).toContain(`curl -u ${project.writeKey}:`);
    expect(await page.locator('.empty').textContent()).toContain(`data-write-key="${project.writeKey}"`);
    await screenshot(page, 'journey-empty');
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${stack.queryUrl}/?from=${FROM}&to=${TO}&mode=%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
    const problem = page.getByRole('alert');
    await problem.waitFor();
    expect(await problem.getByRole('heading').textContent()).toBe('The request is invalid');
    expect(await problem.locator('p').textContent()).toBe(
      'mode: mode must be one of reached, ordered, strict',
    );
    expect(seen.dialogs).toEqual([]);
    await screenshot(page, 'journey-error');
    expect(seen.errors.filter((e) => !e.includes('400'))).toEqual([]);
    await page.context().close();
  });

  it("shows conversion over time per day of entry as the reference computes each day's cohort", async () => {
    const { page, seen } = await openPage();
    await page.goto(
      `${stack.queryUrl}/trend?from=${FROM}&to=${TO}&interval=day&timezone=UTC&window=30d&mode=reached`,
    );
    await signIn(page);
    const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
    const days = Array.from({ length: 7 }, (_, d) => T0 + d * DAY);
    const expected = days.map((from) => {
      const day = referenceStageFunnel(sent.touchpoints, [], {
        projectId: '',
        from,
        to: from + DAY,
        windowMs: 30 * DAY,
        mode: 'reached',
      });
      return [
        day.entered.toLocaleString('en-US'),
        ...day.stages.map(
          (s) => `${s.customers.toLocaleString('en-US')} · ${percent(s.conversionFromStart)}`,
        ),
      ];
    });
    await poll(() => shownRows(page, 'table.trend-figures')).toEqual(expected);
    const starts = await page.$$eval('table.trend-figures tbody th time', (cells) =>
      cells.map((cell) => cell.getAttribute('datetime')),
    );
    expect(starts).toEqual(days.map((ms) => new Date(ms).toISOString()));
    await page.locator('.chart svg').waitFor();
    await screenshot(page, 'trend');
    expect(await seriousViolations(page)).toEqual([]);

    // The interval is in the URL; a week cuts the 7 days (Thursday 1 May …) into two cohorts.
    await page.getByLabel('Per').selectOption('week');
    await poll(() => new URL(page.url()).searchParams.get('interval')).toBe('week');
    await poll(async () => (await shownRows(page, 'table.trend-figures')).length).toBe(2);

    await page.goto(
      `${stack.queryUrl}/trend?from=${FROM}&to=${TO}&timezone=%3Cscript%3Ealert(1)%3C%2Fscript%3E`,
    );
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').locator('p').textContent()).toContain('timezone');
    expect(seen.dialogs).toEqual([]);
    expect(seen.errors.filter((e) => !e.includes('400'))).toEqual([]);
    expect(seen.outside).toEqual([]);
    await page.context().close();
  });

  it("signs in from waymark start's one-time link, which then stops working", async () => {
    const link = stack.signInLink(project);
    expect(new URL(link).hash).toMatch(/^#sign-in=/);
    const { page, seen } = await openPage();
    await page.goto(link);
    await page.locator('table.figures').or(page.locator('.empty')).waitFor();
    // The token is out of the address bar at once, so it is neither bookmarked nor shared.
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    await page.context().close();

    const again = await openPage();
    await again.page.goto(link);
    const problem = again.page.getByRole('alert');
    await problem.waitFor();
    expect(await problem.getByRole('heading').textContent()).toBe(
      'This sign-in link was used or has expired',
    );
    await again.page.getByLabel('API key').waitFor();
    await screenshot(again.page, 'sign-in-link-used');
    expect(seen.errors).toEqual([]);
    // The failed redemption is the one error the second page logs.
    expect(again.seen.errors.filter((e) => !e.includes('401'))).toEqual([]);
    expect(seen.urls.concat(again.seen.urls).filter((url) => url.includes(project.apiKey))).toEqual([]);
    await again.page.context().close();
  });

  it('opens a screen from its own link and says so for a path no screen has', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/no/such/screen`);
    await signIn(page);
    await page.getByRole('heading', { name: 'No such screen' }).waitFor();
    await page.getByRole('link', { name: 'Open the journey' }).click();
    await poll(() => new URL(page.url()).pathname).toBe('/');
    await page.locator('table.figures').or(page.locator('.empty')).waitFor();
    expect(await page.getByRole('link', { name: 'Journey' }).getAttribute('aria-current')).toBe('page');
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('reaches every link, button and field of each screen with the keyboard alone', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/`);
    await signIn(page);
    for (const path of [
      '/',
      '/trend',
      '/flow',
      '/bottlenecks',
      '/customers',
      '/live',
      '/kpis',
      '/retention',
      '/experiments',
      '/dashboards',
      '/funnels',
      '/alerts',
      '/settings',
    ]) {
      await page.goto(`${stack.queryUrl}${path}?from=${FROM}&to=${TO}`);
      await page
        .locator('main table, main .empty, main .hint, main .note, main [role="alert"]')
        .first()
        .waitFor();
      // Everything a pointer can operate, and the scrolling tables, tagged so Tab's visits can be told apart.
      const reachable = await page.$$eval(
        'a[href], button:not([disabled]), input:not([type="hidden"]), select, textarea, [tabindex="0"]',
        (elements) =>
          elements.map((element, i) => {
            element.setAttribute('data-reach', String(i));
            return i;
          }),
      );
      const visited = new Set<string>();
      await page.locator('body').focus();
      // Charts may hold focus stops of their own, hence room for more presses than tagged elements.
      for (let i = 0; i < 2 * reachable.length + 10 && visited.size < reachable.length; i++) {
        await page.keyboard.press('Tab');
        const at = await page.evaluate(() => document.activeElement?.getAttribute('data-reach') ?? null);
        if (at !== null) visited.add(at);
      }
      const missed = await page.$$eval(
        '[data-reach]',
        (elements, seenIds) =>
          elements
            .filter((element) => !seenIds.includes(element.getAttribute('data-reach') ?? ''))
            .map((element) => element.outerHTML.slice(0, 120)),
        [...visited],
      );
      expect(missed, path).toEqual([]);
      expect(visited.size, path).toBe(reachable.length);
    }
    expect(seen.errors.filter((e) => !e.includes('400'))).toEqual([]);
    await page.context().close();
  });

  it('keeps the API key out of every URL and off the page after sign-out', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/`);
    await signIn(page);
    await page.locator('table.figures').or(page.locator('.empty')).waitFor();
    const stored = await page.evaluate(() => ({
      session: sessionStorage.length,
      local: localStorage.length,
    }));
    expect(stored).toEqual({ session: 1, local: 0 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.content()).not.toContain(project.apiKey);
    expect(seen.urls.filter((url) => url.includes(project.apiKey))).toEqual([]);
    await page.context().close();
  });
});
