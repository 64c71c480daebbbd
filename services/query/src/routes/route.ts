import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** What every route module gets: storage, and the API-key check that answers the request's project id. */
export interface RouteContext {
  readonly clickhouse: ClickHouseClient;
  authorize(request: FastifyRequest): Promise<string>;
}

/** A group of routes and their OpenAPI path descriptions, kept side by side. */
export interface ApiRoutes {
  register(app: FastifyInstance, context: RouteContext): void;
  readonly paths: Record<string, unknown>;
}
