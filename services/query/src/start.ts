import type { ClickHouseClient } from '@clickhouse/client';
import { createProjectDirectory, WebhookSecretBox } from '@waymark/clickhouse';
import { WebhookEgress } from '@waymark/http';
import type { Logger } from '@waymark/logger';
import type { Webhooks } from './alert-rules.ts';
import { buildQueryApp } from './app.ts';
import type { QueryEnv } from './env.ts';
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
  await directory.refresh();
  const signInLinks = new SignInLinks();
  const app = buildQueryApp({
    signInLinks,
    logger,
    clickhouse,
    webhooks: webhooksFromEnv(env),
    apiKeyOwners: () => directory.projects(),
    refreshAfterMiss: directory.refreshAfterMiss,
    isReady: () => directory.loaded,
  });
  const url = await app.listen({ host: env.QUERY_HOST, port: env.QUERY_PORT });
  logger.info({ url }, 'query service listening');
  return {
    url,
    signInLink: (session) => `${url}/#sign-in=${signInLinks.issue(session)}`,
    async close() {
      await app.close();
      directory.close();
    },
  };
}
