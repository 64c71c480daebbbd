import { clickHouseConfigFromEnv, createClickHouse } from '@waymark/clickhouse';
import { ConfigError } from '@waymark/config';
import { runStandalone } from '@waymark/http';
import { createLogger } from '@waymark/logger';
import { loadQueryEnv } from './env.ts';
import { startQuery } from './start.ts';

// Standalone: the query API against a ClickHouse server. `waymark start` is the single-machine setup.
runStandalone(async () => {
  const env = loadQueryEnv(process.env);
  if (!env.CLICKHOUSE_URL) {
    throw new ConfigError(['CLICKHOUSE_URL is required (`waymark start` runs the single-machine setup)']);
  }
  const logger = createLogger({ name: 'query', level: env.LOG_LEVEL });
  const clickhouse = await createClickHouse({ ...clickHouseConfigFromEnv(env), logger });
  const query = await startQuery({ env, logger, clickhouse });
  return {
    logger,
    async close() {
      await query.close();
      await clickhouse.close();
    },
  };
});
