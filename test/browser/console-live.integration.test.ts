/// <reference lib="dom" />

import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  type TestProject,
  usePipeline,
} from '../support/pipeline.ts';
import {
  expectCleanPage,
  launchConsoleBrowser,
  openPage,
  poll,
  screenshot,
  seriousViolations,
  shownRows,
  signIn,
} from './support/console-page.ts';

/*
 * The Live screen in Chromium against the whole pipeline: opened on an empty project, it shows touchpoints
 * and rejected events sent while it is open, as the test sent them; paused, it stops refreshing.
 */
const stack = usePipeline();
let project: TestProject;
let browser: Browser;

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  project = await createTestProject(stack.clickhouse, 'console-live');
});

afterAll(async () => {
  await browser?.close();
});

/** A purchase (stage 5 of the default ruleset) from an email campaign, at a known event time. */
function purchase(anonymousId: string, timestamp: number) {
  return {
    type: 'track',
    event: 'Order Completed',
    messageId: randomUUID(),
    anonymousId,
    timestamp: new Date(timestamp).toISOString(),
    properties: { revenue: 30 },
    context: { campaign: { source: 'newsletter', medium: 'email' }, page: { path: '/checkout' } },
  };
}

/** The touchpoints table's cells (the received time is the row header) as the test expects them. */
const touchpointRow = (event: ReturnType<typeof purchase>) => [
  event.timestamp,
  'track',
  'Order Completed',
  `a:${event.anonymousId}`,
  '5 purchase',
  'email',
  '/checkout',
];

describe('the Live screen', () => {
  it('shows touchpoints and rejected events as they arrive, and stops refreshing when paused', async () => {
    const { page, seen } = await openPage(browser, stack.queryUrl);
    await page.goto(`${stack.queryUrl}/live`);
    await signIn(page, project);
    await page.getByRole('heading', { name: 'Nothing has arrived yet' }).waitFor();
    await poll(() => page.locator('.empty').textContent()).toContain(`curl -u ${project.writeKey}:`);
    await screenshot(page, 'live-empty');
    expect(await seriousViolations(page)).toEqual([]);

    const first = purchase('visitor-live', Date.now() - 60_000);
    const invalid = { type: 'track', messageId: randomUUID(), anonymousId: 'visitor-live' };
    const answer = await postBatch(stack.collectorUrl, project.writeKey, { batch: [first, invalid] });
    expect(answer.status).toBe(200);
    const reason = answer.body.rejected?.[0]?.errors.join('; ') ?? '';
    expect(reason).not.toBe('');

    await poll(() => shownRows(page, 'table.live-touchpoints')).toEqual([touchpointRow(first)]);
    await poll(async () =>
      (await shownRows(page, 'table.live-rejections')).map((row) => row.slice(0, 6)),
    ).toEqual([['collector', 'INVALID_EVENT', reason, 'track', '—', invalid.messageId]]);
    expect(await page.locator('table.live-rejections .excerpt').textContent()).toBe(JSON.stringify(invalid));
    await screenshot(page, 'live');
    expect(await seriousViolations(page)).toEqual([]);

    // Paused: a touchpoint the API already lists is not shown until resumed.
    await page.getByRole('button', { name: 'Pause' }).click();
    await poll(() => new URL(page.url()).searchParams.get('paused')).toBe('1');
    const second = purchase('visitor-later', Date.now() - 30_000);
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch: [second] })).status).toBe(200);
    await eventually(async () => {
      const { body } = await queryApi<{ touchpoints: unknown[] }>(stack.queryUrl, project, 'GET', '/live');
      expect(body.touchpoints).toHaveLength(2);
    });
    expect(await shownRows(page, 'table.live-touchpoints')).toEqual([touchpointRow(first)]);
    await page.getByRole('button', { name: 'Resume' }).click();
    await poll(() => shownRows(page, 'table.live-touchpoints')).toEqual([
      touchpointRow(second),
      touchpointRow(first),
    ]);

    // On a phone, in dark mode.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await poll(() => shownRows(page, 'table.live-touchpoints')).toHaveLength(2);
    await screenshot(page, 'live-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('says what is wrong with a hostile since in the URL', async () => {
    const { page, seen } = await openPage(browser, stack.queryUrl);
    await page.goto(`${stack.queryUrl}/live?since=%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
    await signIn(page, project);
    const problem = page.getByRole('alert');
    await problem.waitFor();
    expect(await problem.getByRole('heading').textContent()).toBe('The request is invalid');
    expect(await problem.locator('p').textContent()).toContain('since');
    expect(seen.dialogs).toEqual([]);
    await screenshot(page, 'live-error');
    expect(seen.errors.filter((e) => !e.includes('400'))).toEqual([]);
    await page.context().close();
  });
});
