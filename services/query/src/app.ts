import type { ClickHouseClient } from '@clickhouse/client';
import { queryStageFunnel } from '@waymark/clickhouse';
import type { Logger } from '@waymark/logger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { z } from 'zod';
import { type ApiKeyOwner, checkApiKey } from './api-keys.ts';
import { openApiDocument } from './openapi.ts';
import { ProjectParams, StageFunnelQuery } from './params.ts';
import { QueryError } from './problems.ts';

export interface QueryDeps {
  logger: Logger;
  clickhouse: ClickHouseClient;
  /** The current API key hashes by project (kept fresh by the caller). */
  apiKeyOwners: () => readonly ApiKeyOwner[];
  /** Re-reads the owners after an unknown key (throttled by the caller), so new keys work at once. */
  refreshAfterMiss?: () => Promise<void>;
  isReady?: () => boolean;
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const errors = result.error.issues.map((i) => ({
      field: i.path.map(String).join('.'),
      message: i.message,
    }));
    throw new QueryError(
      'INVALID_REQUEST',
      errors.map((e) => `${e.field || 'query'}: ${e.message}`).join('; '),
      {
        errors,
      },
    );
  }
  return result.data;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** The read API over ClickHouse; never listens (main.ts does), tests use `inject()`. */
export function buildQueryApp(deps: QueryDeps): FastifyInstance {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'waymark_query_' });
  const requests = new Counter({
    name: 'waymark_query_requests_total',
    help: 'HTTP requests by route and status code',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'waymark_query_duration_seconds',
    help: 'Time to answer, by route',
    labelNames: ['route'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    disableRequestLogging: true,
    return503OnClosing: true,
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    let problem: QueryError;
    if (error instanceof QueryError) problem = error;
    else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
      problem = new QueryError('INVALID_REQUEST', error.message);
    else {
      request.log.error({ err: error }, 'unexpected error');
      problem = new QueryError('INTERNAL');
    }
    return reply.status(problem.status).type('application/problem+json').send(problem.toProblem());
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).type('application/problem+json').send(new QueryError('NOT_FOUND').toProblem()),
  );
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    requests.inc({ route, status: String(reply.statusCode) });
    latency.observe({ route }, reply.elapsedTime / 1000);
  });

  const authorize = async (request: FastifyRequest): Promise<string> => {
    const { projectId } = parse(ProjectParams, request.params);
    const apiKey = bearer(request);
    let check = checkApiKey(deps.apiKeyOwners(), projectId, apiKey);
    if (!check.ok && check.code === 'UNAUTHENTICATED' && apiKey && deps.refreshAfterMiss) {
      await deps.refreshAfterMiss();
      check = checkApiKey(deps.apiKeyOwners(), projectId, apiKey);
    }
    if (!check.ok) throw new QueryError(check.code);
    return projectId;
  };

  app.get('/v1/projects/:projectId/funnel/stages', async (request) => {
    const projectId = await authorize(request);
    const query = parse(StageFunnelQuery, request.query);
    const funnel = await queryStageFunnel(deps.clickhouse, {
      projectId,
      from: query.from,
      to: query.to,
      windowSeconds: query.window,
    });
    return {
      projectId,
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      windowSeconds: query.window,
      mode: query.mode,
      ...funnel,
    };
  });

  app.get('/openapi.json', async () => openApiDocument());
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const ready = deps.isReady?.() ?? true;
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready' });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return app;
}
