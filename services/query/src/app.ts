import type { ClickHouseClient } from '@clickhouse/client';
import {
  queryCustomer,
  queryCustomers,
  querySegments,
  querySessions,
  queryStageFunnel,
  queryStageFunnelBreakdown,
} from '@waymark/clickhouse';
import { createServiceApp } from '@waymark/http';
import type { Logger } from '@waymark/logger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type ApiKeyOwner, checkApiKey } from './api-keys.ts';
import { currentCustomerModel, putCustomerModel } from './customer-model.ts';
import { openApiDocument } from './openapi.ts';
import {
  CustomerParams,
  CustomersQuery,
  ProjectParams,
  SegmentsQuery,
  SessionsQuery,
  StageFunnelQuery,
} from './params.ts';
import { QUERY_ERRORS, queryProblem } from './problems.ts';
import { currentRuleset, dryRunRuleset, putRuleset } from './stage-rules.ts';
import { parse } from './validation.ts';

export interface QueryDeps {
  logger: Logger;
  clickhouse: ClickHouseClient;
  /** The current API key hashes by project (kept fresh by the caller). */
  apiKeyOwners: () => readonly ApiKeyOwner[];
  /** Re-reads the owners after an unknown key (throttled by the caller), so new keys work at once. */
  refreshAfterMiss?: () => Promise<void>;
  isReady?: () => boolean;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** The read API over ClickHouse; never listens (main.ts does), tests use `inject()`. */
export function buildQueryApp(deps: QueryDeps): FastifyInstance {
  const app = createServiceApp({
    name: 'query',
    logger: deps.logger,
    problems: QUERY_ERRORS,
    invalidRequestCode: 'INVALID_REQUEST',
    readiness: () => ({ projects: deps.isReady?.() ?? true }),
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

  app.get('/v1/projects/:projectId/funnel/stages', async (request) => {
    const projectId = await authorize(request);
    const query = parse(StageFunnelQuery, request.query);
    const funnelQuery = { projectId, from: query.from, to: query.to, windowSeconds: query.window };
    const funnel = await queryStageFunnel(deps.clickhouse, funnelQuery);
    const breakdown =
      query.breakdown === undefined
        ? undefined
        : {
            dimension: query.breakdown,
            segments: await queryStageFunnelBreakdown(deps.clickhouse, {
              ...funnelQuery,
              dimension: query.breakdown,
              model: (await currentCustomerModel(deps.clickhouse, projectId)).model,
            }),
          };
    return {
      projectId,
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      windowSeconds: query.window,
      mode: query.mode,
      ...funnel,
      ...(breakdown && { breakdown }),
    };
  });

  app.get('/v1/projects/:projectId/customers', async (request) => {
    const projectId = await authorize(request);
    const { limit, after, ...filter } = parse(CustomersQuery, request.query);
    const { model } = await currentCustomerModel(deps.clickhouse, projectId);
    return queryCustomers(deps.clickhouse, { projectId, model, filter, limit, after });
  });

  app.get('/v1/projects/:projectId/customers/:customer', async (request) => {
    const projectId = await authorize(request);
    const { customer } = parse(CustomerParams, request.params);
    const { model } = await currentCustomerModel(deps.clickhouse, projectId);
    const profile = await queryCustomer(deps.clickhouse, { projectId, model, customer });
    if (profile === undefined) throw queryProblem('NOT_FOUND', `no customer ${customer} in this project`);
    return profile;
  });

  app.get('/v1/projects/:projectId/segments', async (request) => {
    const projectId = await authorize(request);
    const { dimension } = parse(SegmentsQuery, request.query);
    const { model } = await currentCustomerModel(deps.clickhouse, projectId);
    return { dimension, segments: await querySegments(deps.clickhouse, { projectId, model, dimension }) };
  });

  app.get('/v1/projects/:projectId/customer-model', async (request) =>
    currentCustomerModel(deps.clickhouse, await authorize(request)),
  );
  app.put('/v1/projects/:projectId/customer-model', async (request) =>
    putCustomerModel(deps.clickhouse, await authorize(request), request.body),
  );

  app.get('/v1/projects/:projectId/sessions', async (request) => {
    const projectId = await authorize(request);
    const query = parse(SessionsQuery, request.query);
    return { sessions: await querySessions(deps.clickhouse, { projectId, ...query }) };
  });

  app.get('/v1/projects/:projectId/stage-rules', async (request) =>
    currentRuleset(deps.clickhouse, await authorize(request)),
  );
  app.put('/v1/projects/:projectId/stage-rules', async (request) =>
    putRuleset(deps.clickhouse, await authorize(request), request.body),
  );
  app.post('/v1/projects/:projectId/stage-rules/dry-run', async (request) =>
    dryRunRuleset(deps.clickhouse, await authorize(request), request.body),
  );

  app.get('/openapi.json', async () => openApiDocument());
  return app;
}
