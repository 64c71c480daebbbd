import { expectedReached, fetchStageFunnel, generateShoppers, runDemo, sendEvents } from '@waymark/cli';
import { TOPICS } from '@waymark/kafka';
import { testKafka } from '@waymark/testing';
import { describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  storedMessageIds,
  usePipeline,
} from './support/pipeline.ts';

const stack = usePipeline();

describe('collector → Kafka → processor → ClickHouse → query', () => {
  it('answers the stage funnel of a known population of shoppers', async () => {
    const project = await createTestProject(stack.clickhouse);
    const start = new Date(Date.now() - 3 * 60 * 60 * 1000);
    const shoppers = generateShoppers({
      customers: 80,
      seed: 7,
      start,
      spreadMs: 30 * 60 * 1000,
      idPrefix: project.projectId,
    });
    const events = shoppers.flatMap((s) => s.events);
    expect(await sendEvents(stack.collectorUrl, project.writeKey, events)).toBe(events.length);

    // Expected numbers come from the generator's own plan, not from ClickHouse.
    const expected = expectedReached(shoppers);
    const range = { from: new Date(start.getTime() - 60_000), to: new Date() };
    const stages = await eventually(async () => {
      const s = await fetchStageFunnel(stack.queryUrl, project.projectId, project.apiKey, range);
      expect(s.map((x) => x.customers)).toEqual(expected);
      return s;
    });
    expect(stages.map((s) => s.stage)).toEqual([
      'discovery',
      'consideration',
      'evaluation',
      'selection',
      'purchase',
      'use',
      'advocacy',
    ]);
    const first = expected[0] ?? 0;
    stages.forEach((stage, i) => {
      const previous = i === 0 ? first : (expected[i - 1] ?? 0);
      const n = expected[i] ?? 0;
      expect(stage.conversionFromStart).toBeCloseTo(n / first, 10);
      expect(stage.conversionFromPrevious).toBeCloseTo(previous === 0 ? 0 : n / previous, 10);
      expect(stage.dropOff).toBeCloseTo(1 - stage.conversionFromPrevious, 10);
    });
    // Times between stages, computed from the generator's plan: per customer the first time at a stage
    // ≥ k, then the median and p90 (linear interpolation) of first(≥k) − first(≥k−1) over those at k.
    const firstAt = shoppers.map((shopper) =>
      [1, 2, 3, 4, 5, 6, 7].map((k) =>
        Math.min(...shopper.plan.filter((p) => p.stage >= k).map((p) => p.at)),
      ),
    );
    const quantile = (values: number[], q: number) => {
      const sorted = [...values].sort((a, b) => a - b);
      const pos = (sorted.length - 1) * q;
      const lo = Math.floor(pos);
      return (sorted[lo] ?? 0) + ((sorted[Math.ceil(pos)] ?? 0) - (sorted[lo] ?? 0)) * (pos - lo);
    };
    for (const stage of stages.slice(1)) {
      const k = stage.index - 1;
      const gaps = firstAt
        .filter((f) => Number.isFinite(f[k] ?? Number.NaN))
        .map((f) => ((f[k] ?? 0) - (f[k - 1] ?? 0)) / 1000);
      if (gaps.length === 0) {
        expect(stage.medianSecondsFromPrevious).toBeNull();
        continue;
      }
      // The collector's clock-skew correction moves each batch by the request's transit time: allow 2 s.
      expect(Math.abs((stage.medianSecondsFromPrevious ?? Number.NaN) - quantile(gaps, 0.5))).toBeLessThan(2);
      expect(Math.abs((stage.p90SecondsFromPrevious ?? Number.NaN) - quantile(gaps, 0.9))).toBeLessThan(2);
    }
  });

  it('prints the demo funnel once every shopper is stored and merged, never a customer counted twice', async () => {
    const project = await createTestProject(stack.clickhouse);
    const printed: string[] = [];
    const customers = 120;
    const stages = await runDemo({
      collectorUrl: stack.collectorUrl,
      queryUrl: stack.queryUrl,
      ...project,
      customers,
      print: (line) => printed.push(line),
    });
    expect(printed.join('\n')).not.toContain('Not all shoppers were processed');
    // Every shopper enters once: a shopper whose identify is not stored yet would be two customers here.
    expect(stages[0]?.customers).toBe(customers);
    expect(
      printed
        .join('\n')
        .split('\n')
        .find((line) => line.startsWith('1 discovery')),
    ).toMatch(new RegExp(`^1 discovery +${customers} `));
    // What was printed is what the funnel answers once everything is in.
    const window = { from: new Date(Date.now() - 7 * 3_600_000), to: new Date(Date.now() + 60_000) };
    const again = await fetchStageFunnel(stack.queryUrl, project.projectId, project.apiKey, window);
    expect(again.map((s) => s.customers)).toEqual(stages.map((s) => s.customers));
  });

  it('accepts the valid events of a batch, reports the invalid ones, and stores only the valid ones', async () => {
    const project = await createTestProject(stack.clickhouse);
    const now = new Date().toISOString();
    const response = await postBatch(stack.collectorUrl, project.writeKey, {
      batch: [
        { type: 'track', event: 'Product Viewed', anonymousId: 'a1', messageId: 'ok-1', timestamp: now },
        { type: 'track', anonymousId: 'a1', messageId: 'bad-no-event' },
        { type: 'page', messageId: 'bad-no-id', name: 'Home' },
        { type: 'page', anonymousId: 'a1', messageId: 'ok-2', context: { page: { path: '/pricing' } } },
      ],
      sentAt: now,
    });
    expect(response.status).toBe(200);
    expect(response.body.accepted).toBe(2);
    expect((response.body.rejected ?? []).map((r) => [r.index, r.messageId])).toEqual([
      [1, 'bad-no-event'],
      [2, 'bad-no-id'],
    ]);
    await eventually(async () =>
      expect(await storedMessageIds(stack.clickhouse, project.projectId)).toEqual(['ok-1', 'ok-2']),
    );
  });

  it('counts a batch delivered twice once', async () => {
    const project = await createTestProject(stack.clickhouse);
    const now = Date.now();
    const batch = {
      batch: [
        {
          type: 'page',
          anonymousId: 'twice',
          messageId: 'dup-1',
          timestamp: new Date(now - 2000).toISOString(),
          context: { page: { path: '/products/x' } },
        },
        {
          type: 'track',
          event: 'Order Completed',
          anonymousId: 'twice',
          messageId: 'dup-2',
          properties: { revenue: 10 },
          timestamp: new Date(now - 1000).toISOString(),
        },
      ],
      sentAt: new Date(now).toISOString(),
    };
    expect((await postBatch(stack.collectorUrl, project.writeKey, batch)).status).toBe(200);
    // A retry after a lost response: same messageIds, a later sentAt (so the corrected times differ slightly).
    expect(
      (
        await postBatch(stack.collectorUrl, project.writeKey, {
          ...batch,
          sentAt: new Date(now + 1500).toISOString(),
        })
      ).status,
    ).toBe(200);

    // One customer's events share a partition, so once this later one is stored both copies were processed.
    const sentinel = { type: 'track', event: 'Help Viewed', anonymousId: 'twice', messageId: 'dup-sentinel' };
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch: [sentinel] })).status).toBe(200);
    await eventually(async () =>
      expect(await storedMessageIds(stack.clickhouse, project.projectId)).toEqual([
        'dup-1',
        'dup-2',
        'dup-sentinel',
      ]),
    );
    const stages = await fetchStageFunnel(stack.queryUrl, project.projectId, project.apiKey, {
      from: new Date(now - 60_000),
      to: new Date(now + 60_000),
    });
    expect(stages.map((s) => s.customers)).toEqual([1, 1, 1, 1, 1, 0, 0]);
  });

  it('sends an undecodable Kafka record to the dead-letter topic and keeps going', async () => {
    const project = await createTestProject(stack.clickhouse);
    const kafka = testKafka();
    const dlq = kafka.consumer({ groupId: `${project.projectId}-dlq-reader` });
    const letters: Array<{ reason: string; value: string }> = [];
    await dlq.connect();
    await dlq.subscribe({ topic: TOPICS.eventsDlq, fromBeginning: true });
    await dlq.run({
      eachMessage: async ({ message }) => {
        letters.push({
          reason: String(message.headers?.['waymark-dlq-reason'] ?? ''),
          value: String(message.value),
        });
      },
    });
    const producer = kafka.producer();
    await producer.connect();
    const poison = `not avro ${project.projectId}`;
    await producer.send({ topic: TOPICS.events, messages: [{ key: project.projectId, value: poison }] });
    await producer.disconnect();

    const response = await postBatch(stack.collectorUrl, project.writeKey, {
      batch: [
        { type: 'track', event: 'Product Viewed', anonymousId: 'after-poison', messageId: 'after-poison-1' },
      ],
    });
    expect(response.status).toBe(200);
    await eventually(async () =>
      expect(await storedMessageIds(stack.clickhouse, project.projectId)).toEqual(['after-poison-1']),
    );
    await eventually(async () => expect(letters.find((l) => l.value === poison)?.reason).toBe('bad-magic'));
    await dlq.disconnect();
  });

  it('stores the acquisition channel of each touchpoint', async () => {
    const project = await createTestProject(stack.clickhouse);
    const page = (messageId: string, url: string, referrer = '') => ({
      type: 'page',
      anonymousId: messageId,
      messageId,
      context: { page: { url, referrer } },
    });
    const response = await postBatch(stack.collectorUrl, project.writeKey, {
      batch: [
        page('from-newsletter', 'https://shop.example/?utm_source=newsletter&utm_medium=email'),
        page('from-ads', 'https://shop.example/?gclid=abc123'),
        page('from-search', 'https://shop.example/', 'https://www.google.com/'),
        page('from-blog', 'https://shop.example/', 'https://some-blog.example/review'),
        page('typed-in', 'https://shop.example/'),
      ],
    });
    expect(response.status).toBe(200);
    await eventually(async () => {
      const result = await stack.clickhouse.query({
        query:
          'SELECT message_id, channel FROM touchpoints FINAL WHERE project_id = {p:String} ORDER BY message_id',
        query_params: { p: project.projectId },
        format: 'JSONEachRow',
      });
      expect(await result.json()).toEqual([
        { message_id: 'from-ads', channel: 'paid search' },
        { message_id: 'from-blog', channel: 'referral' },
        { message_id: 'from-newsletter', channel: 'email' },
        { message_id: 'from-search', channel: 'organic search' },
        { message_id: 'typed-in', channel: 'direct' },
      ]);
    });
  });

  it('serves health, readiness and Prometheus metrics on every service', async () => {
    for (const url of [stack.collectorUrl, stack.queryUrl, stack.processorUrl]) {
      expect((await fetch(new URL('/health/live', url))).status).toBe(200);
      await eventually(async () => expect((await fetch(new URL('/health/ready', url))).status).toBe(200));
      const metrics = await (await fetch(new URL('/metrics', url))).text();
      expect(metrics).toMatch(/^# HELP waymark_/m);
    }
    const collectorMetrics = await (await fetch(new URL('/metrics', stack.collectorUrl))).text();
    expect(collectorMetrics).toMatch(/waymark_collector_events_total\{outcome="accepted"\} [1-9]/);
  });
});
