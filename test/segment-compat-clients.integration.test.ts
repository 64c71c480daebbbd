import { Analytics as CustomerIoAnalytics } from '@customerio/cdp-analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import LegacySegmentAnalytics from 'analytics-node';
import { describe, expect, it } from 'vitest';
import { createTestProject, eventually, type TestProject, usePipeline } from './support/pipeline.ts';

// Server-side Segment-spec libraries from npm other than @segment/analytics-node (segment-compat), each
// unchanged with its defaults, through the real collector → Kafka → processor → ClickHouse. Each event must
// be stored exactly once, whatever the library does on the wire (RudderStack gzips and calls it a form).
const stack = usePipeline();

/** Stored touchpoints per messageId (FINAL: after dedup, as every metric reads them). */
async function storedCounts(project: TestProject) {
  const result = await stack.clickhouse.query({
    query: `SELECT message_id, count() AS copies, any(type) AS type, any(library_name) AS library, sum(revenue) AS revenue
      FROM touchpoints FINAL WHERE project_id = {projectId:String} GROUP BY message_id ORDER BY message_id`,
    query_params: { projectId: project.projectId },
    format: 'JSONEachRow',
  });
  return result.json<{
    message_id: string;
    copies: string | number;
    type: string;
    library: string;
    revenue: number;
  }>();
}

/** Waits until exactly `expected` distinct events are stored, each once; returns them. */
async function expectStoredOnce(project: TestProject, expected: number) {
  return eventually(async () => {
    const rows = await storedCounts(project);
    expect(rows).toHaveLength(expected);
    for (const row of rows) expect(Number(row.copies), row.message_id).toBe(1);
    return rows;
  });
}

const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000);

describe('@rudderstack/rudder-sdk-node (gzip on, its default)', () => {
  it('sends track, page, identify, group and alias that are stored exactly once', async () => {
    const project = await createTestProject(stack.clickhouse, 'rudder');
    const errors: unknown[] = [];
    const client = new RudderAnalytics(project.writeKey, {
      dataPlaneUrl: stack.collectorUrl,
      flushAt: 3,
      logLevel: 'error',
      errorHandler: (error) => errors.push(error),
    });
    client.page({ anonymousId: 'r-anon', name: 'Home', properties: { path: '/' }, timestamp: at(50) });
    client.track({
      anonymousId: 'r-anon',
      event: 'Product Viewed',
      properties: { sku: 'A' },
      timestamp: at(40),
    });
    client.identify({ anonymousId: 'r-anon', userId: 'r-user', traits: { plan: 'pro' }, timestamp: at(30) });
    client.group({ userId: 'r-user', groupId: 'r-company', traits: { seats: 5 }, timestamp: at(20) });
    client.track({
      userId: 'r-user',
      event: 'Order Completed',
      properties: { revenue: 19.5 },
      timestamp: at(10),
    });
    client.alias({ userId: 'r-user', previousId: 'r-anon' });
    await client.flush();
    await client.flush();
    expect(errors).toEqual([]);

    const rows = await expectStoredOnce(project, 6);
    expect(new Set(rows.map((r) => r.type))).toEqual(
      new Set(['page', 'track', 'identify', 'group', 'alias']),
    );
    expect(rows.reduce((sum, r) => sum + r.revenue, 0)).toBe(19.5);
  });

  it('reads the message of a problem body when the collector refuses a batch', async () => {
    const errors: Array<{ response?: { status: number; data: { message?: string } } }> = [];
    const client = new RudderAnalytics('wk_unknown', {
      dataPlaneUrl: stack.collectorUrl,
      flushAt: 1,
      retryCount: 0,
      logLevel: 'error',
      errorHandler: (error) => errors.push(error),
    });
    client.track({ userId: 'nobody', event: 'Refused' });
    await client.flush();
    await eventually(async () => expect(errors).toHaveLength(1));
    expect(errors[0]?.response?.status).toBe(401);
    expect(errors[0]?.response?.data.message).toBe('Unknown write key');
  });
});

describe('analytics-node (Segment’s legacy server library)', () => {
  it('sends track, page, identify, group and alias that are stored exactly once', async () => {
    const project = await createTestProject(stack.clickhouse, 'legacy-segment');
    const client = new LegacySegmentAnalytics(project.writeKey, { host: stack.collectorUrl, flushAt: 10 });
    client.page({
      anonymousId: 'l-anon',
      name: 'Pricing',
      properties: { path: '/pricing' },
      timestamp: at(40),
    });
    client.identify({ anonymousId: 'l-anon', userId: 'l-user', traits: { email: 'l@example.com' } });
    client.group({ userId: 'l-user', groupId: 'l-company' });
    client.track({ userId: 'l-user', event: 'Order Completed', properties: { total: 7 }, timestamp: at(5) });
    client.alias({ userId: 'l-user', previousId: 'l-anon' });
    await client.flush();

    const rows = await expectStoredOnce(project, 5);
    expect(new Set(rows.map((r) => r.library))).toEqual(new Set(['analytics-node']));
    expect(rows.reduce((sum, r) => sum + r.revenue, 0)).toBe(7);
  });
});

describe('@customerio/cdp-analytics-node (a Segment analytics-node fork)', () => {
  it('sends track, page, identify, group and alias that are stored exactly once', async () => {
    const project = await createTestProject(stack.clickhouse, 'customerio');
    const client = new CustomerIoAnalytics({
      writeKey: project.writeKey,
      host: stack.collectorUrl,
      maxEventsInBatch: 5,
    });
    const failures: unknown[] = [];
    client.on('error', (error) => failures.push(error));
    client.page({ anonymousId: 'c-anon', name: 'Blog', properties: { path: '/blog/x' } });
    client.identify({ anonymousId: 'c-anon', userId: 'c-user', traits: { name: 'C' } });
    client.group({ userId: 'c-user', groupId: 'c-company', traits: { industry: 'retail' } });
    client.track({ userId: 'c-user', event: 'Order Completed', properties: { revenue: 3 } });
    client.alias({ userId: 'c-user', previousId: 'c-anon' });
    await client.closeAndFlush({ timeout: 15_000 });
    expect(failures).toEqual([]);

    const rows = await expectStoredOnce(project, 5);
    expect(rows.reduce((sum, r) => sum + r.revenue, 0)).toBe(3);
  });
});
