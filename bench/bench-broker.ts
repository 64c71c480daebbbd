import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePorts, startLocalKafka } from '@waymark/devstack';
import { decodeTouchpoints } from '@waymark/events';
import { createKafka, ensureTopics, TOPICS } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import type { Kafka } from 'kafkajs';
import type { Teardown } from './teardown.ts';

export interface BenchBroker {
  brokers: string[];
  /** The JVM's pid, for RSS and CPU sampling. */
  pid: number;
  kafka: Kafka;
  partitions: number;
  /** Sum of the events topic's high watermarks: every record ever appended to it. */
  eventsTopicRecords(): Promise<number>;
  /**
   * Reads the events topic from the beginning to its current end and counts the touchpoints its records
   * hold (a record holds one, or one customer's of a request) and the records that do not decode.
   */
  eventsTopicTouchpoints(): Promise<{ records: number; touchpoints: number; undecodable: number }>;
}

/**
 * A real single-node Kafka 4 broker (the same launcher as `waymark start`) in a temporary directory on
 * free ports, with the registry's topics; stopped and deleted by the teardown.
 */
export async function startBenchBroker(
  teardown: Teardown,
  options: { partitions: number },
): Promise<BenchBroker> {
  const logger = createLogger({ name: 'bench-broker', level: 'warn', destination: process.stderr });
  const dataDir = await mkdtemp(join(tmpdir(), 'waymark-bench-kafka-'));
  teardown.deleteLater(dataDir);
  const [port, controllerPort] = await findFreePorts(2);
  const broker = await startLocalKafka({
    dataDir,
    port,
    controllerPort,
    logger,
    partitions: options.partitions,
  });
  teardown.guardProcess(broker.pid, 'kafka.Kafka');
  teardown.defer('Kafka broker', () => broker.stop());
  const kafka = createKafka({ brokers: broker.brokers, clientId: 'waymark-bench', logger });
  await ensureTopics(kafka, { partitions: options.partitions, replicationFactor: 1 });
  return {
    brokers: broker.brokers,
    pid: broker.pid,
    kafka,
    partitions: options.partitions,
    async eventsTopicRecords() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchTopicOffsets(TOPICS.events);
        return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
      } finally {
        await admin.disconnect();
      }
    },
    async eventsTopicTouchpoints() {
      const admin = kafka.admin();
      await admin.connect();
      const ends = new Map(
        (await admin.fetchTopicOffsets(TOPICS.events)).map((p) => [p.partition, Number(p.high)]),
      );
      await admin.disconnect();
      const counts = { records: 0, touchpoints: 0, undecodable: 0 };
      const remaining = new Set([...ends].filter(([, high]) => high > 0).map(([partition]) => partition));
      if (remaining.size === 0) return counts;
      const consumer = kafka.consumer({ groupId: `bench-count-${process.pid}-${Date.now()}` });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: TOPICS.events, fromBeginning: true });
        await new Promise<void>((done, fail) => {
          consumer
            .run({
              eachBatch: async ({ batch }) => {
                for (const message of batch.messages) {
                  if (Number(message.offset) >= (ends.get(batch.partition) ?? 0)) continue;
                  counts.records++;
                  const decoded = message.value ? decodeTouchpoints(message.value) : undefined;
                  if (decoded?.ok) counts.touchpoints += decoded.value.length;
                  else counts.undecodable++;
                }
                const last = Number(batch.lastOffset());
                if (last + 1 >= (ends.get(batch.partition) ?? 0)) remaining.delete(batch.partition);
                if (remaining.size === 0) done();
              },
            })
            .catch(fail);
        });
      } finally {
        await consumer.disconnect();
      }
      return counts;
    },
  };
}
