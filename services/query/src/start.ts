import type { ClickHouseClient } from '@clickhouse/client';
import {
  createProjectDirectory,
  createRefreshing,
  listAdminTokenHashes,
  WebhookSecretBox,
} from '@waymark/clickhouse';
import { WebhookEgress } from '@waymark/http';
import type { Logger } from '@waymark/logger';
import type { Webhooks } from './alert-rules.ts';
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

/** The webhook settings of the environment: the secrets key and the egress allow-list. */
export const webhooksFromEnv = (
  env: Pick<QueryEnv, 'WAYMARK_SECRETS_KEY' | 'WAYMARK_WEBHOOK_ALLOW'>,
): Webhooks => ({
  secrets: new WebhookSecretBox(env.WAYMARK_SECRETS_KEY),
  egress: new WebhookEgress(env.WAYMARK_WEBHOOK_ALLOW),
});

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
    webhooks: webhooksFromEnv(env),
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
