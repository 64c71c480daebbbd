import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, ensureTopics, TOPICS } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { ConfigResourceTypes, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalKafkaCluster, startLocalKafkaCluster } from './local-kafka-cluster.ts';

const logger = createLogger({ name: 'devstack-cluster-test', level: 'warn' });

describe('startLocalKafkaCluster', () => {
  let dataDir: string;
  let cluster: LocalKafkaCluster;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'waymark-cluster-test-'));
    cluster = await startLocalKafkaCluster({ dataDir, nodes: 3, logger });
  });

  afterAll(async () => {
    await cluster?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts three brokers that form one cluster', async () => {
    expect(cluster.brokers).toHaveLength(3);
    const admin = createKafka({ brokers: cluster.brokers, clientId: 'cluster-test', logger }).admin();
    await admin.connect();
    const described = await admin.describeCluster().finally(() => admin.disconnect());
    expect(described.brokers.map((broker) => broker.nodeId).sort()).toEqual([1, 2, 3]);
    expect(described.clusterId).toBe(cluster.clusterId);
  });

  it('replicates topics three times, and acks=all produces keep working with one node killed', async () => {
    const kafka = createKafka({ brokers: cluster.brokers, clientId: 'cluster-test', logger });
    await ensureTopics(kafka, { partitions: 3, replicationFactor: 3 });
    const admin = kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [TOPICS.events] });
    await admin.disconnect();
    for (const partition of metadata.topics[0]?.partitions ?? []) {
      expect(partition.replicas).toHaveLength(3);
      expect(partition.isr).toHaveLength(3);
    }

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const send = (value: string) =>
      producer.send({
        topic: TOPICS.events,
        acks: -1,
        messages: [0, 1, 2, 3, 4, 5].map((i) => ({ key: `k${i}`, value: `${value}-${i}` })),
      });
    try {
      await send('before');
      const victim = cluster.nodes[1];
      if (victim === undefined) throw new Error('no node 2');
      await victim.kill();
      expect(victim.pid).toBeUndefined();
      // Two of three replicas in sync satisfy min.insync.replicas=2 once the controller has moved the dead
      // node's leaders (its broker session, 9 s, must expire first): retried as a client retries a 503.
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await send('while-down');
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      await victim.restart();
      expect(victim.pid).toBeGreaterThan(0);
      await send('after');
    } finally {
      await producer.disconnect();
    }

    const consumer = kafka.consumer({ groupId: 'cluster-test-reader' });
    const values = new Set<string>();
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.events, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${values.size}/18 messages`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.add(message.value?.toString('utf8') ?? '');
            if (values.size >= 18) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect([...values].sort()).toEqual(
      ['after', 'before', 'while-down']
        .flatMap((value) => [0, 1, 2, 3, 4, 5].map((i) => `${value}-${i}`))
        .sort(),
    );
  });

  it('requires two in-sync replicas for acks=all on every broker', async () => {
    const admin = createKafka({ brokers: cluster.brokers, clientId: 'cluster-test', logger }).admin();
    await admin.connect();
    const described = await admin
      .describeConfigs({
        includeSynonyms: false,
        resources: cluster.nodes.map((node) => ({
          type: ConfigResourceTypes.BROKER,
          name: String(node.nodeId),
          configNames: ['min.insync.replicas'],
        })),
      })
      .finally(() => admin.disconnect());
    expect(described.resources.map((resource) => resource.configEntries[0]?.configValue)).toEqual([
      '2',
      '2',
      '2',
    ]);
  });
});
