import type { ClickHouseClient } from '@clickhouse/client';
import { createRejectionRecorder } from '@waymark/clickhouse';
import { DEFAULT_CONSUMER_GROUP_TIMING, KafkaDefaultPartitioner, TOPICS } from '@waymark/kafka';
import type { Logger } from '@waymark/logger';
import type { Kafka } from 'kafkajs';
import { buildProcessorApp } from './app.ts';
import type { ProcessorEnv } from './env.ts';
import { createProcessorMetrics } from './metrics.ts';
import { startProcessor } from './processor.ts';
import { createRulesetDirectory } from './rulesets.ts';

export interface RunningProcessorService {
  url: string;
  close(): Promise<void>;
}

export async function startProcessorService(deps: {
  env: ProcessorEnv;
  logger: Logger;
  kafka: Kafka;
  clickhouse: ClickHouseClient;
}): Promise<RunningProcessorService> {
  const { env, logger, kafka, clickhouse } = deps;
  const metrics = createProcessorMetrics();
  const producer = kafka.producer({
    createPartitioner: KafkaDefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const rulesets = createRulesetDirectory(clickhouse, { refreshMs: env.PROCESSOR_RULESET_REFRESH, logger });
  await rulesets.refresh();
  // Not awaited: the group join can take a dead member's session timeout, and meanwhile the health
  // endpoint should answer (503, `consumer: false`) rather than refuse connections.
  const rejections = createRejectionRecorder(clickhouse, { logger });
  const processor = startProcessor({
    kafka,
    rejections,
    producer,
    clickhouse,
    rulesetFor: rulesets.forProject,
    logger,
    metrics,
    options: {
      groupId: env.PROCESSOR_GROUP_ID,
      topic: TOPICS.events,
      dlqTopic: TOPICS.eventsDlq,
      journeyTopic: TOPICS.journey,
      partitionsConsumedConcurrently: env.PROCESSOR_PARTITIONS_CONCURRENTLY,
      maxBytesPerPartition: env.PROCESSOR_MAX_BYTES_PER_PARTITION,
      maxWaitTimeMs: env.PROCESSOR_MAX_WAIT,
      overlapWrites: env.PROCESSOR_OVERLAP_WRITES,
      retryBackoffMs: { initial: 200, max: 10_000 },
      groupTiming: {
        ...DEFAULT_CONSUMER_GROUP_TIMING,
        sessionTimeoutMs: env.PROCESSOR_SESSION_TIMEOUT,
        heartbeatIntervalMs: Math.max(100, Math.floor(env.PROCESSOR_SESSION_TIMEOUT / 6)),
      },
      stallAfterMs: env.PROCESSOR_STALL_AFTER,
    },
  });
  const app = buildProcessorApp({
    logger,
    metrics,
    readiness: () => ({ ...processor.health(), rulesets: rulesets.loaded }),
  });
  const url = await app.listen({ host: env.PROCESSOR_HOST, port: env.PROCESSOR_PORT });
  logger.info({ url }, 'processor health endpoint listening');
  return {
    url,
    async close() {
      await processor.stop();
      await rejections.close();
      rulesets.close();
      await producer.disconnect();
      await app.close();
    },
  };
}
