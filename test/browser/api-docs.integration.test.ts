/// <reference lib="dom" />

import { buildQueryApp, loadQueryEnv, webhooksFromEnv } from '@waymark/query';
import { openTestClickHouse, TEST_WEBHOOK_ENV, type TestClickHouse, testLogger } from '@waymark/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.ts';

// The interactive API reference renders the whole OpenAPI document in a real browser, from local assets.
let ch: TestClickHouse;
let browser: Browser;
let url: string;
const app = () =>
  buildQueryApp({
    logger: testLogger('docs'),
    clickhouse: ch.client,
    webhooks: webhooksFromEnv(loadQueryEnv(TEST_WEBHOOK_ENV)),
    apiKeyOwners: () => [],
  });
let query: ReturnType<typeof app>;

beforeAll(async () => {
  [ch, browser] = await Promise.all([openTestClickHouse(), launchChromium()]);
  query = app();
  url = await query.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await browser?.close();
  await query?.close();
  await ch?.close();
});

describe('API reference page', () => {
  it('lists every operation of the OpenAPI document, with no page error and no outside request', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    const outside: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('request', (request) => {
      if (!request.url().startsWith(url)) outside.push(request.url());
    });
    await page.goto(`${url}/docs`);
    await page.waitForSelector('.swagger-ui .info .title');
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, object> };
    const operations = Object.values(document.paths).reduce(
      (n, methods) => n + Object.keys(methods).length,
      0,
    );
    await expect.poll(() => page.locator('.opblock').count()).toBe(operations);
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  });
});
