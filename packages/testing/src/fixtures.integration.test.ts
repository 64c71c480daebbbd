import { createKafka, TOPICS } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { type Kafka, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  openTestClickHouse,
  startPrivateKafka,
  type TestClickHouse,
  testKafka,
  uniqueProjectId,
} from './fixtures.ts';

async function roundTrip(kafka: Kafka, value: string): Promise<string> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic: TOPICS.journey, acks: -1, messages: [{ key: value, value }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: uniqueProjectId('group') });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.journey, fromBeginning: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message ${value} within 30 s`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.value?.toString('utf8') === value) {
              clearTimeout(timer);
              resolve(value);
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

describe('shared Kafka', () => {
  it('is up, with the registry topics created', async () => {
    expect(inject('waymarkKafkaBrokers').length).toBeGreaterThan(0);
    const admin = testKafka().admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(Object.values(TOPICS)));
    } finally {
      await admin.disconnect();
    }
  });

  it('carries a message from producer to consumer group', async () => {
    const value = uniqueProjectId('message');
    expect(await roundTrip(testKafka(), value)).toBe(value);
  });
});

describe('uniqueProjectId', () => {
  it('never repeats', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => uniqueProjectId()));
    expect(ids.size).toBe(1000);
  });
});

describe('openTestClickHouse', () => {
  let clickhouse: TestClickHouse;
  beforeAll(async () => {
    clickhouse = await openTestClickHouse();
  });
  afterAll(async () => {
    await clickhouse.close();
  });

  it('is migrated', async () => {
    const result = await clickhouse.client.query({
      query: 'SELECT count() AS applied FROM waymark_migrations',
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ applied: string | number }>();
    expect(Number(row?.applied)).toBeGreaterThan(0);
  });
});

describe('startPrivateKafka', () => {
  it('goes down and comes back with its topics and data', async () => {
    const broker = await startPrivateKafka();
    try {
      const kafka = testKafka({ brokers: broker.brokers });
      expect(await roundTrip(kafka, 'before')).toBe('before');
      await broker.stop();
      const down = createKafka({
        brokers: broker.brokers,
        clientId: 'down-check',
        logger: createLogger({ name: 'down-check', level: 'silent' }),
        retries: 0,
      });
      await expect(down.admin().connect()).rejects.toThrow(/ECONNREFUSED/);
      await broker.start();
      expect(await roundTrip(kafka, 'after')).toBe('after');
    } finally {
      await broker.dispose();
    }
  });
});
