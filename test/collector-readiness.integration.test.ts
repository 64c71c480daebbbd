import {
  openTestClickHouse,
  type PrivateKafka,
  startPrivateKafka,
  type TestClickHouse,
} from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Pipeline, startPipeline } from './support/pipeline.ts';

// A broker of this file's own, so stopping it does not disturb the other test files.
let kafka: PrivateKafka;
let ch: TestClickHouse;
let pipeline: Pipeline;

beforeAll(async () => {
  kafka = await startPrivateKafka({ partitions: 1 });
  ch = await openTestClickHouse();
  pipeline = await startPipeline({
    brokers: kafka.brokers,
    clickhouse: ch.client,
    env: { COLLECTOR_PUBLISH_TIMEOUT: '2s' },
  });
});

afterAll(async () => {
  await pipeline?.stop();
  await ch?.close();
  await kafka?.dispose();
});

const collectorReadiness = async () => {
  const response = await fetch(new URL('/health/ready', pipeline.collectorUrl));
  return { status: response.status, body: (await response.json()) as { checks: Record<string, boolean> } };
};

describe('collector readiness', () => {
  it('says not-ready while the broker is down, with no event sent, and ready again once it is back', async () => {
    expect((await collectorReadiness()).status).toBe(200);

    await kafka.stop();
    // Nothing is published: the periodic probe alone must notice the outage.
    const down = await eventually(
      async () => {
        const answer = await collectorReadiness();
        expect(answer.status).toBe(503);
        return answer;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(down.body.checks).toMatchObject({ kafka: false, projects: true });
    expect((await fetch(new URL('/health/live', pipeline.collectorUrl))).status).toBe(200);

    await kafka.start();
    await eventually(async () => expect((await collectorReadiness()).status).toBe(200), {
      timeoutMs: 90_000,
      intervalMs: 500,
    });
  });
});
