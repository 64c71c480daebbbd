import { clickHouseConfigFromEnv, createClickHouse } from '@waymark/clickhouse';
import { ConfigError } from '@waymark/config';
import { runStandalone } from '@waymark/http';
import { createKafka } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { loadProcessorEnv } from './env.ts';
import { startProcessorService } from './start.ts';

// Standalone: one member of the processor group against an existing Kafka cluster and ClickHouse server;
// add members to scale (up to the partition count). `waymark start` is the single-machine setup.
runStandalone(async () => {
  const env = loadProcessorEnv(process.env);
  if (!env.KAFKA_BROKERS?.length || !env.CLICKHOUSE_URL) {
    throw new ConfigError([
      'KAFKA_BROKERS and CLICKHOUSE_URL are required (`waymark start` runs the single-machine setup)',
    ]);
  }
  const logger = createLogger({ name: 'processor', level: env.LOG_LEVEL });
  const clickhouse = await createClickHouse({ ...clickHouseConfigFromEnv(env), logger });
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'waymark-processor', logger });
  const processor = await startProcessorService({ env, logger, kafka, clickhouse });
  return {
    logger,
    async close() {
      await processor.close();
      await clickhouse.close();
    },
  };
});
