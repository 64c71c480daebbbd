import type { z } from 'zod';

/** The error statuses a route documents; each answers with a `Problem`. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409;

/**
 * One route of the query API, declared once: the server validates with these schemas, the OpenAPI document
 * is generated from them (openapi.ts) and a client takes its types from them (`RouteRequest`,
 * `RouteResponse`). docs/decisions/0020-route-contracts.md says why it is built this way.
 */
export interface RouteContract {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** In fastify's form: `/v1/projects/:projectId/funnels`. */
  readonly path: `/${string}`;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** `admin`: authenticated with the admin token (decision 0030); otherwise with the project's API key. */
  readonly auth?: 'admin';
  /** The path parameters, as one object schema. */
  readonly params: z.ZodType;
  /** The query string, as one object schema. */
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /**
   * `handler`: the body is a project document (a stage ruleset, an alert rule) whose own parser in
   * @waymark/journey checks it with this same schema and reports its errors its own way, after lookups the
   * handler makes first; the server hands the handler the body as sent.
   */
  readonly bodyCheckedBy?: 'handler';
  readonly response: {
    readonly status: 200 | 201 | 202 | 204;
    readonly description: string;
    readonly schema?: z.ZodType;
  };
  readonly errors: readonly ErrorStatus[];
}

/** Keeps the literal types of a contract, so its schemas type the handler and the client. */
export const defineRoute = <const C extends RouteContract>(contract: C): C => contract;

type InputOf<S> = S extends z.ZodType ? z.input<S> : undefined;
type OutputOf<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a client sends: the schemas' input types. */
export interface RouteRequest<C extends RouteContract> {
  readonly params: z.input<C['params']>;
  readonly query: InputOf<C['query']>;
  readonly body: InputOf<C['body']>;
}

/** What the server reads after validation: the schemas' output types (dates, seconds, defaults filled in). */
export interface ParsedRequest<C extends RouteContract> {
  readonly params: z.output<C['params']>;
  readonly query: OutputOf<C['query']>;
  readonly body: C['bodyCheckedBy'] extends 'handler' ? unknown : OutputOf<C['body']>;
}

/** The JSON a route answers with: its response schema's input (a client parses it with the schema). */
export type RouteResponse<C extends RouteContract> = C['response']['schema'] extends z.ZodType
  ? z.input<C['response']['schema']>
  : undefined;
