import type { ClickHouseClient } from '@clickhouse/client';
import { ProjectParams } from '@waymark/api-contract';
import { apiKeyId, hashApiKey, shareLinkKey as loadShareLinkKey } from '@waymark/clickhouse';
import { createServiceApp } from '@waymark/http';
import type { Logger } from '@waymark/logger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Webhooks } from './alert-rules.ts';
import { registerApiDocs } from './api-docs.ts';
import { type ApiKeyOwner, checkAdminToken, checkApiKey } from './api-keys.ts';
import { type ConsolePages, registerConsole } from './console.ts';
import { ErasureRunner } from './erasures.ts';
import { openApiDocument } from './openapi.ts';
import { QUERY_ERRORS, queryProblem } from './problems.ts';
import { API_ROUTES } from './routes/index.ts';
import type { Authorized, RouteContext } from './routes/route.ts';
import { shareLinkAuthorizer } from './share-links.ts';
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
  /** The admin tokens' hashes, kept fresh like the owners; without them every admin route answers 401. */
  adminTokenHashes?: () => readonly string[];
  /** Re-reads the admin tokens after an unknown one (throttled by the caller). */
  refreshAdminTokensAfterMiss?: () => Promise<void>;
  /** Re-reads the owners at once, after the admin API changed a project or its keys. */
  projectsChanged?: () => Promise<void>;
  /** The built console (packages/console/dist by default); `/` says how to build it when missing. */
  consoleDir?: string;
  /** One-time console sign-in links (`waymark start` prints one); none without it. */
  signInLinks?: SignInLinks;
  /** The key share links are signed with (QUERY_SHARE_LINK_KEY); without it, the one kept in ClickHouse. */
  shareLinkKey?: Buffer;
  /** Runs erasure jobs; by default one that waits 5 s after suppressing (ErasureRunOptions.settleMs). */
  erasures?: ErasureRunner;
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

  const authorize = async (request: FastifyRequest): Promise<Authorized> => {
    const { projectId } = parse(ProjectParams, request.params);
    const apiKey = bearer(request);
    let check = checkApiKey(deps.apiKeyOwners(), projectId, apiKey);
    if (!check.ok && check.code === 'UNAUTHENTICATED' && apiKey && deps.refreshAfterMiss) {
      await deps.refreshAfterMiss();
      check = checkApiKey(deps.apiKeyOwners(), projectId, apiKey);
    }
    if (!check.ok) throw queryProblem(check.code);
    return { projectId, apiKeyId: apiKeyId(hashApiKey(apiKey ?? '')) };
  };

  const erasures =
    deps.erasures ??
    new ErasureRunner({ clickhouse: deps.clickhouse, logger: deps.logger, options: { settleMs: 5000 } });
  // A run stopped half-way would resume at the next start; letting it finish is quicker for everyone.
  app.addHook('onClose', () => erasures.idle());
  // Only the admin token passes: a project's API key or write key is never one of its hashes.
  const authorizeAdmin = async (request: FastifyRequest): Promise<void> => {
    const token = bearer(request);
    const hashes = () => deps.adminTokenHashes?.() ?? [];
    if (checkAdminToken(hashes(), token)) return;
    if (token && deps.refreshAdminTokensAfterMiss) {
      await deps.refreshAdminTokensAfterMiss();
      if (checkAdminToken(hashes(), token)) return;
    }
    throw queryProblem('ADMIN_TOKEN_REQUIRED');
  };
  const projectsChanged = deps.projectsChanged ?? (async () => undefined);

  let storedKey: Promise<Buffer> | undefined;
  const shareLinkKey = async () => {
    if (deps.shareLinkKey) return deps.shareLinkKey;
    storedKey ??= loadShareLinkKey(deps.clickhouse).catch((error: unknown) => {
      storedKey = undefined; // asked again by the next request, not failed for good
      throw error;
    });
    return storedKey;
  };
  const context: RouteContext = {
    clickhouse: deps.clickhouse,
    erasures,
    webhooks: deps.webhooks,
    authorize,
    authorizeAdmin,
    projectsChanged,
    authorizeShare: shareLinkAuthorizer({
      clickhouse: deps.clickhouse,
      shareLinkKey,
      projectExists: (projectId) => deps.apiKeyOwners().some((owner) => owner.projectId === projectId),
    }),
    shareLinkKey,
    answer: (contract, projectId, query) => {
      const served = API_ROUTES.find((route) => route.contract === contract);
      if (!served) throw new Error(`no route serves ${contract.operationId}`);
      return served.answer(projectId, { params: { projectId }, query }, context);
    },
  };
  for (const route of API_ROUTES) route.register(app, context);
  app.get('/openapi.json', async () => openApiDocument());
  registerApiDocs(app);
  consolePages = registerConsole(app, deps.consoleDir);
  if (deps.signInLinks) registerSignInLinks(app, deps.signInLinks);
  return app;
}
