import {
  openTestClickHouse,
  type PrivateKafka,
  startPrivateKafka,
  type TestClickHouse,
} from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  type Pipeline,
  postBatch,
  startPipeline,
  storedMessageIds,
  type TestProject,
} from './support/pipeline.ts';

// A broker of this file's own, so stopping it does not disturb the other test files.
let kafka: PrivateKafka;
let ch: TestClickHouse;
let pipeline: Pipeline;
let project: TestProject;

beforeAll(async () => {
  kafka = await startPrivateKafka({ partitions: 2 });
  ch = await openTestClickHouse();
  pipeline = await startPipeline({
    brokers: kafka.brokers,
    clickhouse: ch.client,
    env: { COLLECTOR_PUBLISH_TIMEOUT: '2s', COLLECTOR_RETRY_AFTER: '3s' },
  });
  project = await createTestProject(ch.client);
});

afterAll(async () => {
  await pipeline?.stop();
  await ch?.close();
  await kafka?.dispose();
});

const event = (messageId: string) => ({
  batch: [{ type: 'track', event: 'Product Viewed', anonymousId: 'outage', messageId }],
});

describe('when Kafka is down', () => {
  it('answers 503 with Retry-After in bounded time, and accepts again once the broker is back', async () => {
    expect((await postBatch(pipeline.collectorUrl, project.writeKey, event('before'))).status).toBe(200);
    await eventually(async () =>
      expect(await storedMessageIds(ch.client, project.projectId)).toEqual(['before']),
    );

    await kafka.stop();
    const started = Date.now();
    const down = await postBatch(pipeline.collectorUrl, project.writeKey, event('during'));
    const waited = Date.now() - started;
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('3');
    expect(down.body.code).toBe('KAFKA_UNAVAILABLE');
    // The publish timeout is 2 s; allow for a busy machine but not for kafkajs' full retry schedule.
    expect(waited).toBeLessThan(10_000);
    expect((await fetch(new URL('/health/live', pipeline.collectorUrl))).status).toBe(200);

    await kafka.start();
    // The sender retries what got a 503 (same messageId), as a Segment library does.
    await eventually(
      async () =>
        expect((await postBatch(pipeline.collectorUrl, project.writeKey, event('during'))).status).toBe(200),
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect((await postBatch(pipeline.collectorUrl, project.writeKey, event('after'))).status).toBe(200);
    await eventually(
      async () =>
        expect(await storedMessageIds(ch.client, project.projectId)).toEqual(['after', 'before', 'during']),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
  });
});
