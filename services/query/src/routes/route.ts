import type { ClickHouseClient } from '@clickhouse/client';
import type { ParsedRequest, RouteContract, RouteResponse } from '@waymark/api-contract';
import { ClickHouseQueryRangeError } from '@waymark/clickhouse';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Webhooks } from '../alert-rules.ts';
import type { ErasureRunner } from '../erasures.ts';
import { queryRangeProblem } from '../problems.ts';
import type { ShareGrant } from '../share-links.ts';
import { parse } from '../validation.ts';

/** The project a request's API key may read, and that key's id for audit records. */
export interface Authorized {
  readonly projectId: string;
  readonly apiKeyId: string;
}

/** What every handler gets: storage, the erasure jobs, and the API-key check. */
export interface RouteContext {
  readonly clickhouse: ClickHouseClient;
  readonly erasures: ErasureRunner;
  readonly webhooks: Webhooks;
  authorize(request: FastifyRequest): Promise<Authorized>;
  /** The share link of `Authorization: Share <token>`, checked (share-links.ts); a 401 problem otherwise. */
  authorizeShare(request: FastifyRequest): Promise<ShareGrant>;
  /** The key share link tokens are signed with. */
  shareLinkKey(): Promise<Buffer>;
  /** What `contract`'s handler answers the project for `query`: a shared dashboard's tile. */
  answer(contract: RouteContract, projectId: string, query: unknown): Promise<unknown>;
  /** The admin-token check of the admin routes (decision 0030). */
  authorizeAdmin(request: FastifyRequest): Promise<void>;
  /** Re-reads the projects after the admin API changed one, so this service applies it at once. */
  projectsChanged(): Promise<void>;
}

/** What a handler may use: everything but the checks, which the route makes before it calls the handler. */
export type HandlerContext = Omit<RouteContext, 'authorize' | 'authorizeShare' | 'authorizeAdmin'>;

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A handler's request: the contract's parsed parts and the authorized project and key (none for admin routes). */
export type HandlerRequest<C extends RouteContract> = ParsedRequest<C> &
  (C['auth'] extends 'admin' ? unknown : Authorized);

/** A handler answers what its contract's response schema describes (checked by the compiler), or nothing. */
export type RouteHandler<C extends RouteContract, R = HandlerRequest<C>> = (
  request: R,
  context: HandlerContext,
) => Promise<C['response']['schema'] extends z.ZodType ? DeepReadonly<RouteResponse<C>> : void>;

/** A contract and its handler: one row of the route table. */
export interface ServedRoute {
  readonly contract: RouteContract;
  register(app: FastifyInstance, context: RouteContext): void;
  /** The answer to an authorized project's request, parsed as a request from outside would be. */
  answer(
    projectId: string,
    request: { params: unknown; query: unknown; body?: unknown },
    context: HandlerContext,
  ): Promise<unknown>;
}

/**
 * Serves a contract. The API key (for an admin route, the admin token) is checked before anything else, so
 * even an otherwise invalid request gets the auth answer; then params, query and body are parsed with the
 * contract's schemas, each refusal an INVALID_REQUEST naming every offending field (docs/api-errors.md). A
 * query that refuses its input (ClickHouseQueryRangeError) is an INVALID_REQUEST of every route, mapped
 * here once.
 */
export function route<const C extends RouteContract>(contract: C, handler: RouteHandler<C>): ServedRoute {
  const run = (
    authorized: Partial<Authorized>,
    request: Parameters<ServedRoute['answer']>[1],
    context: HandlerContext,
  ) => {
    const parsed = { ...authorized, ...parseRequest(contract, request) } as HandlerRequest<C>;
    return handler(parsed, context).catch((error: unknown) => {
      throw error instanceof ClickHouseQueryRangeError ? queryRangeProblem(error) : error;
    });
  };
  // A shared dashboard's tile is answered for its project, not for an API key.
  const answer: ServedRoute['answer'] = (projectId, request, context) =>
    run({ projectId, apiKeyId: '' }, request, context);
  return {
    contract,
    answer,
    register(app, context) {
      app.route({
        method: contract.method.toUpperCase() as 'GET',
        url: contract.path,
        handler: async (request, reply) => {
          if (contract.auth === 'admin') {
            await context.authorizeAdmin(request);
            return send(contract, reply, await run({}, request, context));
          }
          return send(contract, reply, await run(await context.authorize(request), request, context));
        },
      });
    },
  };
}

/** A handler's request under a share link: the contract's parsed parts and the link's grant. */
export type SharedRequest<C extends RouteContract> = ParsedRequest<C> & { readonly grant: ShareGrant };

/**
 * Serves a contract of a share link (/v1/shared/…): the token is checked first, as `route` checks the API
 * key, and it is the only credential these routes take.
 */
export function sharedRoute<const C extends RouteContract>(
  contract: C,
  handler: RouteHandler<C, SharedRequest<C>>,
): ServedRoute {
  return {
    contract,
    answer: () => Promise.reject(new Error(`${contract.operationId} answers share links only`)),
    register(app, context) {
      app.route({
        method: contract.method.toUpperCase() as 'GET',
        url: contract.path,
        handler: async (request, reply) => {
          const grant = await context.authorizeShare(request);
          const parsed = { grant, ...parseRequest(contract, request) } as SharedRequest<C>;
          return send(contract, reply.header('cache-control', 'no-store'), await handler(parsed, context));
        },
      });
    },
  };
}

function parseRequest(contract: RouteContract, request: { params: unknown; query: unknown; body?: unknown }) {
  return {
    params: parse(contract.params, request.params),
    query: contract.query && parse(contract.query, request.query),
    body:
      contract.body === undefined || contract.bodyCheckedBy === 'handler'
        ? request.body
        : parse(contract.body, request.body),
  };
}

const send = (contract: RouteContract, reply: FastifyReply, answer: unknown) => {
  const { status } = contract.response;
  return status === 204 ? reply.status(204).send() : reply.status(status).send(answer);
};
