import { generateShoppers } from '@waymark/cli';
import { loadCollectorEnv, startCollector } from '@waymark/collector';
import { createKafka } from '@waymark/kafka';
import { loadProcessorEnv, startProcessorService } from '@waymark/processor';
import {
  openTestClickHouse,
  type TestClickHouse,
  testKafkaBrokers,
  testLogger,
  uniqueProjectId,
} from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, eventually, postBatch, storedMessageIds } from './support/pipeline.ts';

let ch: TestClickHouse;
const logger = testLogger('operations');

beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch?.close();
});

const kafka = () => createKafka({ brokers: testKafkaBrokers(), clientId: 'operations-test', logger });
const collectorEnv = (extra: Record<string, string> = {}) =>
  loadCollectorEnv({ COLLECTOR_PORT: '0', LOG_LEVEL: 'warn', ...extra });
const processorEnv = (groupId: string) =>
  loadProcessorEnv({ PROCESSOR_PORT: '0', PROCESSOR_GROUP_ID: groupId, LOG_LEVEL: 'warn' });

describe('collector operations', () => {
  it('answers 429 with Retry-After when an address sends too fast, and never a 5xx', async () => {
    const project = await createTestProject(ch.client);
    const collector = await startCollector({
      env: collectorEnv({ COLLECTOR_RATE_LIMIT_REQUESTS_PER_IP: '1' }),
      logger,
      kafka: kafka(),
      clickhouse: ch.client,
    });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 12; i++) {
        const r = await postBatch(collector.url, project.writeKey, {
          batch: [{ type: 'track', event: 'X', anonymousId: 'fast' }],
        });
        statuses.push(r.status);
        if (r.status === 429) {
          retryAfter = r.headers.get('retry-after');
          expect(r.body.code).toBe('RATE_LIMITED');
        }
      }
      // The burst is 5 seconds' worth (5 requests); the rest of the 12 are limited.
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
      expect(statuses).toContain(429);
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await collector.close();
    }
  });

  it('drains on shutdown: every request it answered 200 is stored', async () => {
    const project = await createTestProject(ch.client);
    const groupId = uniqueProjectId('drain');
    const processor = await startProcessorService({
      env: processorEnv(groupId),
      logger,
      kafka: kafka(),
      clickhouse: ch.client,
    });
    const collector = await startCollector({
      env: collectorEnv(),
      logger,
      kafka: kafka(),
      clickhouse: ch.client,
    });
    const shoppers = generateShoppers({
      customers: 40,
      start: new Date(Date.now() - 3_600_000),
      idPrefix: project.projectId,
    });
    const events = shoppers.flatMap((s) => s.events);
    const batches = Array.from({ length: Math.ceil(events.length / 10) }, (_, i) =>
      events.slice(i * 10, i * 10 + 10),
    );

    // Fire everything at once, then shut down as soon as the first answer is back, with the rest in flight.
    const answers = batches.map((batch) =>
      postBatch(collector.url, project.writeKey, { batch }).then(
        (r) => ({ batch, status: r.status }),
        () => ({ batch, status: 0 }),
      ),
    );
    await Promise.race(answers);
    const closing = Date.now();
    await collector.close();
    // Regression guard: idle keep-alive sockets once held shutdown open for fastify's 72 s keep-alive.
    expect(Date.now() - closing).toBeLessThan(15_000);
    const results = await Promise.all(answers);
    const acknowledged = results
      .filter((r) => r.status === 200)
      .flatMap((r) => r.batch.map((e) => e.messageId));
    // Not acknowledged means a 503 (closing) or a refused connection: the sender keeps those and retries.
    expect(results.every((r) => [0, 200, 503].includes(r.status))).toBe(true);
    expect(acknowledged.length).toBeGreaterThan(0);

    await eventually(async () => {
      const stored = new Set(await storedMessageIds(ch.client, project.projectId));
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    });
    await processor.close();
  });
});

describe('processor operations', () => {
  it('stores everything exactly once across a stop and a restart of the consumer group', async () => {
    const project = await createTestProject(ch.client);
    const groupId = uniqueProjectId('restart');
    const collector = await startCollector({
      env: collectorEnv(),
      logger,
      kafka: kafka(),
      clickhouse: ch.client,
    });
    const shoppers = generateShoppers({
      customers: 60,
      start: new Date(Date.now() - 3_600_000),
      idPrefix: project.projectId,
    });
    const ids = shoppers.flatMap((s) => s.events.map((e) => e.messageId)).sort();

    const first = await startProcessorService({
      env: processorEnv(groupId),
      logger,
      kafka: kafka(),
      clickhouse: ch.client,
    });
    const half = Math.floor(shoppers.length / 2);
    for (const s of shoppers.slice(0, half)) {
      expect((await postBatch(collector.url, project.writeKey, { batch: s.events })).status).toBe(200);
    }
    // Stop part-way: whatever it had not committed is redelivered to the next member.
    await first.close();
    for (const s of shoppers.slice(half)) {
      expect((await postBatch(collector.url, project.writeKey, { batch: s.events })).status).toBe(200);
    }
    const second = await startProcessorService({
      env: processorEnv(groupId),
      logger,
      kafka: kafka(),
      clickhouse: ch.client,
    });
    try {
      await eventually(
        async () => expect(await storedMessageIds(ch.client, project.projectId)).toEqual(ids),
        {
          timeoutMs: 60_000,
        },
      );
    } finally {
      await second.close();
      await collector.close();
    }
  });
});
