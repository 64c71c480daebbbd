import type { ClickHouseClient } from '@clickhouse/client';
import { createProjectDirectory, createRejectionRecorder } from '@waymark/clickhouse';
import { KafkaDefaultPartitioner, TOPICS } from '@waymark/kafka';
import type { Logger } from '@waymark/logger';
import type { Kafka } from 'kafkajs';
import { buildCollectorApp } from './app.ts';
import { type CollectorEnv, trustProxySetting } from './env.ts';
import { createKafkaReadiness } from './kafka-readiness.ts';
import { createKafkaPublisher } from './publisher.ts';
import { DEFAULT_SDK_FILE, loadSdkBundle } from './sdk-route.ts';

/** How often `/health/ready` asks Kafka whether it answers (and how long it waits at most). */
const READINESS_PROBE_INTERVAL_MS = 2_000;

export interface RunningCollector {
  url: string;
  /** Stops accepting, answers what is in flight (Kafka acks included), then disconnects. */
  close(): Promise<void>;
}

export async function startCollector(deps: {
  env: CollectorEnv;
  logger: Logger;
  kafka: Kafka;
  clickhouse: ClickHouseClient;
}): Promise<RunningCollector> {
  const { env, logger, kafka, clickhouse } = deps;
  const producer = kafka.producer({
    createPartitioner: KafkaDefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  let producerConnected = false;
  producer.on(producer.events.CONNECT, () => {
    producerConnected = true;
  });
  producer.on(producer.events.DISCONNECT, () => {
    producerConnected = false;
  });
  await producer.connect();
  // A metadata request as the readiness probe: answered by any live broker, costs the cluster nothing.
  const admin = kafka.admin();
  await admin.connect();
  const kafkaReadiness = createKafkaReadiness({
    probe: () => admin.describeCluster(),
    intervalMs: READINESS_PROBE_INTERVAL_MS,
    timeoutMs: Math.min(env.COLLECTOR_PUBLISH_TIMEOUT, READINESS_PROBE_INTERVAL_MS),
  });

  const projects = createProjectDirectory(clickhouse, { refreshMs: env.COLLECTOR_WRITE_KEY_REFRESH, logger });
  await projects.refresh();

  const sdkFile = env.COLLECTOR_SDK_FILE ?? DEFAULT_SDK_FILE;
  const sdkBundle = await loadSdkBundle(sdkFile);
  if (!sdkBundle) logger.warn({ file: sdkFile }, 'waymark.js is not built: /sdk/waymark.js answers 503');

  const rejections = createRejectionRecorder(clickhouse, { logger });
  const app = buildCollectorApp({
    logger,
    rejections,
    publisher: kafkaReadiness.observe(
      createKafkaPublisher({ producer, topic: TOPICS.events, timeoutMs: env.COLLECTOR_PUBLISH_TIMEOUT }),
    ),
    projects,
    isPublisherReady: () => producerConnected && kafkaReadiness.isReady(),
    sdk: {
      bundle: sdkBundle,
      extraPaths: env.COLLECTOR_SDK_PATH ? [env.COLLECTOR_SDK_PATH] : [],
      maxAgeSeconds: Math.round(env.COLLECTOR_SDK_MAX_AGE / 1000),
    },
    options: {
      anonymizeIp: env.COLLECTOR_ANONYMIZE_IP,
      trustProxy: trustProxySetting(env.COLLECTOR_TRUST_PROXY),
      retryAfterSeconds: Math.ceil(env.COLLECTOR_RETRY_AFTER / 1000),
      rateLimit: {
        eventsPerSecondPerKey: env.COLLECTOR_RATE_LIMIT_EVENTS_PER_KEY,
        requestsPerSecondPerIp: env.COLLECTOR_RATE_LIMIT_REQUESTS_PER_IP,
        burstSeconds: 5,
      },
    },
  });
  const url = await app.listen({ host: env.COLLECTOR_HOST, port: env.COLLECTOR_PORT });
  logger.info({ url }, 'collector listening');
  return {
    url,
    async close() {
      await app.close();
      await rejections.close();
      projects.close();
      kafkaReadiness.close();
      await admin.disconnect();
      await producer.disconnect();
    },
  };
}
