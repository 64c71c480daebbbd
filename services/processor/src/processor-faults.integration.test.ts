import type { ClickHouseClient } from '@clickhouse/client';
import { createRejectionRecorder, queryLive, type RejectionRecorder } from '@waymark/clickhouse';
import { decodeStageTransition, decodeTouchpoint, encodeTouchpoint, touchpointOf } from '@waymark/events';
import { TOPICS } from '@waymark/kafka';
import {
  openTestClickHouse,
  type TestClickHouse,
  testKafka,
  testLogger,
  uniqueProjectId,
} from '@waymark/testing';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProcessorEnv } from './env.ts';
import { createProcessorMetrics, type ProcessorMetrics } from './metrics.ts';
import { type RunningProcessor, STORE_REJECTED, startProcessor } from './processor.ts';
import { DEFAULT_COMPILED_RULESET } from './rulesets.ts';
import { startProcessorService } from './start.ts';

let ch: TestClickHouse;
let kafka: Kafka;
let producer: Producer;

beforeAll(async () => {
  ch = await openTestClickHouse();
  kafka = testKafka({ clientId: 'processor-faults-test' });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await ch?.close();
});

async function eventually<T>(check: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

const DAY = 86_400_000;

/** A touchpoint as the collector would encode it; one customer, so every record is on one partition. */
function touchpoint(projectId: string, messageId: string, over: Record<string, unknown> = {}) {
  const now = Date.now();
  return touchpointOf({
    messageId,
    projectId,
    type: 'track',
    event: 'Product Viewed',
    anonymousId: 'shopper',
    timestamp: now - DAY,
    receivedAt: now,
    ...over,
  });
}

/** Returns the offset of each record (one key, so one partition and consecutive offsets). */
async function produce(projectId: string, values: Buffer[]) {
  const [sent] = await producer.send({
    topic: TOPICS.events,
    acks: -1,
    messages: values.map((value) => ({ key: `${projectId}:shopper`, value })),
  });
  const base = BigInt(sent?.baseOffset ?? '0');
  return { partition: sent?.partition ?? 0, offsets: values.map((_, i) => base + BigInt(i)) };
}

/** message_id → rows as every query counts them (FINAL: dedup by messageId), so a set of ids once each. */
async function storedCounts(client: ClickHouseClient, table: string, projectId: string) {
  const result = await client.query({
    query: `SELECT message_id, count() AS n FROM ${table} FINAL WHERE project_id = {projectId:String} GROUP BY message_id ORDER BY message_id`,
    query_params: { projectId },
    format: 'JSONEachRow',
  });
  return Object.fromEntries(
    (await result.json<{ message_id: string; n: number | string }>()).map((r) => [r.message_id, Number(r.n)]),
  );
}

const once = (ids: string[]) => Object.fromEntries([...ids].sort().map((id) => [id, 1]));

/** Every record of `topic` (from its start) that `keep` picks, until `count` of them arrived. */
async function readTopic<T>(
  topic: string,
  keep: (value: Buffer, headers: Record<string, string>) => T | undefined,
  count: number,
): Promise<T[]> {
  const found: T[] = [];
  const consumer = kafka.consumer({ groupId: uniqueProjectId('reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      const kept = message.value ? keep(message.value, headers) : undefined;
      if (kept !== undefined) found.push(kept);
    },
  });
  try {
    await eventually(async () => expect(found.length).toBeGreaterThanOrEqual(count));
    // A little longer, so that a record too many would be seen too.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return found;
  } finally {
    await consumer.disconnect();
  }
}

function startTestProcessor(
  metrics: ProcessorMetrics,
  rulesetFor: (projectId: string) => typeof DEFAULT_COMPILED_RULESET = () => DEFAULT_COMPILED_RULESET,
  rejections?: RejectionRecorder,
  groupId = uniqueProjectId('group'),
  topic: string = TOPICS.events,
): RunningProcessor {
  return startProcessor({
    kafka,
    ...(rejections === undefined ? {} : { rejections }),
    producer,
    clickhouse: ch.client,
    rulesetFor,
    logger: testLogger('processor-faults'),
    metrics,
    options: {
      groupId,
      topic,
      dlqTopic: TOPICS.eventsDlq,
      journeyTopic: TOPICS.journey,
      partitionsConsumedConcurrently: loadProcessorEnv({}).PROCESSOR_PARTITIONS_CONCURRENTLY,
      maxBytesPerPartition: 1024 * 1024,
      maxWaitTimeMs: 100,
      retryBackoffMs: { initial: 100, max: 1000 },
      groupTiming: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 10_000 },
      stallAfterMs: 30_000,
      overlapWrites: true,
    },
  });
}

describe('a record the store refuses', () => {
  it('is dead-lettered with the store error while every other record lands once and the partition moves on', async () => {
    const projectId = uniqueProjectId('poison');
    const rejections = createRejectionRecorder(ch.client, { logger: testLogger('rejections') });
    const processor = startTestProcessor(createProcessorMetrics(), undefined, rejections);
    try {
      const valid = Array.from({ length: 12 }, (_, i) => `valid-${String(i).padStart(2, '0')}`);
      // Both pass the Avro schema (timestamps are longs), neither fits ClickHouse's DateTime64(3).
      const farFuture = touchpoint(projectId, 'bad-far-future', {
        timestamp: Date.parse('9999-12-31T23:59:59.999Z'),
      });
      const beforeEpoch = touchpoint(projectId, 'bad-sent-before-1970', {
        sentAt: Date.parse('1969-07-20T20:17:00Z'),
      });
      await produce(projectId, [
        ...valid.slice(0, 3).map((id) => encodeTouchpoint(touchpoint(projectId, id))),
        encodeTouchpoint(farFuture),
        ...valid
          .slice(3, 8)
          .map((id) => encodeTouchpoint(touchpoint(projectId, id, { event: 'Order Completed' }))),
        encodeTouchpoint(beforeEpoch),
        ...valid.slice(8, 10).map((id) => encodeTouchpoint(touchpoint(projectId, id))),
      ]);
      await eventually(async () =>
        expect(await storedCounts(ch.client, 'touchpoints', projectId)).toEqual(once(valid.slice(0, 10))),
      );
      // The partition is not stuck behind them: what comes later lands too.
      await produce(
        projectId,
        valid.slice(10).map((id) => encodeTouchpoint(touchpoint(projectId, id))),
      );
      await eventually(async () =>
        expect(await storedCounts(ch.client, 'touchpoints', projectId)).toEqual(once(valid)),
      );

      const letters = await readTopic(
        TOPICS.eventsDlq,
        (value, headers) => {
          const decoded = decodeTouchpoint(value);
          if (!decoded.ok || decoded.value.projectId !== projectId) return undefined;
          return { messageId: decoded.value.messageId, headers };
        },
        2,
      );
      expect(letters.map((l) => l.messageId).sort()).toEqual(['bad-far-future', 'bad-sent-before-1970']);
      for (const { headers } of letters) {
        expect(headers['waymark-dlq-reason']).toBe(STORE_REJECTED);
        expect(headers['waymark-dlq-detail']).toContain('CANNOT_PARSE_DATETIME (code 41)');
        expect(headers['waymark-source']).toMatch(/^waymark\.events\.v1\/\d+\/\d+$/);
      }
      // The refused touchpoint made no stage transition (the valid Order Completed after it did).
      await eventually(async () =>
        expect(await storedCounts(ch.client, 'stage_transitions', projectId)).toEqual(
          once(['valid-00', 'valid-03', 'valid-08']),
        ),
      );
      expect(processor.health()).toEqual({ consumer: true, store: true, progress: true });
      // The Live screen lists them for their project, with the store's reason.
      await eventually(async () => {
        const live = await queryLive(ch.client, { projectId });
        expect(live.rejections.map((r) => [r.source, r.code, r.messageId]).sort()).toEqual([
          ['processor', STORE_REJECTED, 'bad-far-future'],
          ['processor', STORE_REJECTED, 'bad-sent-before-1970'],
        ]);
        for (const r of live.rejections) expect(r.message).toContain('CANNOT_PARSE_DATETIME (code 41)');
      });
    } finally {
      await processor.stop();
      await rejections.close();
    }
  });
});

describe('a pause longer than the session timeout', () => {
  it('ends the consumer run, which is started again: every event lands once, transitions too', async () => {
    const projectId = uniqueProjectId('pause');
    const metrics = createProcessorMetrics();
    let froze = false;
    // A stop-the-world pause (a long GC, a frozen VM) in the middle of a batch, after the fetch and before
    // the commit: the broker expires the member meanwhile, and the batch's commit is refused.
    const processor = startTestProcessor(metrics, (id) => {
      if (id === projectId && !froze) {
        froze = true;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
      }
      return DEFAULT_COMPILED_RULESET;
    });
    try {
      await eventually(async () => expect(processor.health().consumer).toBe(true));
      const first = ['a-1', 'a-2', 'a-3'];
      await produce(projectId, [
        encodeTouchpoint(touchpoint(projectId, 'a-1')),
        encodeTouchpoint(touchpoint(projectId, 'a-2', { event: 'Checkout Started' })),
        encodeTouchpoint(touchpoint(projectId, 'a-3', { event: 'Order Completed' })),
      ]);
      await eventually(async () => expect(froze).toBe(true));
      const restarts = async () => (await metrics.consumerRestarts.get()).values[0]?.value ?? 0;
      await eventually(async () => expect(await restarts()).toBeGreaterThanOrEqual(1));
      // Consuming again in the same process: later events land too.
      const later = ['b-1', 'b-2'];
      await produce(projectId, [
        encodeTouchpoint(
          touchpoint(projectId, 'b-1', { event: 'Product Viewed', timestamp: Date.now() - 1000 }),
        ),
        encodeTouchpoint(
          touchpoint(projectId, 'b-2', { event: 'Order Completed', timestamp: Date.now() - 500 }),
        ),
      ]);
      await eventually(async () =>
        expect(await storedCounts(ch.client, 'touchpoints', projectId)).toEqual(once([...first, ...later])),
      );
      await eventually(async () =>
        expect(processor.health()).toEqual({ consumer: true, store: true, progress: true }),
      );
      const expected = ['a-1', 'a-2', 'a-3', 'b-1', 'b-2'];
      // Transitions are stored right after their touchpoints, before the commit.
      await eventually(async () =>
        expect(await storedCounts(ch.client, 'stage_transitions', projectId)).toEqual(once(expected)),
      );
      // The redelivered batch may publish its transitions twice; a consumer that dedups by messageId
      // sees each once, because a republished transition is the same transition.
      const published = await readTopic(
        TOPICS.journey,
        (value) => {
          const decoded = decodeStageTransition(value);
          return decoded.ok && decoded.value.projectId === projectId ? decoded.value : undefined;
        },
        expected.length,
      );
      const byMessageId = new Map<string, string>();
      for (const t of published) {
        const text = JSON.stringify(t);
        expect(byMessageId.get(t.messageId) ?? text).toBe(text);
        byMessageId.set(t.messageId, text);
      }
      expect([...byMessageId.keys()].sort()).toEqual(expected);
    } finally {
      await processor.stop();
    }
  });
});

describe('a store that is unavailable', () => {
  it('is retried in place, readiness names it meanwhile, and nothing is lost or doubled', async () => {
    const projectId = uniqueProjectId('outage');
    const logger = testLogger('processor-faults');
    const service = await startProcessorService({
      env: loadProcessorEnv({
        LOG_LEVEL: 'warn',
        PROCESSOR_PORT: '0',
        PROCESSOR_GROUP_ID: uniqueProjectId('group'),
        PROCESSOR_STALL_AFTER: '1s',
      }),
      logger,
      kafka,
      clickhouse: ch.client,
    });
    const ready = async () => {
      const response = await fetch(new URL('/health/ready', service.url));
      return {
        status: response.status,
        body: (await response.json()) as { checks?: Record<string, boolean> },
      };
    };
    try {
      await produce(projectId, [encodeTouchpoint(touchpoint(projectId, 'before'))]);
      await eventually(async () =>
        expect(await storedCounts(ch.client, 'touchpoints', projectId)).toEqual(once(['before'])),
      );
      // Ready before the outage (the commit of the first batch may still be under way a moment after it landed).
      await eventually(async () => expect((await ready()).status).toBe(200));
      // "Too many parts" (code 252) is ClickHouse protecting itself: not the data's fault, so retried.
      await ch.client.command({ query: 'ALTER TABLE touchpoints MODIFY SETTING parts_to_throw_insert = 1' });
      try {
        await produce(projectId, [encodeTouchpoint(touchpoint(projectId, 'during'))]);
        await eventually(async () => {
          const answer = await ready();
          expect(answer.status).toBe(503);
          expect(answer.body.checks).toMatchObject({ consumer: true, store: false, progress: false });
        });
        expect(await storedCounts(ch.client, 'touchpoints', projectId)).toEqual(once(['before']));
      } finally {
        await ch.client.command({ query: 'ALTER TABLE touchpoints RESET SETTING parts_to_throw_insert' });
      }
      await eventually(async () =>
        expect(await storedCounts(ch.client, 'touchpoints', projectId)).toEqual(once(['before', 'during'])),
      );
      await eventually(async () => expect((await ready()).status).toBe(200));
    } finally {
      await service.close();
    }
  });
});

describe('a member stopped while its writes overlap the next batch', () => {
  it('has committed only offsets whose records are stored, and the next member stores the rest once', async () => {
    const projectId = uniqueProjectId('overlap');
    const groupId = uniqueProjectId('group');
    const first = startTestProcessor(createProcessorMetrics(), undefined, undefined, groupId);
    const ids: string[] = [];
    const offsetOf = new Map<string, bigint>();
    let partition = 0;
    const round = async (r: number) => {
      const round = Array.from({ length: 5 }, (_, i) => `r${r}-${i}`);
      const sent = await produce(
        projectId,
        round.map((id, i) =>
          encodeTouchpoint(
            touchpoint(projectId, id, {
              event: (r * 5 + i) % 2 === 0 ? 'Product Viewed' : 'Checkout Started',
              timestamp: Date.now() - DAY + r * 10 + i,
            }),
          ),
        ),
      );
      partition = sent.partition;
      for (const [i, id] of round.entries()) offsetOf.set(id, sent.offsets[i] as bigint);
      ids.push(...round);
    };
    const admin = kafka.admin();
    await admin.connect();
    // Offsets first, rows second: rows only grow, so every record below an offset committed after its insert is
    // among them; a commit ahead of its insert would show here as a committed record not stored.
    const committedAreStored = async () => {
      const [topic] = await admin.fetchOffsets({ groupId, topics: [TOPICS.events] });
      const committed = BigInt(topic?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
      const stored = await storedCounts(ch.client, 'touchpoints', projectId);
      const committedIds = ids.filter((id) => (offsetOf.get(id) as bigint) < committed);
      for (const id of committedIds) expect(stored[id]).toBe(1);
      return committedIds.length;
    };
    try {
      try {
        await round(0);
        await eventually(async () =>
          expect(Object.keys(await storedCounts(ch.client, 'touchpoints', projectId))).toHaveLength(5),
        );
        // Later rounds arrive as separate batches while earlier ones are still being written.
        for (let r = 1; r < 6; r++) {
          await round(r);
          await committedAreStored();
          await new Promise((resolve) => setTimeout(resolve, 150));
          await committedAreStored();
        }
      } finally {
        await first.stop();
      }
      expect(await committedAreStored()).toBeGreaterThanOrEqual(5);
    } finally {
      await admin.disconnect();
    }

    const second = startTestProcessor(createProcessorMetrics(), undefined, undefined, groupId);
    try {
      await eventually(async () =>
        expect(await storedCounts(ch.client, 'touchpoints', projectId)).toEqual(once(ids)),
      );
      // One customer alternating two stages: every touchpoint is a transition, each stored once.
      await eventually(async () =>
        expect(await storedCounts(ch.client, 'stage_transitions', projectId)).toEqual(once(ids)),
      );
    } finally {
      await second.stop();
    }
  });
});

describe('the batches of one fetch', () => {
  it('are stored in one write: a customer whose keys sit on three partitions moves through its stages in time order', async () => {
    const projectId = uniqueProjectId('fetch');
    const topic = `waymark.test.fetch.${projectId}`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const at = Date.now() - DAY;
    // Produced before the processor starts, so that its first fetch holds all three. The purchase is on the
    // partition a fetch lists first: written alone and first, it would count as the customer's entry at purchase,
    // before the link of its anonymous history is stored.
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          partition: 2,
          value: encodeTouchpoint(touchpoint(projectId, 'viewed', { timestamp: at })),
        },
        {
          partition: 1,
          value: encodeTouchpoint(
            touchpoint(projectId, 'identified', {
              type: 'identify',
              event: undefined,
              userId: 'buyer',
              timestamp: at + 1000,
            }),
          ),
        },
        {
          partition: 0,
          value: encodeTouchpoint(
            touchpoint(projectId, 'ordered', {
              event: 'Order Completed',
              anonymousId: undefined,
              userId: 'buyer',
              timestamp: at + 2000,
            }),
          ),
        },
      ],
    });
    const metrics = createProcessorMetrics();
    const processor = startTestProcessor(metrics, undefined, undefined, undefined, topic);
    try {
      const transitions = async () => {
        const result = await ch.client.query({
          query: `SELECT message_id, customer_key, from_stage, to_stage FROM stage_transitions FINAL
            WHERE project_id = {projectId:String} ORDER BY at`,
          query_params: { projectId },
          format: 'JSONEachRow',
        });
        return (await result.json<Record<string, string | number>>()).map((row) => [
          row.message_id,
          row.customer_key,
          Number(row.from_stage),
          Number(row.to_stage),
        ]);
      };
      await eventually(async () =>
        expect(await transitions()).toEqual([
          ['viewed', 'u:buyer', 0, expect.any(Number)],
          ['ordered', 'u:buyer', expect.any(Number), 5],
        ]),
      );
      // From the stage the viewing entered to purchase.
      const [entry, purchase] = await transitions();
      expect(entry?.[3]).toBe(purchase?.[2]);
      const writes = (await metrics.writeBatches.get()).values;
      const count = writes.find((v) => v.metricName?.endsWith('_count'))?.value;
      const sum = writes.find((v) => v.metricName?.endsWith('_sum'))?.value;
      expect([count, sum]).toEqual([1, 3]);
    } finally {
      await processor.stop();
    }
  });
});
