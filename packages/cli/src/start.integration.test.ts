import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@waymark/config';
import { findFreePorts, type LocalKafkaCluster, startLocalKafkaCluster } from '@waymark/devstack';
import { createKafka, ensureTopics, TOPIC_SPECS, TOPICS } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStartEnv } from './env.ts';
import { type RunningStack, startStack } from './start.ts';

const logger = createLogger({ name: 'start-test', level: 'warn' });

async function stackEnv(extra: Record<string, string>) {
  const [collector, query, processor, alerter, kafka, controller] = await findFreePorts(6);
  return {
    COLLECTOR_PORT: String(collector),
    QUERY_PORT: String(query),
    PROCESSOR_PORT: String(processor),
    ALERTER_PORT: String(alerter),
    KAFKA_PORT: String(kafka),
    KAFKA_CONTROLLER_PORT: String(controller),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** The HTTP status, or 0 while nothing listens. */
async function status(url: string): Promise<number> {
  return fetch(url).then(
    (response) => response.status,
    () => 0,
  );
}

describe('waymark start', () => {
  let home: string;
  let cluster: LocalKafkaCluster;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'waymark-start-test-'));
    cluster = await startLocalKafkaCluster({ dataDir: join(home, 'cluster'), nodes: 3, logger });
  });

  afterAll(async () => {
    await cluster?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('refuses a KAFKA_REPLICATION_FACTOR the local broker cannot hold, by name', async () => {
    const raw = await stackEnv({ WAYMARK_HOME: join(home, 'single'), KAFKA_REPLICATION_FACTOR: '3' });
    const error = await startStack(loadStartEnv(raw), logger, raw).then(
      (stack) => stack.stop(),
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /KAFKA_REPLICATION_FACTOR: 3 replicas .* the local Kafka broker has 1/,
    );
  });

  it('creates the topics with KAFKA_REPLICATION_FACTOR replicas, and listens before the consumers join', async () => {
    const groupId = 'start-test-processor';
    const raw = await stackEnv({
      WAYMARK_HOME: join(home, 'stack'),
      KAFKA_BROKERS: cluster.brokers.join(','),
      KAFKA_REPLICATION_FACTOR: '3',
      PROCESSOR_GROUP_ID: groupId,
    });
    const env = loadStartEnv(raw);

    // A member of the processor's group that sits in a batch and does not rejoin for 10 minutes: the
    // processor's group join waits for it, so only a stack that does not wait for that join starts.
    const kafka = createKafka({ brokers: cluster.brokers, clientId: 'start-test', logger });
    // Only the topic the blocker needs; the stack creates every other one.
    await ensureTopics(kafka, { partitions: 3, replicationFactor: 3, topics: [TOPIC_SPECS.events] });
    const blocker = kafka.consumer({ groupId, sessionTimeout: 600_000, rebalanceTimeout: 600_000 });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inBatch: () => void = () => undefined;
    const blocking = new Promise<void>((resolve) => {
      inBatch = resolve;
    });
    await blocker.connect();
    await blocker.subscribe({ topic: TOPICS.events, fromBeginning: true });
    await blocker.run({
      eachBatch: async () => {
        inBatch();
        await released;
      },
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPICS.events, acks: -1, messages: [{ key: 'k', value: 'not avro' }] });
    await producer.disconnect();
    await blocking;

    let stack: RunningStack | undefined;
    try {
      stack = await startStack(env, logger, raw);
      const admin = kafka.admin();
      await admin.connect();
      // The stack listens while the blocker still holds the processor's group.
      const { groups } = await admin.describeGroups([groupId]);
      expect(groups[0]?.members.map((member) => member.clientId)).toContain('start-test');
      const created = Object.values(TOPICS).filter((topic) => topic !== TOPICS.events);
      const metadata = await admin.fetchTopicMetadata({ topics: created });
      await admin.disconnect();
      expect(metadata.topics).toHaveLength(created.length);
      for (const topic of metadata.topics) {
        for (const partition of topic.partitions) expect(partition.replicas, topic.name).toHaveLength(3);
      }

      const { collectorUrl, writeKey } = stack.credentials;
      expect(await status(`${collectorUrl}/health/ready`)).toBe(200);
      expect(await status(`http://127.0.0.1:${env.PROCESSOR_PORT}/health/ready`)).not.toBe(200);
      const response = await fetch(`${collectorUrl}/v1/batch`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
        },
        body: JSON.stringify({ batch: [{ type: 'track', event: 'Signed Up', userId: 'u1' }] }),
      });
      expect(response.status).toBe(200);

      release();
      await blocker.disconnect();
      await stack.ready;
      // Once the blocker left, the processor joins and says so.
      const deadline = Date.now() + 60_000;
      while ((await status(`http://127.0.0.1:${env.PROCESSOR_PORT}/health/ready`)) !== 200) {
        if (Date.now() > deadline)
          throw new Error('the processor did not become ready after the blocker left');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      release();
      await blocker.disconnect().catch(() => undefined);
      await stack?.stop();
    }
  });
});
