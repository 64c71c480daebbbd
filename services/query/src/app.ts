import type { ClickHouseClient } from '@clickhouse/client';
import { ProjectParams } from '@waymark/api-contract';
import { createServiceApp } from '@waymark/http';
import type { Logger } from '@waymark/logger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Webhooks } from './alert-rules.ts';
import { registerApiDocs } from './api-docs.ts';
import { type ApiKeyOwner, checkApiKey } from './api-keys.ts';
import { type ConsolePages, registerConsole } from './console.ts';
import { openApiDocument } from './openapi.ts';
import { QUERY_ERRORS, queryProblem } from './problems.ts';
import { API_ROUTES } from './routes/index.ts';
import { registerSignInLinks, type SignInLinks } from './sign-in-links.ts';
import { parse } from './validation.ts';

export interface QueryDeps {
  logger: Logger;
  clickhouse: ClickHouseClient;
  webhooks: Webhooks;
  /** The current API key hashes by project (kept fresh by the caller). */
  apiKeyOwners: () => readonly ApiKeyOwner[];
  /** Re-reads the owners after an unknown key (throttled by the caller), so new keys work at once. */
  refreshAfterMiss?: () => Promise<void>;
  isReady?: () => boolean;
  /** The built console (packages/console/dist by default); `/` says how to build it when missing. */
  consoleDir?: string;
  /** One-time console sign-in links (`waymark start` prints one); none without it. */
  signInLinks?: SignInLinks;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** The read API over ClickHouse; never listens (main.ts does), tests use `inject()`. */
export function buildQueryApp(deps: QueryDeps): FastifyInstance {
  // Registered below, with the console's routes; asked for every path no route has.
  let consolePages: ConsolePages | undefined;
  const app = createServiceApp({
    name: 'query',
    logger: deps.logger,
    problems: QUERY_ERRORS,
    invalidRequestCode: 'INVALID_REQUEST',
    // A customer key of 600 characters, each percent-encoded as up to 12 (a 4-byte UTF-8 character).
    maxParamLength: 600 * 12,
    readiness: () => ({ projects: deps.isReady?.() ?? true }),
    notFound: (request, reply) => consolePages?.(request, reply),
  });

  const authorize = async (request: FastifyRequest): Promise<string> => {
    const { projectId } = parse(ProjectParams, request.params);
    const apiKey = bearer(request);
    let check = checkApiKey(deps.apiKeyOwners(), projectId, apiKey);
    if (!check.ok && check.code === 'UNAUTHENTICATED' && apiKey && deps.refreshAfterMiss) {
      await deps.refreshAfterMiss();
      check = checkApiKey(deps.apiKeyOwners(), projectId, apiKey);
    }
    if (!check.ok) throw queryProblem(check.code);
    return projectId;
  };

  for (const route of API_ROUTES)
    route.register(app, { clickhouse: deps.clickhouse, webhooks: deps.webhooks, authorize });
  app.get('/openapi.json', async () => openApiDocument());
  registerApiDocs(app);
  consolePages = registerConsole(app, deps.consoleDir);
  if (deps.signInLinks) registerSignInLinks(app, deps.signInLinks);
  return app;
}
