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
  downloadCsv,
  expectCleanPage,
  launchConsoleBrowser,
  openPage,
  poll,
  readCsv,
  screenshot,
  seriousViolations,
  shownCells,
  shownRows,
  signIn,
} from './support/console-page.ts';

/*
 * CSV export of table views (TableScroll's Download CSV) in a real Chromium: the Journey's stage funnel
 * and the Customers list download as files equal to the table on screen, each formatted cell replaced by
 * its exact value, the figures those of a reference funnel computed from what was sent; an event name
 * that a spreadsheet would run as a formula arrives neutralised.
 */

const stack = usePipeline();
let project: TestProject;
let browser: Browser;

const T0 = Date.UTC(2025, 6, 1);
const FROM = '2025-07-01';
const TO = '2025-07-08';
/** A name a sender may choose: a spreadsheet would run it, and it holds quotes and a comma. */
const HOSTILE_EVENT = '=HYPERLINK("http://evil.example/?x","click me")';
const HOSTILE_CUSTOMER = 'a:shopper-hostile';

function generate(shoppers: number) {
  const random = seededRandom(21);
  const events: Record<string, unknown>[] = [];
  const touchpoints: ReferenceTouchpoint[] = [];
  for (let i = 0; i < shoppers; i++) {
    const key = `a:shopper-${String(i).padStart(2, '0')}`;
    let at = T0 + Math.floor(random() * 6 * DAY);
    const furthest = 1 + Math.floor(random() * 7);
    for (let stage = 1; stage <= furthest; stage++) {
      const messageId = `c-${i}-${stage}`;
      events.push({
        type: 'track',
        event: STAGE_EVENTS[stage],
        anonymousId: key.slice(2),
        messageId,
        timestamp: new Date(at).toISOString(),
      });
      touchpoints.push({ projectId: '', messageId, rawKey: key, timestamp: at, stage });
      at += Math.floor(random() * 30 * HOUR);
    }
  }
  events.push({
    type: 'track',
    event: HOSTILE_EVENT,
    anonymousId: HOSTILE_CUSTOMER.slice(2),
    messageId: 'c-hostile',
    timestamp: new Date(T0 + DAY).toISOString(),
  });
  return { events, touchpoints };
}

const sent = generate(30);
const funnel = referenceStageFunnel(sent.touchpoints, [], {
  projectId: '',
  from: T0,
  to: T0 + 7 * DAY,
  windowMs: 30 * DAY,
  mode: 'reached',
});

const count = (n: number) => n.toLocaleString('en-US');
const percent = (f: number) => `${(f * 100).toFixed(1)}%`;

/**
 * The downloaded CSV is the table on screen: the same header, and in every cell the text shown or, where
 * the cell is a formatted figure, its exact value. Returns the records.
 */
async function expectCsvOfTable(page: Page, region: string, file: string): Promise<string[][]> {
  const cells = await shownCells(page, region);
  const csv = await downloadCsv(page, region);
  expect(csv.name).toBe(file);
  const records = readCsv(csv.text);
  expect(records).toEqual(cells.map((row) => row.map((cell) => cell.raw ?? cell.text)));
  return records;
}

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  project = await createTestProject(stack.clickhouse, 'console-csv');
  await eventually(async () => {
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch: sent.events })).status).toBe(200);
  });
  await eventually(
    async () => {
      const { body } = await queryApi<{ customers: Array<{ touchpoints: number }> }>(
        stack.queryUrl,
        project,
        'GET',
        '/customers?limit=1000',
      );
      expect(body.customers.reduce((sum, c) => sum + c.touchpoints, 0)).toBe(sent.events.length);
    },
    { timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await browser?.close();
});

describe('CSV export of table views', () => {
  it('downloads the Journey stage funnel as shown, with the exact figures of the reference funnel', async () => {
    const { page, seen } = await openPage(browser, stack.queryUrl);
    await page.goto(`${stack.queryUrl}/?from=${FROM}&to=${TO}&window=30d&mode=reached`);
    await signIn(page, project);
    await poll(async () => (await shownRows(page)).map((row) => row[0])).toEqual(
      funnel.stages.map((s) => count(s.customers)),
    );
    const [header, ...rows] = await expectCsvOfTable(
      page,
      'Stage funnel table',
      'journey-stage-funnel-table.csv',
    );
    expect(header).toEqual([
      'Stage',
      'Customers',
      'From start',
      'From previous',
      'Drop-off',
      'Median to next',
      'p90 to next',
    ]);
    expect(rows.map((row) => [row[0], Number(row[1])])).toEqual(
      funnel.stages.map((s, i) => [`${i + 1}. ${STAGE_NAMES[i]}`, s.customers]),
    );
    rows.forEach((row, i) => {
      const stage = funnel.stages[i] as (typeof funnel.stages)[number];
      expect(Number(row[2])).toBeCloseTo(stage.conversionFromStart, 12);
      expect(Number(row[3])).toBeCloseTo(stage.conversionFromPrevious, 12);
      expect(Number(row[4])).toBeCloseTo(stage.dropOff, 12);
    });
    // What the table shows is the exact value, formatted.
    const cells = await shownCells(page, 'Stage funnel table');
    for (const row of cells.slice(1)) {
      expect(row[1]?.text).toBe(count(Number(row[1]?.raw)));
      for (const cell of row.slice(2, 5)) expect(cell.text).toBe(percent(Number(cell.raw)));
    }
    await screenshot(page, 'csv-journey');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('downloads the Customers list as shown, and neutralises a formula in an event name', async () => {
    const { page, seen } = await openPage(browser, stack.queryUrl);
    await page.goto(`${stack.queryUrl}/customers`);
    await signIn(page, project);
    const keys = [...new Set(sent.touchpoints.map((t) => t.rawKey)), HOSTILE_CUSTOMER].sort();
    await poll(() =>
      page.$$eval('table.customer-list tbody th a', (links) => links.map((a) => a.textContent ?? '')),
    ).toEqual(keys);
    const [header, ...rows] = await expectCsvOfTable(
      page,
      'Customers table',
      'customers-customers-table.csv',
    );
    expect(header?.slice(0, 2)).toEqual(['Customer', 'Type']);
    const touchpoints = new Map<string, number>();
    for (const t of sent.touchpoints) touchpoints.set(t.rawKey, (touchpoints.get(t.rawKey) ?? 0) + 1);
    touchpoints.set(HOSTILE_CUSTOMER, 1);
    expect(rows.map((row) => [row[0], Number(row[5])])).toEqual(
      keys.map((key) => [key, touchpoints.get(key)]),
    );
    // Last seen: the exact instant, not the shown minute.
    for (const row of rows) expect(Number.isNaN(Date.parse(row[8] as string))).toBe(false);
    await screenshot(page, 'csv-customers');
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${stack.queryUrl}/customers/${encodeURIComponent(HOSTILE_CUSTOMER)}`);
    await poll(() => shownRows(page, 'table.timeline')).toHaveLength(1);
    const csv = await downloadCsv(page, 'Timeline table');
    expect(csv.name).toBe('customers-timeline-table.csv');
    expect(csv.text).toContain(`"'=HYPERLINK(""http://evil.example/?x"",""click me"")"`);
    expect(readCsv(csv.text)[1]?.[2]).toBe(`'${HOSTILE_EVENT}`);
    expectCleanPage(seen, project);
    await page.context().close();
  });
});
