import type { ClickHouseClient } from '@clickhouse/client';
import { createProjectDirectory } from '@waymark/clickhouse';
import type { Logger } from '@waymark/logger';
import { buildQueryApp } from './app.ts';
import type { QueryEnv } from './env.ts';

export interface RunningQuery {
  url: string;
  close(): Promise<void>;
}

export async function startQuery(deps: {
  env: QueryEnv;
  logger: Logger;
  clickhouse: ClickHouseClient;
}): Promise<RunningQuery> {
  const { env, logger, clickhouse } = deps;
  const directory = createProjectDirectory(clickhouse, { refreshMs: env.QUERY_API_KEY_REFRESH, logger });
  await directory.refresh();
  const app = buildQueryApp({
    logger,
    clickhouse,
    apiKeyOwners: () => directory.projects(),
    refreshAfterMiss: directory.refreshAfterMiss,
    isReady: () => directory.loaded,
  });
  const url = await app.listen({ host: env.QUERY_HOST, port: env.QUERY_PORT });
  logger.info({ url }, 'query service listening');
  return {
    url,
    async close() {
      await app.close();
      directory.close();
    },
  };
}
