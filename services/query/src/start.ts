import type { ClickHouseClient } from '@clickhouse/client';
import { createProjectDirectory, createRefreshing, listAdminTokenHashes } from '@waymark/clickhouse';
import type { Logger } from '@waymark/logger';
import { buildQueryApp } from './app.ts';
import type { QueryEnv } from './env.ts';
import { ErasureRunner } from './erasures.ts';
import { SignInLinks, type SignInSession } from './sign-in-links.ts';

export interface RunningQuery {
  url: string;
  /** A console URL that signs `session` in once, within SIGN_IN_LINK_TTL_MS (sign-in-links.ts). */
  signInLink(session: SignInSession): string;
  close(): Promise<void>;
}

export async function startQuery(deps: {
  env: QueryEnv;
  logger: Logger;
  clickhouse: ClickHouseClient;
}): Promise<RunningQuery> {
  const { env, logger, clickhouse } = deps;
  const directory = createProjectDirectory(clickhouse, { refreshMs: env.QUERY_API_KEY_REFRESH, logger });
  const adminTokens = createRefreshing(() => listAdminTokenHashes(clickhouse), [] as string[], {
    refreshMs: env.QUERY_API_KEY_REFRESH,
    logger,
    what: 'admin tokens',
  });
  await Promise.all([directory.refresh(), adminTokens.refresh()]);
  const signInLinks = new SignInLinks();
  const erasures = new ErasureRunner({ clickhouse, logger, options: { settleMs: env.QUERY_ERASURE_SETTLE } });
  const app = buildQueryApp({
    erasures,
    signInLinks,
    logger,
    clickhouse,
    apiKeyOwners: () => directory.projects(),
    refreshAfterMiss: directory.refreshAfterMiss,
    isReady: () => directory.loaded,
    ...(env.QUERY_SHARE_LINK_KEY !== undefined && { shareLinkKey: Buffer.from(env.QUERY_SHARE_LINK_KEY) }),
    adminTokenHashes: adminTokens.current,
    refreshAdminTokensAfterMiss: adminTokens.refreshAfterMiss,
    // A load that starts after the change (refresh() could join one already reading the old row).
    projectsChanged: directory.refreshAfterMiss,
  });
  const url = await app.listen({ host: env.QUERY_HOST, port: env.QUERY_PORT });
  logger.info({ url }, 'query service listening');
  const resumed = await erasures.resumeUnfinished();
  if (resumed > 0) logger.info({ erasures: resumed }, 'resuming unfinished erasures');
  return {
    url,
    signInLink: (session) => `${url}/#sign-in=${signInLinks.issue(session)}`,
    async close() {
      await app.close();
      directory.close();
      adminTokens.close();
    },
  };
}
