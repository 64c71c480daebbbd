import { type Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@waymark/logger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { type ProblemCatalog, ProblemError, problems } from './problem.ts';

/**
 * What Node or fastify refuse before a route runs. A service's catalog may list them to document them
 * (and may retitle them); they are answered as problems either way.
 */
export const HTTP_ERRORS = {
  MALFORMED_REQUEST: { status: 400, title: 'The HTTP request is malformed' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request did not arrive in time' },
  URI_TOO_LONG: { status: 414, title: 'A URL path segment is too long' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request line and headers are larger than 16 KB' },
} as const satisfies ProblemCatalog;

/**
 * How long a client may take to send a request. Fastify turns Node's request timeout off, so a client
 * that trickles its body (slowloris) would hold a connection for ever; Node checks these deadlines every
 * `checkIntervalMs`, so a slow request is cut between the deadline and one interval later.
 */
export interface ConnectionTimeouts {
  /** The request line and headers. */
  headersMs: number;
  /** The whole request, body included (not the time to answer it). */
  requestMs: number;
  checkIntervalMs: number;
}

export const DEFAULT_CONNECTION_TIMEOUTS: ConnectionTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  checkIntervalMs: 1_000,
};

export interface ServiceAppOptions {
  /** Metric name prefix, e.g. `waymark_collector_`. */
  name: string;
  logger: Logger;
  /** Named readiness checks; `/health/ready` answers 503 until all are true. */
  readiness: () => Record<string, boolean>;
  /** Registry for the service's own metrics; one is created when absent. */
  registry?: Registry;
  bodyLimit?: number;
  /** Longest path parameter, percent-encoded (fastify's default is 100, answered 414 beyond). */
  maxParamLength?: number;
  trustProxy?: boolean | string[];
  /**
   * The service's documented errors. Framework errors map onto `PAYLOAD_TOO_LARGE`,
   * `UNSUPPORTED_MEDIA_TYPE`, `NOT_FOUND`, `INTERNAL` and `invalidRequestCode` when the catalog has them.
   */
  problems: ProblemCatalog;
  /** The code for a request fastify itself refused (bad JSON, bad content length…). */
  invalidRequestCode: string;
  connectionTimeouts?: ConnectionTimeouts;
  /**
   * The service's own answer for a path no route has (the query service's console pages), or undefined
   * for the 404 problem. A not-found handler rather than a wildcard route: a wildcard would also take the
   * paths whose parameter is too long, which must stay 414.
   */
  notFound?: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined;
}

/**
 * The fastify instance every Waymark service starts from: problem+json errors, request metrics,
 * `/health/live`, `/health/ready`, `/metrics`, and 503 for new requests while draining on close.
 */
export function createServiceApp(options: ServiceAppOptions): FastifyInstance {
  const registry = options.registry ?? new Registry();
  collectDefaultMetrics({ register: registry, prefix: `waymark_${options.name}_` });
  const requests = new Counter({
    name: `waymark_${options.name}_requests_total`,
    help: 'HTTP requests by route and status code',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: `waymark_${options.name}_request_duration_seconds`,
    help: 'Time to answer, by route',
    labelNames: ['route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const catalog: ProblemCatalog = { ...HTTP_ERRORS, ...options.problems };
  const problem = problems(catalog);
  const known = (code: string) => (code in catalog ? code : options.invalidRequestCode);
  const timeouts = options.connectionTimeouts ?? DEFAULT_CONNECTION_TIMEOUTS;

  const serverOptions: FastifyHttpOptions<Server> = {
    loggerInstance: options.logger as FastifyBaseLogger,
    // Per-request lines would dominate the logs at ingestion rates; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    requestTimeout: timeouts.requestMs,
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: timeouts.checkIntervalMs },
    // Errors Node's HTTP parser and fastify's router raise before any hook: problems like every other.
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const answer =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? problem('REQUEST_TIMEOUT')
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? problem('HEADERS_TOO_LARGE')
            : problem(
                'MALFORMED_REQUEST',
                `the HTTP parser refused the request (${error.code ?? error.message})`,
              );
      if (socket.writable) {
        const body = JSON.stringify(answer.toProblem());
        socket.write(
          `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\nContent-Type: application/problem+json\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    },
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const answer =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? problem('URI_TOO_LONG')
          : problem(
              'MALFORMED_REQUEST',
              error.code === 'FST_ERR_BAD_URL' ? 'the URL is not validly percent-encoded' : error.message,
            );
      return reply.status(answer.status).type('application/problem+json').send(answer.toProblem());
    },
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.maxParamLength === undefined
      ? {}
      : { routerOptions: { maxParamLength: options.maxParamLength } }),
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
  };
  const app = Fastify(serverOptions);

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    let answer: ProblemError;
    if (error instanceof ProblemError) answer = error;
    else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') answer = problem(known('PAYLOAD_TOO_LARGE'));
    else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      answer = problem(known('UNSUPPORTED_MEDIA_TYPE'));
    else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
      answer = problem(options.invalidRequestCode, error.message);
    else {
      request.log.error({ err: error }, 'unexpected error');
      answer = problem('INTERNAL');
    }
    if (answer.retryAfterSeconds !== undefined)
      void reply.header('retry-after', String(answer.retryAfterSeconds));
    return reply.status(answer.status).type('application/problem+json').send(answer.toProblem());
  });
  app.setNotFoundHandler(
    (request, reply) =>
      options.notFound?.(request, reply) ??
      reply.status(404).type('application/problem+json').send(problem('NOT_FOUND').toProblem()),
  );
  // While draining, answers close their connection: otherwise a keep-alive socket that goes idle after
  // close() began would hold the shutdown open for the whole keep-alive timeout (72 s in fastify).
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (draining) void reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    requests.inc({ route, status: String(reply.statusCode) });
    duration.observe({ route }, reply.elapsedTime / 1000);
  });

  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const checks = options.readiness();
    const ready = Object.values(checks).every(Boolean);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return app;
}
