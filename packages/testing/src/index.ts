export {
  openTestClickHouse,
  type PrivateKafka,
  startPrivateKafka,
  type TestClickHouse,
  testKafka,
  testKafkaBrokers,
  testLogger,
  uniqueProjectId,
} from './fixtures.ts';
export type { ClickHouseServerEndpoint, KafkaSource } from './provided-context.ts';
export {
  CLICKHOUSE_IMAGE,
  KAFKA_IMAGE,
  parseBrokers,
  planTestInfrastructure,
  startTestInfrastructure,
  TEST_PARTITIONS,
  type TestEnvironment,
  type TestInfrastructure,
  type TestInfrastructurePlan,
} from './test-infrastructure.ts';
