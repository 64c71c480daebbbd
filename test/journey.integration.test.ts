import { fetchStageFunnel } from '@waymark/cli';
import { createKafka, TOPICS } from '@waymark/kafka';
import { loadProcessorEnv, startProcessorService } from '@waymark/processor';
import { testKafkaBrokers, testLogger, uniqueProjectId } from '@waymark/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  storedMessageIds,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';

const stack = usePipeline();
let project: TestProject;
const T0 = Date.now() - 2 * 60 * 60 * 1000;
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const range = { from: new Date(T0 - 60_000), to: new Date(T0 + 3 * 60 * 60 * 1000) };

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse);
});

const funnel = () => fetchStageFunnel(stack.queryUrl, project.projectId, project.apiKey, range);

describe('customer journeys across devices', () => {
  it('merges anonymous browsing on two devices into one customer once both identify', async () => {
    const laptop = [
      {
        type: 'page',
        anonymousId: 'laptop',
        messageId: 'l1',
        timestamp: at(0),
        context: { page: { url: 'https://shop.example/?utm_source=ads&utm_medium=cpc' } },
      },
      { type: 'track', event: 'Product Viewed', anonymousId: 'laptop', messageId: 'l2', timestamp: at(5) },
    ];
    const phone = [
      {
        type: 'page',
        anonymousId: 'phone',
        messageId: 'p1',
        timestamp: at(30),
        context: { page: { path: '/pricing' } },
      },
      { type: 'track', event: 'Product Added', anonymousId: 'phone', messageId: 'p2', timestamp: at(35) },
    ];
    expect(
      (await postBatch(stack.collectorUrl, project.writeKey, { batch: [...laptop, ...phone] })).status,
    ).toBe(200);
    // Before identifying, the two devices are two customers.
    await eventually(async () =>
      expect((await funnel()).map((s) => s.customers)).toEqual([2, 2, 1, 1, 0, 0, 0]),
    );

    expect(
      (
        await postBatch(stack.collectorUrl, project.writeKey, {
          batch: [
            { type: 'identify', anonymousId: 'laptop', userId: 'ann', messageId: 'i1', timestamp: at(40) },
            { type: 'identify', anonymousId: 'phone', userId: 'ann', messageId: 'i2', timestamp: at(41) },
            {
              type: 'track',
              event: 'Order Completed',
              userId: 'ann',
              anonymousId: 'phone',
              messageId: 'o1',
              timestamp: at(45),
              properties: { revenue: 40 },
            },
          ],
        })
      ).status,
    ).toBe(200);
    // One customer whose journey starts with the laptop's anonymous campaign visit.
    const stages = await eventually(async () => {
      const s = await funnel();
      expect(s.map((x) => x.customers)).toEqual([1, 1, 1, 1, 1, 0, 0]);
      return s;
    });
    expect(stages[4]?.medianSecondsFromPrevious).toBeCloseTo(10 * 60, -1);
  });

  it('keeps every count when the topic is replayed from the beginning by a new consumer group', async () => {
    const before = await funnel();
    const ids = await storedMessageIds(stack.clickhouse, project.projectId);
    const logger = testLogger('replay');
    const groupId = uniqueProjectId('replay');
    const kafka = createKafka({ brokers: testKafkaBrokers(), clientId: 'replay', logger });
    const replay = await startProcessorService({
      env: loadProcessorEnv({ PROCESSOR_PORT: '0', PROCESSOR_GROUP_ID: groupId, LOG_LEVEL: 'warn' }),
      logger,
      kafka,
      clickhouse: stack.clickhouse,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      // The replaying group has caught up when its committed offsets reach the end of every partition
      // as it is after this marker was acknowledged.
      expect(
        (
          await postBatch(stack.collectorUrl, project.writeKey, {
            batch: [
              { type: 'track', event: 'Help Viewed', anonymousId: 'marker', messageId: 'replay-marker' },
            ],
          })
        ).status,
      ).toBe(200);
      const ends = await admin.fetchTopicOffsets(TOPICS.events);
      await eventually(
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId, topics: [TOPICS.events] });
          for (const end of ends) {
            const offset =
              committed?.partitions.find((p: { partition: number }) => p.partition === end.partition)
                ?.offset ?? '-1';
            // -1: nothing committed yet, which is caught up only for an empty partition.
            expect(BigInt(offset === '-1' ? '0' : offset)).toBeGreaterThanOrEqual(BigInt(end.high));
          }
        },
        { timeoutMs: 60_000 },
      );
      expect(await storedMessageIds(stack.clickhouse, project.projectId)).toEqual(
        [...ids, 'replay-marker'].sort(),
      );
      expect(await funnel()).toEqual(before);
    } finally {
      await admin.disconnect();
      await replay.close();
    }
  });
});
