import { clickHouseConfigFromEnv, createClickHouse } from '@waymark/clickhouse';
import { ConfigError } from '@waymark/config';
import { runStandalone } from '@waymark/http';
import { createKafka } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { loadAlerterEnv } from './env.ts';
import { startAlerter } from './start.ts';

// Standalone: one member of the alerter group against an existing Kafka cluster and ClickHouse server; run
// two or more for availability (rules are shared out by partition). `waymark start` is the single-machine setup.
runStandalone(async () => {
  const env = loadAlerterEnv(process.env);
  if (!env.KAFKA_BROKERS?.length || !env.CLICKHOUSE_URL) {
    throw new ConfigError([
      'KAFKA_BROKERS and CLICKHOUSE_URL are required (`waymark start` runs the single-machine setup)',
    ]);
  }
  const logger = createLogger({ name: 'alerter', level: env.LOG_LEVEL });
  const clickhouse = await createClickHouse({ ...clickHouseConfigFromEnv(env), logger });
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'waymark-alerter', logger });
  const alerter = await startAlerter({ env, logger, kafka, clickhouse });
  return {
    logger,
    async close() {
      await alerter.close();
      await clickhouse.close();
    },
  };
});
