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
 * The Who dropped, Customer and Customers & segments screens in a real Chromium against the whole
 * pipeline. What they list is checked against what this test sent: who dropped from the reference stage
 * funnel's per-customer stage times, each customer's timeline from its own events, customer types from a
 * direct reading of docs/customers.md (every touchpoint is over 90 days old: a customer with an order is
 * `lost`, one without is `potential`).
 */

const stack = usePipeline();
let project: TestProject;
let browser: Browser;

const T0 = Date.UTC(2025, 4, 1);
const FROM = '2025-05-01';
const TO = '2025-05-08';
const PURCHASE = 5;

interface Sent {
  readonly at: number;
  readonly event: string;
  readonly stage: number;
}

function generate(shoppers: number, seed: number) {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const events: Record<string, unknown>[] = [];
  const touchpoints: ReferenceTouchpoint[] = [];
  const byCustomer = new Map<string, Sent[]>();
  for (let i = 0; i < shoppers; i++) {
    const key = `a:shopper-${String(i).padStart(2, '0')}`;
    const sent: Sent[] = [];
    let at = T0 + Math.floor(random() * 6 * DAY);
    let stage = random() < 0.8 ? 1 : pick([2, 3]);
    const steps = 1 + Math.floor(random() * 9);
    for (let s = 0; s < steps; s++) {
      const messageId = `k${seed}-${i}-${s}`;
      const event = STAGE_EVENTS[stage] as string;
      events.push({
        type: 'track',
        event,
        anonymousId: key.slice(2),
        messageId,
        timestamp: new Date(at).toISOString(),
      });
      touchpoints.push({ projectId: '', messageId, rawKey: key, timestamp: at, stage });
      sent.push({ at, event, stage });
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
    byCustomer.set(key, sent);
  }
  return { events, touchpoints, byCustomer };
}

const sent = generate(40, 7);
const referenceFunnel = (mode: 'reached' | 'ordered') =>
  referenceStageFunnel(sent.touchpoints, [], {
    projectId: '',
    from: T0,
    to: T0 + 7 * DAY,
    windowMs: 30 * DAY,
    mode,
  });
const funnel = referenceFunnel('reached');

/** Who dropped at stage `k` (1-based): counted at k - 1 and not at k, as the reference counts. */
const droppedAt = (k: number, counted = funnel): string[] =>
  [...counted.customers]
    .filter(([, times]) => times[k - 2] !== null && times[k - 1] === null)
    .map(([key]) => key)
    .sort();

/** The stage (2 … 7) most customers dropped at, so the list checked is a long one. */
const DROP_STAGE = [2, 3, 4, 5, 6, 7].reduce((best, k) =>
  droppedAt(k).length > droppedAt(best).length ? k : best,
);
const DROP_NAME = STAGE_NAMES[DROP_STAGE - 1] as string;

/** Customer counts by type (docs/customers.md: old touchpoints, no complaints, no recent advocacy). */
function expectedTypes(): string[][] {
  const counts = new Map<string, number>();
  for (const touchpoints of sent.byCustomer.values()) {
    const type = touchpoints.some((t) => t.stage === PURCHASE) ? 'lost' : 'potential';
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return [...counts].map(([type, n]) => [type, n.toLocaleString('en-US')]).sort();
}

const openPage = (viewport?: { width: number; height: number }) =>
  openRecordedPage(browser, stack.queryUrl, viewport);
const signIn = (page: Page) => signInAs(page, project);
/** The customer keys a table's rows link to. */
const listedKeys = (page: Page, table: string) =>
  page.$$eval(`${table} tbody th a`, (links) => links.map((a) => a.textContent ?? ''));
/** A segment table's rows: segment and customers. */
const segmentRows = (page: Page, dimension: string) =>
  page.$$eval(`section[data-dimension="${dimension}"] table tbody tr`, (rows) =>
    rows
      .map((row) => [row.querySelector('th')?.textContent ?? '', row.querySelector('td')?.textContent ?? ''])
      .sort(),
  );
const alertOf = async (page: Page) => {
  const alert = page.getByRole('alert');
  await alert.waitFor();
  return {
    title: await alert.getByRole('heading').textContent(),
    detail: await alert.locator('p').textContent(),
  };
};

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  project = await createTestProject(stack.clickhouse, 'console-customers');
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
      const customers = await queryApi<{ customers: Array<{ touchpoints: number }> }>(
        stack.queryUrl,
        project,
        'GET',
        '/customers?limit=1000',
      );
      expect(customers.body.customers.reduce((sum, c) => sum + c.touchpoints, 0)).toBe(sent.events.length);
    },
    { timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await browser?.close();
});

describe('the customer screens', () => {
  it('lists who dropped at a stage from the Journey drop-off, and opens a customer with its timeline', async () => {
    const expected = droppedAt(DROP_STAGE);
    expect(expected.length).toBeGreaterThan(2);
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/?from=${FROM}&to=${TO}&window=30d&mode=reached`);
    await signIn(page);

    await page.locator(`tr[data-stage="${DROP_NAME}"] a`).click();
    await poll(() => new URL(page.url()).pathname).toBe('/dropped');
    const search = new URL(page.url()).searchParams;
    expect(Object.fromEntries(search)).toEqual({
      stage: DROP_NAME,
      from: FROM,
      to: TO,
      window: '30d',
      mode: 'reached',
    });
    await poll(() => listedKeys(page, 'table.figures')).toEqual(expected);
    await screenshot(page, 'dropped');
    expect(await seriousViolations(page)).toEqual([]);

    // A page at a time, the cursor in the URL: following Next page lists the same customers.
    await page.goto(`${page.url()}&limit=2`);
    const paged: string[] = [];
    for (;;) {
      await poll(async () => (await listedKeys(page, 'table.figures')).length).toBeGreaterThan(0);
      paged.push(...(await listedKeys(page, 'table.figures')));
      const next = page.getByRole('link', { name: 'Next page' });
      if ((await next.count()) === 0) break;
      const before = page.url();
      await next.click();
      await poll(() => page.url()).not.toBe(before);
      expect(new URL(page.url()).searchParams.get('after')).not.toBeNull();
    }
    expect(paged).toEqual(expected);

    // A customer of the list: its profile and every touchpoint sent for it, newest first, with its stage.
    const key = expected[0] as string;
    await page.goto(`${stack.queryUrl}/dropped?stage=${DROP_NAME}&from=${FROM}&to=${TO}&window=30d`);
    await page.getByRole('link', { name: key, exact: true }).click();
    await poll(() => decodeURIComponent(new URL(page.url()).pathname)).toBe(`/customers/${key}`);
    const touchpoints = [...(sent.byCustomer.get(key) ?? [])].sort((a, b) => b.at - a.at);
    await poll(() => shownRows(page, 'table.timeline')).toHaveLength(touchpoints.length);
    const rows = await shownRows(page, 'table.timeline');
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual(
      touchpoints.map((t) => ['track', t.event, t.stage === 0 ? '—' : STAGE_NAMES[t.stage - 1]]),
    );
    const times = await page.$$eval('table.timeline tbody th time', (cells) =>
      cells.map((c) => Date.parse(c.getAttribute('datetime') ?? '')),
    );
    expect(times).toEqual(touchpoints.map((t) => t.at));
    const facts = page.getByRole('region', { name: 'Activity' });
    expect(await facts.locator('div', { hasText: 'Touchpoints' }).locator('dd').textContent()).toBe(
      String(touchpoints.length),
    );
    await screenshot(page, 'customer');
    expect(await seriousViolations(page)).toEqual([]);

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await poll(() => shownRows(page, 'table.timeline')).toHaveLength(touchpoints.length);
    await screenshot(page, 'customer-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it("lists who dropped in the Journey's mode: ordered counts differ from reached", async () => {
    const ordered = referenceFunnel('ordered');
    // A stage whose ordered droppers are not its reached ones, so a list that ignored the mode would fail.
    const stage = [2, 3, 4, 5, 6, 7].find(
      (k) => droppedAt(k, ordered).length > 0 && droppedAt(k, ordered).join() !== droppedAt(k).join(),
    );
    expect(stage).toBeDefined();
    const name = STAGE_NAMES[(stage as number) - 1] as string;
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/?from=${FROM}&to=${TO}&window=30d&mode=ordered`);
    await signIn(page);
    await page.locator(`tr[data-stage="${name}"] a`).click();
    await poll(() => new URL(page.url()).pathname).toBe('/dropped');
    expect(new URL(page.url()).searchParams.get('mode')).toBe('ordered');
    await poll(() => listedKeys(page, 'table.figures')).toEqual(droppedAt(stage as number, ordered));
    const previous = STAGE_NAMES[(stage as number) - 2] as string;
    expect(await page.locator('p.summary').first().textContent()).toContain(
      `counted at ${previous} and not at ${name} within 30d, in ordered mode`,
    );
    await screenshot(page, 'dropped-ordered');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('shows segment sizes by type as computed from what was sent, and a filtered list linking to customers', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/customers`);
    await signIn(page);
    await poll(() => segmentRows(page, 'type')).toEqual(expectedTypes());
    await page.locator('.rfm-chart svg').waitFor();
    await poll(async () => (await listedKeys(page, 'table.customer-list')).length).toBe(sent.byCustomer.size);
    await screenshot(page, 'customers');
    expect(await seriousViolations(page)).toEqual([]);

    // The type filter goes into the URL and lists exactly the customers of that type.
    await page.locator('select[name="type"]').selectOption('lost');
    await poll(() => new URL(page.url()).searchParams.get('type')).toBe('lost');
    const lost = [...sent.byCustomer]
      .filter(([, t]) => t.some((x) => x.stage === PURCHASE))
      .map(([key]) => key)
      .sort();
    await poll(() => listedKeys(page, 'table.customer-list')).toEqual(lost);
    await page.getByRole('link', { name: lost[0] as string, exact: true }).click();
    await poll(() => decodeURIComponent(new URL(page.url()).pathname)).toBe(`/customers/${lost[0]}`);
    await page.getByRole('region', { name: 'Customer model' }).waitFor();
    expect(
      await page
        .getByRole('region', { name: 'Customer model' })
        .locator('div', { hasText: 'Type' })
        .first()
        .locator('dd')
        .textContent(),
    ).toBe('lost');

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.queryUrl}/customers?dimension=furthest_stage`);
    await poll(() => segmentRows(page, 'type')).toEqual(expectedTypes());
    await page.locator('.rfm-chart svg').waitFor();
    await poll(async () => (await segmentRows(page, 'furthest_stage')).length).toBeGreaterThan(0);
    await poll(async () => (await listedKeys(page, 'table.customer-list')).length).toBe(sent.byCustomer.size);
    await screenshot(page, 'customers-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('says clearly what is wrong with hostile or unknown URL state', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/customers/%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
    await signIn(page);
    expect(await alertOf(page)).toEqual({
      title: 'The request is invalid',
      detail: expect.stringContaining('expected a customer key'),
    });
    await screenshot(page, 'customer-hostile');

    await page.goto(`${stack.queryUrl}/customers/${encodeURIComponent('a:nobody-sent-this')}`);
    expect(await alertOf(page)).toEqual({
      title: 'No such customer',
      detail: expect.stringContaining('The project has no customer a:nobody-sent-this'),
    });
    await screenshot(page, 'customer-unknown');

    const key = [...sent.byCustomer.keys()][0] as string;
    await page.goto(`${stack.queryUrl}/customers/${encodeURIComponent(key)}?before=%3Cscript%3E`);
    expect(await alertOf(page)).toEqual({
      title: 'The request is invalid',
      detail: expect.stringContaining('expected the `next` cursor'),
    });

    await page.goto(`${stack.queryUrl}/dropped?stage=discovery&from=${FROM}&to=${TO}`);
    expect((await alertOf(page)).detail).toContain('nobody drops at the funnel’s first stage');
    await page.goto(`${stack.queryUrl}/dropped?stage=%3Cscript%3E&from=${FROM}&to=${TO}`);
    expect((await alertOf(page)).detail).toContain('stage');

    await page.goto(`${stack.queryUrl}/customers?type=%3Cscript%3E`);
    expect((await alertOf(page)).detail).toContain('type');
    // The segments do not depend on the list's filters: they are still shown.
    await poll(() => segmentRows(page, 'type')).toEqual(expectedTypes());
    await screenshot(page, 'customers-hostile');
    expect(await seriousViolations(page)).toEqual([]);

    expect(seen.dialogs).toEqual([]);
    expect(seen.errors.filter((e) => !e.includes('400') && !e.includes('404'))).toEqual([]);
    await page.context().close();
  });
});
