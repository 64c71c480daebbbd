import { createLogger } from '@waymark/logger';
import type { TestProject } from 'vitest/node';
import './provided-context.ts';
import { startTestInfrastructure, type TestEnvironment } from './test-infrastructure.ts';

/**
 * vitest `globalSetup` of the integration project: one Kafka cluster for the whole run, handed to test
 * files through `inject('waymarkKafkaBrokers')`. This is the test run's edge, so it is the one place in
 * this package that reads the environment (KAFKA_BROKERS, CLICKHOUSE_URL, WAYMARK_TESTCONTAINERS).
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const logger = createLogger({ name: 'waymark-test-setup', level: 'warn' });
  const env: TestEnvironment = process.env;
  const infrastructure = await startTestInfrastructure(env, logger);
  project.provide('waymarkKafkaBrokers', infrastructure.kafkaBrokers);
  project.provide('waymarkKafkaSource', infrastructure.kafkaSource);
  project.provide('waymarkClickHouseServer', infrastructure.clickHouseServer);
  return () => infrastructure.stop();
}
