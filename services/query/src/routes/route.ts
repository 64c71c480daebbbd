import type { ClickHouseClient } from '@clickhouse/client';
import type { ParsedRequest, RouteContract, RouteResponse } from '@waymark/api-contract';
import { ClickHouseQueryRangeError } from '@waymark/clickhouse';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Webhooks } from '../alert-rules.ts';
import { queryRangeProblem } from '../problems.ts';
import { parse } from '../validation.ts';

/** What every handler gets: storage, and the API-key check that answers the request's project id. */
export interface RouteContext {
  readonly clickhouse: ClickHouseClient;
  readonly webhooks: Webhooks;
  authorize(request: FastifyRequest): Promise<string>;
}

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A handler's request: the contract's parsed parts and the authorized project. */
export type HandlerRequest<C extends RouteContract> = ParsedRequest<C> & { readonly projectId: string };

/** A handler answers what its contract's response schema describes (checked by the compiler), or nothing. */
export type RouteHandler<C extends RouteContract> = (
  request: HandlerRequest<C>,
  context: Pick<RouteContext, 'clickhouse' | 'webhooks'>,
) => Promise<C['response']['schema'] extends z.ZodType ? DeepReadonly<RouteResponse<C>> : void>;

/** A contract and its handler: one row of the route table. */
export interface ServedRoute {
  readonly contract: RouteContract;
  register(app: FastifyInstance, context: RouteContext): void;
}

/**
 * Serves a contract. The API key is checked before anything else, so even an otherwise invalid request gets
 * the auth answer; then params, query and body are parsed with the contract's schemas, each refusal an
 * INVALID_REQUEST naming every offending field (docs/api-errors.md). A query that refuses its input
 * (ClickHouseQueryRangeError) is an INVALID_REQUEST of every route, mapped here once.
 */
export function route<const C extends RouteContract>(contract: C, handler: RouteHandler<C>): ServedRoute {
  return {
    contract,
    register(app, { clickhouse, webhooks, authorize }) {
      app.route({
        method: contract.method.toUpperCase() as 'GET',
        url: contract.path,
        handler: async (request, reply) => {
          const projectId = await authorize(request);
          const parsed = {
            projectId,
            params: parse(contract.params, request.params),
            query: contract.query && parse(contract.query, request.query),
            body:
              contract.body === undefined || contract.bodyCheckedBy === 'handler'
                ? request.body
                : parse(contract.body, request.body),
          } as HandlerRequest<C>;
          const answer = await handler(parsed, { clickhouse, webhooks }).catch((error: unknown) => {
            throw error instanceof ClickHouseQueryRangeError ? queryRangeProblem(error) : error;
          });
          const { status } = contract.response;
          return status === 204 ? reply.status(204).send() : reply.status(status).send(answer);
        },
      });
    },
  };
}
