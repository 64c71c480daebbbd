/// <reference lib="dom" />

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestProject } from '../../support/pipeline.ts';
import { launchChromium } from './chromium.ts';

/*
 * What every console test needs: a Chromium, a page that records what must stay empty (page errors,
 * requests to anywhere but the query service, the API key in a URL), sign-in, screenshots where the
 * issue asks for them (test-results/console/), axe.
 */

const CONSOLE_INDEX = fileURLToPath(new URL('../../../packages/console/dist/index.html', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../../test-results/console', import.meta.url));

export async function launchConsoleBrowser(): Promise<Browser> {
  if (!existsSync(CONSOLE_INDEX)) {
    throw new Error(
      'the console is not built: run `pnpm --filter @waymark/console build` (pnpm test builds it)',
    );
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  return launchChromium();
}

/** Waits for what the page shows (vitest's default of 1 s is short on a busy 2-core machine). */
export const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 30_000, interval: 100 });

/** Saves the whole page as test-results/console/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** axe-core's serious and critical violations on the page, readable in a failed assertion. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

export interface SeenByPage {
  readonly errors: string[];
  /** Requests to anywhere but the query service: the console loads nothing from outside. */
  readonly outside: string[];
  readonly urls: string[];
  readonly dialogs: string[];
}

/** A page in a context of its own (axe opens a page in the page's context), recording what it saw. */
export async function openPage(
  browser: Browser,
  queryUrl: string,
  viewport = { width: 1280, height: 800 },
): Promise<{ page: Page; seen: SeenByPage }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const seen: SeenByPage = { errors: [], outside: [], urls: [], dialogs: [] };
  page.on('dialog', (dialog) => {
    seen.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => seen.errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push(message.text());
  });
  page.on('request', (request) => {
    seen.urls.push(request.url());
    if (!request.url().startsWith(queryUrl)) seen.outside.push(request.url());
  });
  page.on('framenavigated', (frame) => seen.urls.push(frame.url()));
  return { page, seen };
}

/** Signs in on the sign-in form the page shows. */
export async function signIn(page: Page, project: TestProject): Promise<void> {
  await page.getByLabel('Project id').fill(project.projectId);
  await page.getByLabel('API key').fill(project.apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * A table's body as shown: each cell's text, a duration cell by its machine-readable `datetime`, so a
 * test compares exact figures rather than their rounded display.
 */
export function shownRows(page: Page, table = 'table.figures'): Promise<string[][]> {
  return page.$$eval(`${table} tbody tr`, (rows) =>
    rows.map((row) =>
      Array.from(row.querySelectorAll('td')).map(
        (cell) => cell.querySelector('time')?.getAttribute('datetime') ?? cell.textContent ?? '',
      ),
    ),
  );
}

/** What the page must not have done by the end of a test. */
export function expectCleanPage(seen: SeenByPage, project: TestProject): void {
  expect(seen.errors).toEqual([]);
  expect(seen.outside).toEqual([]);
  expect(seen.urls.filter((url) => url.includes(project.apiKey))).toEqual([]);
}

/** A table region's cells as shown: each cell's text and the raw value of its `data-csv`, if any. */
export function shownCells(
  page: Page,
  region: string,
): Promise<Array<Array<{ text: string; raw: string | null }>>> {
  return page
    .getByRole('region', { name: region, exact: true })
    .locator('table')
    .evaluate((table: HTMLTableElement) =>
      Array.from(table.rows, (row) =>
        Array.from(row.cells, (cell) => ({
          text: cell.textContent?.trim() ?? '',
          raw:
            (cell.hasAttribute('data-csv') ? cell : cell.querySelector('[data-csv]'))?.getAttribute(
              'data-csv',
            ) ?? null,
        })),
      ),
    );
}

/** Clicks the table region's Download CSV button: the file's suggested name and its text. */
export async function downloadCsv(page: Page, region: string): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page
      .getByRole('region', { name: region, exact: true })
      .getByRole('button', { name: 'Download CSV' })
      .click(),
  ]);
  return { name: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') };
}

/** An RFC 4180 reader (quoted fields, doubled quotes, CRLF records), apart from the console's writer. */
export function readCsv(text: string): string[][] {
  expect(text.endsWith('\r\n')).toBe(true);
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  return records;
}
