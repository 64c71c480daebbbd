import { createClickHouse } from '@waymark/clickhouse';
import { ConfigError } from '@waymark/config';
import { createLogger } from '@waymark/logger';
import { loadQueryEnv } from './env.ts';
import { startQuery } from './start.ts';

// Standalone: the query API against a ClickHouse server. `waymark start` is the single-machine setup.
async function main() {
  const env = loadQueryEnv(process.env);
  const logger = createLogger({ name: 'query', level: env.LOG_LEVEL });
  if (!env.CLICKHOUSE_URL) {
    throw new ConfigError([
      'CLICKHOUSE_URL is required to run the query service on its own (use `waymark start` for the single-machine setup)',
    ]);
  }
  const clickhouse = await createClickHouse({
    url: env.CLICKHOUSE_URL,
    username: env.CLICKHOUSE_USER,
    password: env.CLICKHOUSE_PASSWORD,
    database: env.CLICKHOUSE_DATABASE,
    logger,
  });
  const query = await startQuery({ env, logger, clickhouse });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'draining');
    await query.close();
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
