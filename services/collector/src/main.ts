import { createClickHouse } from '@waymark/clickhouse';
import { ConfigError } from '@waymark/config';
import { createKafka } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { loadCollectorEnv } from './env.ts';
import { startCollector } from './start.ts';

// Standalone: the collector alone, against an existing Kafka cluster and ClickHouse server. On one
// machine, `waymark start` runs every service with the local broker and the embedded engine instead.
async function main() {
  const env = loadCollectorEnv(process.env);
  const logger = createLogger({ name: 'collector', level: env.LOG_LEVEL });
  if (!env.KAFKA_BROKERS?.length || !env.CLICKHOUSE_URL) {
    throw new ConfigError([
      'KAFKA_BROKERS and CLICKHOUSE_URL are required to run the collector on its own (use `waymark start` for the single-machine setup)',
    ]);
  }
  const clickhouse = await createClickHouse({
    url: env.CLICKHOUSE_URL,
    username: env.CLICKHOUSE_USER,
    password: env.CLICKHOUSE_PASSWORD,
    database: env.CLICKHOUSE_DATABASE,
    logger,
  });
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'waymark-collector', logger });
  const collector = await startCollector({ env, logger, kafka, clickhouse });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'draining');
    await collector.close();
    await clickhouse.close();
    process.exit(0);
  };
  process.once('SIGTERM', (s) => void shutdown(s));
  process.once('SIGINT', (s) => void shutdown(s));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
