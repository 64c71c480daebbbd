/// <reference lib="dom" />
// Callbacks passed to page.evaluate run in the page: they are typed against the DOM.
import { openTestClickHouse, type TestClickHouse, testKafkaBrokers } from '@waymark/testing';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Pipeline, startPipeline } from '../support/pipeline.ts';
import { launchChromium } from './support/chromium.ts';
import { type Site, startSite } from './support/site-server.ts';
import { createProjectAllowing, storedTouchpoints } from './support/stored.ts';

// Segment's browser library (analytics.js 2.0, @segment/analytics-next) from npm, bundled here, configured
// without Segment's CDN: its settings are given inline (`cdnSettings`) and its Segment.io destination points
// at the collector, which accepts analytics.js's short paths (/v1/t, /v1/p, /v1/i …).
let ch: TestClickHouse;
let pipeline: Pipeline;
let browser: Browser;
let site: Site;

beforeAll(async () => {
  [ch, browser, site] = await Promise.all([openTestClickHouse(), launchChromium(), startSite()]);
  pipeline = await startPipeline({ brokers: testKafkaBrokers(), clickhouse: ch.client });
  const bundle = await build({
    stdin: {
      contents:
        "import { AnalyticsBrowser } from '@segment/analytics-next'; window.AnalyticsBrowser = AnalyticsBrowser;",
      resolveDir: new URL('.', import.meta.url).pathname,
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    minify: true,
    write: false,
    logLevel: 'error',
  });
  site.script('/vendor/analytics-next.js', bundle.outputFiles[0]?.text ?? '');
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await pipeline?.stop();
  await ch?.close();
});

describe('@segment/analytics-next in Chromium', () => {
  it('sends page, track, identify and alias to the collector without loading anything from Segment', async () => {
    const project = await createProjectAllowing(ch.client, [site.origin], 'analytics-next');
    const apiHost = `${new URL(pipeline.collectorUrl).host}/v1`;
    site.embed({ html: '<script src="/vendor/analytics-next.js"></script>' });
    const context = await browser.newContext();
    const elsewhere: string[] = [];
    context.on('request', (request) => {
      if (!/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(request.url())) elsewhere.push(request.url());
    });
    const page = await context.newPage();
    await page.goto(site.url('/products/lamp?utm_source=newsletter'));
    const errors = await page.evaluate(
      async ({ writeKey, apiHost }) => {
        const segmentIo = { apiKey: writeKey, apiHost, protocol: 'http' };
        const { AnalyticsBrowser } = window as unknown as {
          AnalyticsBrowser: {
            load(
              settings: Record<string, unknown>,
              options: Record<string, unknown>,
            ): PromiseLike<[Record<string, (...args: unknown[]) => Promise<unknown>>, unknown]>;
          };
        };
        const [analytics] = await AnalyticsBrowser.load(
          { writeKey, cdnSettings: { integrations: { 'Segment.io': segmentIo } } },
          { integrations: { 'Segment.io': segmentIo } },
        );
        const problems: string[] = [];
        for (const [method, args] of [
          ['page', []],
          ['track', ['Product Viewed', { sku: 'LAMP' }]],
          ['identify', ['user-9', { plan: 'pro' }]],
          ['alias', ['user-9-new', 'user-9']],
        ] as const) {
          const ctx = (await analytics[method]?.(...args)) as { failedDelivery?: () => unknown } | undefined;
          if (ctx?.failedDelivery?.()) problems.push(`${method} failed`);
        }
        return problems;
      },
      { writeKey: project.writeKey, apiHost },
    );
    expect(errors).toEqual([]);

    const stored = await eventually(async () => {
      const rows = await storedTouchpoints(ch.client, project.projectId);
      expect(rows).toHaveLength(4);
      return rows;
    });
    expect(stored.map((t) => [t.type, t.event, t.stage])).toEqual([
      ['page', '', 2],
      ['track', 'Product Viewed', 2],
      ['identify', '', 0],
      ['alias', '', 0],
    ]);
    expect(stored[0]).toMatchObject({ page_path: '/products/lamp', campaign_source: 'newsletter' });
    expect(stored[2]?.user_id).toBe('user-9');
    expect(new Set(stored.map((t) => t.library_name))).toEqual(new Set(['analytics.js']));
    expect(elsewhere).toEqual([]);
  });
});
