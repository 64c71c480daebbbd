export {
  openTestClickHouse,
  type PrivateKafka,
  startPrivateKafka,
  TEST_WEBHOOK_ENV,
  type TestClickHouse,
  testKafka,
  testKafkaBrokers,
  testLogger,
  uniqueProjectId,
} from './fixtures.ts';
export type { ClickHouseServerEndpoint, KafkaSource } from './provided-context.ts';
export {
  expectFunnelMatches,
  type ReferenceFunnel,
  type ReferenceLink,
  type ReferenceQuery,
  type ReferenceStage,
  type ReferenceTouchpoint,
  referenceStageFunnel,
} from './stage-funnel-reference.ts';
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
