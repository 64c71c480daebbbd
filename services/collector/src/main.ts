import { clickHouseConfigFromEnv, createClickHouse } from '@waymark/clickhouse';
import { ConfigError } from '@waymark/config';
import { runStandalone } from '@waymark/http';
import { createKafka } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { loadCollectorEnv } from './env.ts';
import { startCollector } from './start.ts';

// Standalone: the collector alone, against an existing Kafka cluster and ClickHouse server. On one
// machine, `waymark start` runs every service with the local broker and the embedded engine instead.
runStandalone(async () => {
  const env = loadCollectorEnv(process.env);
  if (!env.KAFKA_BROKERS?.length || !env.CLICKHOUSE_URL) {
    throw new ConfigError([
      'KAFKA_BROKERS and CLICKHOUSE_URL are required (`waymark start` runs the single-machine setup)',
    ]);
  }
  const logger = createLogger({ name: 'collector', level: env.LOG_LEVEL });
  const clickhouse = await createClickHouse({ ...clickHouseConfigFromEnv(env), logger });
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'waymark-collector', logger });
  const collector = await startCollector({ env, logger, kafka, clickhouse });
  return {
    logger,
    async close() {
      await collector.close();
      await clickhouse.close();
    },
  };
});
