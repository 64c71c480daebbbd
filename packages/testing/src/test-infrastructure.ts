import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePorts, startLocalKafka } from '@waymark/devstack';
import { createKafka, ensureTopics } from '@waymark/kafka';
import type { Logger } from '@waymark/logger';
import type { ClickHouseServerEndpoint, KafkaSource } from './provided-context.ts';

/** Images used only where a Docker engine is reachable. cp-kafka 8.x is Apache Kafka 4.x. */
export const KAFKA_IMAGE = 'confluentinc/cp-kafka:8.1.0';
export const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:25.8';

/** Partitions of the registry's topics in tests: more than one, so per-key ordering is exercised. */
export const TEST_PARTITIONS = 3;

export interface TestInfrastructurePlan {
  kafka: { source: 'env'; brokers: string[] } | { source: 'testcontainers' | 'local' | 'auto' };
  clickhouse:
    | { source: 'env'; server: ClickHouseServerEndpoint }
    | { source: 'testcontainers' | 'embedded' | 'auto' };
}

export interface TestEnvironment {
  KAFKA_BROKERS?: string;
  CLICKHOUSE_URL?: string;
  CLICKHOUSE_USER?: string;
  CLICKHOUSE_PASSWORD?: string;
  /** `0` never uses Docker, `1` requires it; unset uses it when an engine answers. */
  WAYMARK_TESTCONTAINERS?: string;
}

export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

/** Which source each side comes from, decided from the environment alone (no I/O). */
export function planTestInfrastructure(env: TestEnvironment): TestInfrastructurePlan {
  const containers =
    env.WAYMARK_TESTCONTAINERS === '1'
      ? 'testcontainers'
      : env.WAYMARK_TESTCONTAINERS === '0'
        ? 'off'
        : 'auto';
  const brokers = parseBrokers(env.KAFKA_BROKERS ?? '');
  const url = env.CLICKHOUSE_URL?.trim();
  return {
    kafka:
      brokers.length > 0
        ? { source: 'env', brokers }
        : { source: containers === 'off' ? 'local' : containers },
    clickhouse:
      url !== undefined && url.length > 0
        ? {
            source: 'env',
            server: {
              url,
              username: env.CLICKHOUSE_USER || undefined,
              password: env.CLICKHOUSE_PASSWORD || undefined,
            },
          }
        : { source: containers === 'off' ? 'embedded' : containers },
  };
}

async function dockerAvailable(logger: Logger): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch (error) {
    logger.debug({ err: error }, 'no container runtime; using the local broker and embedded ClickHouse');
    return false;
  }
}

export interface TestInfrastructure {
  kafkaBrokers: string[];
  kafkaSource: KafkaSource;
  clickHouseServer: ClickHouseServerEndpoint | null;
  stop(): Promise<void>;
}

/**
 * Brings up what the integration tests share for a whole run: one Kafka cluster with the registry's
 * topics, and — only when a server is used — one ClickHouse server. Embedded ClickHouse (chDB) runs in
 * each test process, so there is nothing to start for it here.
 */
export async function startTestInfrastructure(
  env: TestEnvironment,
  logger: Logger,
): Promise<TestInfrastructure> {
  const plan = planTestInfrastructure(env);
  const needsDocker = plan.kafka.source === 'auto' || plan.clickhouse.source === 'auto';
  const docker = needsDocker ? await dockerAvailable(logger) : false;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne();
  };

  try {
    let kafkaBrokers: string[];
    let kafkaSource: KafkaSource;
    if (plan.kafka.source === 'env') {
      kafkaBrokers = plan.kafka.brokers;
      kafkaSource = 'env';
    } else if (plan.kafka.source === 'testcontainers' || (plan.kafka.source === 'auto' && docker)) {
      const { KafkaContainer } = await import('@testcontainers/kafka');
      const container = await new KafkaContainer(KAFKA_IMAGE)
        .withEnvironment({
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        })
        .start();
      stops.push(async () => {
        await container.stop();
      });
      kafkaBrokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
      kafkaSource = 'testcontainers';
    } else {
      const dataDir = await mkdtemp(join(tmpdir(), 'waymark-test-kafka-'));
      const [port, controllerPort] = await findFreePorts(2);
      const broker = await startLocalKafka({
        dataDir,
        port,
        controllerPort,
        logger,
        partitions: TEST_PARTITIONS,
      });
      stops.push(async () => {
        await broker.stop();
        await rm(dataDir, { recursive: true, force: true });
      });
      kafkaBrokers = broker.brokers;
      kafkaSource = 'local';
    }

    const kafka = createKafka({ brokers: kafkaBrokers, clientId: 'waymark-test-setup', logger });
    const admin = kafka.admin();
    await admin.connect();
    const { brokers } = await admin.describeCluster().finally(() => admin.disconnect());
    await ensureTopics(kafka, {
      partitions: TEST_PARTITIONS,
      replicationFactor: Math.min(3, brokers.length),
    });

    let clickHouseServer: ClickHouseServerEndpoint | null = null;
    if (plan.clickhouse.source === 'env') {
      clickHouseServer = plan.clickhouse.server;
    } else if (plan.clickhouse.source === 'testcontainers' || (plan.clickhouse.source === 'auto' && docker)) {
      const { ClickHouseContainer } = await import('@testcontainers/clickhouse');
      const container = await new ClickHouseContainer(CLICKHOUSE_IMAGE).start();
      stops.push(async () => {
        await container.stop();
      });
      clickHouseServer = {
        url: container.getHttpUrl(),
        username: container.getUsername(),
        password: container.getPassword(),
      };
    }

    logger.info(
      { kafkaBrokers, kafkaSource, clickHouse: clickHouseServer?.url ?? 'embedded' },
      'test infrastructure up',
    );
    return { kafkaBrokers, kafkaSource, clickHouseServer, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
