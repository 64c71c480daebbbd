import { createClickHouse } from '@waymark/clickhouse';
import { ConfigError } from '@waymark/config';
import { createKafka } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { loadProcessorEnv } from './env.ts';
import { startProcessorService } from './start.ts';

// Standalone: one processor group member against an existing Kafka cluster and ClickHouse server; add
// members to scale (up to the partition count). `waymark start` is the single-machine setup.
async function main() {
  const env = loadProcessorEnv(process.env);
  const logger = createLogger({ name: 'processor', level: env.LOG_LEVEL });
  if (!env.KAFKA_BROKERS?.length || !env.CLICKHOUSE_URL) {
    throw new ConfigError([
      'KAFKA_BROKERS and CLICKHOUSE_URL are required to run the processor on its own (use `waymark start` for the single-machine setup)',
    ]);
  }
  const clickhouse = await createClickHouse({
    url: env.CLICKHOUSE_URL,
    username: env.CLICKHOUSE_USER,
    password: env.CLICKHOUSE_PASSWORD,
    database: env.CLICKHOUSE_DATABASE,
    logger,
  });
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'waymark-processor', logger });
  const processor = await startProcessorService({ env, logger, kafka, clickhouse });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'draining');
    await processor.close();
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
