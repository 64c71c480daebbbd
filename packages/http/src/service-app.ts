import type { Logger } from '@waymark/logger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { type ProblemCatalog, ProblemError, problems } from './problem.ts';

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

  const serverOptions: FastifyServerOptions = {
    loggerInstance: options.logger as FastifyBaseLogger,
    // Per-request lines would dominate the logs at ingestion rates; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.maxParamLength === undefined
      ? {}
      : { routerOptions: { maxParamLength: options.maxParamLength } }),
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
  };
  const app = Fastify(serverOptions);

  const problem = problems(options.problems);
  const known = (code: string) => (code in options.problems ? code : options.invalidRequestCode);
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
  app.setNotFoundHandler((_request, reply) =>
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
