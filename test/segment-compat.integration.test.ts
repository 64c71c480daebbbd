import { Analytics } from '@segment/analytics-node';
import { fetchStageFunnel } from '@waymark/cli';
import { describe, expect, it } from 'vitest';
import { createProjectAllowing } from './browser/support/stored.ts';
import { createTestProject, eventually, storedMessageIds, usePipeline } from './support/pipeline.ts';

// Segment's own server library, unchanged, pointed at the collector: docs/design.md §2 promises that any Segment
// client sends to Waymark. Its events must be stored and count in the stage funnel like our own.
const stack = usePipeline();

describe('@segment/analytics-node', () => {
  it('sends page, track, identify and alias that land and count in the stage funnel', async () => {
    const project = await createTestProject(stack.clickhouse, 'segment');
    const analytics = new Analytics({
      writeKey: project.writeKey,
      host: stack.collectorUrl,
      flushAt: 5,
      flushInterval: 100,
      maxRetries: 2,
    });
    const failures: unknown[] = [];
    analytics.on('error', (error) => failures.push(error));
    const start = Date.now();
    const at = (seconds: number) => new Date(start - 600_000 + seconds * 1000);

    // Customer 1 arrives anonymously from a search engine, is identified, then buys.
    analytics.page({
      anonymousId: 'anon-1',
      name: 'Home',
      properties: { url: 'https://shop.example/', path: '/', referrer: 'https://www.google.com/' },
      timestamp: at(0),
    });
    analytics.track({
      anonymousId: 'anon-1',
      event: 'Product Viewed',
      properties: { sku: 'A' },
      timestamp: at(10),
    });
    analytics.identify({
      anonymousId: 'anon-1',
      userId: 'user-1',
      traits: { plan: 'pro' },
      timestamp: at(20),
    });
    analytics.track({
      userId: 'user-1',
      event: 'Order Completed',
      properties: { revenue: 42, currency: 'EUR' },
      timestamp: at(30),
    });
    // Customer 2 arrives from a campaign, adds to cart, and signs up: alias ties the visit to the account.
    analytics.page({
      anonymousId: 'anon-2',
      name: 'Landing',
      properties: { url: 'https://shop.example/?utm_source=ads', path: '/', search: '?utm_source=ads' },
      context: { campaign: { source: 'ads', medium: 'cpc', name: 'spring' } },
      timestamp: at(40),
    });
    analytics.track({
      anonymousId: 'anon-2',
      event: 'Product Added',
      properties: { sku: 'B' },
      timestamp: at(50),
    });
    analytics.alias({ previousId: 'anon-2', userId: 'user-2', timestamp: at(60) });
    await analytics.closeAndFlush({ timeout: 15_000 });
    expect(failures).toEqual([]);

    await eventually(async () =>
      expect(await storedMessageIds(stack.clickhouse, project.projectId)).toHaveLength(7),
    );
    const stored = await stack.clickhouse.query({
      query: `SELECT type, event, anonymous_id, user_id, previous_id, stage, library_name, campaign_source
        FROM touchpoints FINAL WHERE project_id = {projectId:String} ORDER BY timestamp`,
      query_params: { projectId: project.projectId },
      format: 'JSONEachRow',
    });
    const rows = await stored.json<Record<string, string | number>>();
    expect(rows.map((r) => [r.type, r.event, r.stage])).toEqual([
      ['page', '', 1],
      ['track', 'Product Viewed', 2],
      ['identify', '', 0],
      ['track', 'Order Completed', 5],
      ['page', '', 1],
      ['track', 'Product Added', 4],
      ['alias', '', 0],
    ]);
    expect(rows[6]).toMatchObject({ user_id: 'user-2', previous_id: 'anon-2' });
    expect(rows[4]?.campaign_source).toBe('ads');
    expect(new Set(rows.map((r) => r.library_name))).toEqual(new Set(['@segment/analytics-node']));

    // Two customers, each followed from the anonymous visit through identify/alias.
    const stages = await eventually(async () => {
      const funnel = await fetchStageFunnel(stack.queryUrl, project.projectId, project.apiKey, {
        from: new Date(start - 3_600_000),
        to: new Date(start + 3_600_000),
      });
      expect(funnel.map((s) => s.customers)).toEqual([2, 2, 2, 2, 1, 0, 0]);
      return funnel;
    });
    expect(stages[4]).toMatchObject({ stage: 'purchase', conversionFromStart: 0.5 });
  });

  it('is not held to the browser origins: server libraries send no Origin', async () => {
    const project = await createProjectAllowing(stack.clickhouse, [], 'segment-server');
    const analytics = new Analytics({ writeKey: project.writeKey, host: stack.collectorUrl, flushAt: 1 });
    analytics.track({ userId: 'server-user', event: 'Subscription Renewed' });
    await analytics.closeAndFlush({ timeout: 15_000 });
    await eventually(async () =>
      expect(await storedMessageIds(stack.clickhouse, project.projectId)).toHaveLength(1),
    );
  });
});
