import { randomUUID } from 'node:crypto';
import type { ProjectDirectory, RejectionRecorder } from '@waymark/clickhouse';
import { MAX_REQUEST_BYTES, WIRE_EVENT_TYPES, WireBatch, type WireEventType } from '@waymark/events';
import { type ConnectionTimeouts, createServiceApp } from '@waymark/http';
import type { Logger } from '@waymark/logger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodedBody } from './content-encoding.ts';
import { originAllowed, registerCors } from './cors.ts';
import { geoFromHeaders, type RequestFacts } from './enrichment.ts';
import { ingestEvents } from './ingest.ts';
import { type CollectorMetrics, createCollectorMetrics } from './metrics.ts';
import { COLLECTOR_ERRORS, collectorProblem } from './problems.ts';
import type { TouchpointPublisher } from './publisher.ts';
import { createRateLimiter } from './rate-limit.ts';
import { registerSdkRoute, type SdkRouteOptions } from './sdk-route.ts';

export interface CollectorOptions {
  anonymizeIp: boolean;
  /** Passed to fastify: trust X-Forwarded-* (and CDN geo headers) from these proxies. */
  trustProxy: boolean | string[];
  rateLimit: { eventsPerSecondPerKey: number; requestsPerSecondPerIp: number; burstSeconds: number };
  /** What a 503 tells senders to wait before retrying. */
  retryAfterSeconds: number;
  /** How long a client may take to send a request (default: createServiceApp's). */
  connectionTimeouts?: ConnectionTimeouts;
}

export interface CollectorDeps {
  logger: Logger;
  publisher: TouchpointPublisher;
  projects: Pick<ProjectDirectory, 'byWriteKey' | 'loaded' | 'refreshAfterMiss'>;
  options: CollectorOptions;
  /** Readiness of what the publisher needs (the Kafka producer is connected). */
  isPublisherReady?: () => boolean;
  metrics?: CollectorMetrics;
  now?: () => number;
  /** The waymark.js route; without a bundle it answers `SDK_NOT_BUILT`. */
  sdk?: SdkRouteOptions;
  /** Where per-event rejections go for the console's Live screen (fire-and-forget). */
  rejections?: Pick<RejectionRecorder, 'record'>;
}

const textOf = (value: unknown) => (typeof value === 'string' ? value : null);

type Body = Record<string, unknown>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw collectorProblem('INVALID_BODY', `body is not valid JSON: ${(error as Error).message}`);
  }
}

function writeKeyFrom(request: FastifyRequest, body: Body): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const user = decoded.split(':')[0];
    if (user) return user;
  }
  return typeof body.writeKey === 'string' && body.writeKey !== '' ? body.writeKey : undefined;
}

/** The collector as a fastify instance that never listens: `main.ts` does, tests use `inject()`. */
export function buildCollectorApp(deps: CollectorDeps): FastifyInstance {
  const { logger, publisher, projects, options } = deps;
  const metrics = deps.metrics ?? createCollectorMetrics();
  const now = deps.now ?? Date.now;
  const burst = options.rateLimit.burstSeconds;
  const perKey = createRateLimiter({
    perSecond: options.rateLimit.eventsPerSecondPerKey,
    burst: options.rateLimit.eventsPerSecondPerKey * burst,
  });
  const perIp = createRateLimiter({
    perSecond: options.rateLimit.requestsPerSecondPerIp,
    burst: options.rateLimit.requestsPerSecondPerIp * burst,
  });

  const app = createServiceApp({
    name: 'collector',
    logger,
    registry: metrics.registry,
    bodyLimit: MAX_REQUEST_BYTES,
    trustProxy: options.trustProxy,
    problems: COLLECTOR_ERRORS,
    invalidRequestCode: 'INVALID_BODY',
    readiness: () => ({ projects: projects.loaded, kafka: deps.isPublisherReady?.() ?? true }),
    ...(options.connectionTimeouts === undefined ? {} : { connectionTimeouts: options.connectionTimeouts }),
  });

  registerCors(app);
  registerSdkRoute(app, deps.sdk ?? {});

  app.addHook('preParsing', async (request, _reply, payload) =>
    decodedBody(request.headers['content-encoding'], payload, MAX_REQUEST_BYTES),
  );
  // Beacons (navigator.sendBeacon) and CORS-simple fetches send JSON as text/plain; RudderStack's node
  // library sends its gzipped JSON as application/x-www-form-urlencoded (axios' default for a Buffer).
  const jsonTypes = ['application/json', 'text/plain', 'application/x-www-form-urlencoded'];
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(jsonTypes, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJson(body as string));
    } catch (error) {
      done(error as Error);
    }
  });

  const authenticate = async (request: FastifyRequest, body: Body) => {
    const writeKey = writeKeyFrom(request, body);
    if (writeKey === undefined) throw collectorProblem('MISSING_WRITE_KEY');
    let project = projects.byWriteKey(writeKey);
    if (!project) {
      await projects.refreshAfterMiss();
      project = projects.byWriteKey(writeKey);
    }
    if (!project) throw collectorProblem('UNKNOWN_WRITE_KEY');
    return project;
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply, type: WireEventType | undefined) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw collectorProblem('INVALID_BODY', 'body must be a JSON object');
    }
    const project = await authenticate(request, body as Body);
    // Only now is it known which origins the project allows (the write key is in the body): see cors.ts.
    if (!originAllowed(request.headers.origin, project.allowedOrigins)) {
      throw collectorProblem('ORIGIN_NOT_ALLOWED', `${request.headers.origin} may not send to this project`);
    }

    let events: readonly unknown[];
    let batchSentAt: number | undefined;
    let batchContext: Record<string, unknown> | undefined;
    if (type === undefined) {
      const envelope = WireBatch.safeParse(body);
      if (!envelope.success) {
        throw collectorProblem(
          'INVALID_BODY',
          envelope.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        );
      }
      events = envelope.data.batch;
      batchSentAt = envelope.data.sentAt;
      batchContext = envelope.data.context;
    } else {
      events = [body];
    }

    const waitIp = perIp.take(`ip:${request.ip}`);
    const waitKey = perKey.take(`key:${project.projectId}`, events.length);
    if (waitIp > 0 || waitKey > 0) {
      throw collectorProblem('RATE_LIMITED', undefined, { retryAfterSeconds: Math.max(waitIp, waitKey) });
    }

    const facts: RequestFacts = {
      projectId: project.projectId,
      receivedAt: now(),
      batchSentAt,
      requestIp: request.ip,
      requestUserAgent: request.headers['user-agent'],
      geo: options.trustProxy ? geoFromHeaders(request.headers) : undefined,
      anonymizeIp: options.anonymizeIp,
      newMessageId: randomUUID,
    };
    // Fastify has checked the body against its Content-Length; without a usable one (or with a compressed
    // body, whose Content-Length says nothing about the inflated size) every event is measured.
    const declared = Number(request.headers['content-length']);
    const bodyBytes =
      Number.isFinite(declared) && request.headers['content-encoding'] === undefined
        ? declared
        : Number.POSITIVE_INFINITY;
    const { touchpoints, rejected } = ingestEvents(events, facts, { context: batchContext, type }, bodyBytes);
    metrics.events.inc({ outcome: 'rejected' }, rejected.length);
    if (rejected.length > 0) {
      deps.rejections?.record(
        rejected.map((rejection) => {
          const raw = events[rejection.index];
          const fields = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
          return {
            projectId: project.projectId,
            at: facts.receivedAt,
            source: 'collector',
            code: 'INVALID_EVENT',
            message: rejection.errors.join('; '),
            type: type ?? textOf(fields.type),
            event: textOf(fields.event) ?? textOf(fields.name),
            messageId: rejection.messageId,
            raw,
          };
        }),
      );
    }

    if (type !== undefined && rejected.length > 0) {
      throw collectorProblem('INVALID_EVENT', rejected[0]?.errors.join('; '), { extra: { rejected } });
    }

    const stopTimer = metrics.publishSeconds.startTimer();
    try {
      await publisher.publish(touchpoints);
    } catch (error) {
      metrics.events.inc({ outcome: 'failed' }, touchpoints.length);
      request.log.warn({ err: error, events: touchpoints.length }, 'publish to Kafka failed');
      throw collectorProblem('KAFKA_UNAVAILABLE', undefined, {
        retryAfterSeconds: options.retryAfterSeconds,
      });
    } finally {
      stopTimer();
    }
    metrics.events.inc({ outcome: 'accepted' }, touchpoints.length);
    return reply.send({ accepted: touchpoints.length, rejected });
  };

  app.post('/v1/batch', (request, reply) => handle(request, reply, undefined));
  // Segment's server libraries post to /v1/import for historical batches; same semantics.
  app.post('/v1/import', (request, reply) => handle(request, reply, undefined));
  for (const type of WIRE_EVENT_TYPES) {
    app.post(`/v1/${type}`, (request, reply) => handle(request, reply, type));
  }
  // analytics.js (@segment/analytics-next) posts to Segment's short paths: /v1/t, /v1/p, … and /v1/b batches.
  app.post('/v1/b', (request, reply) => handle(request, reply, undefined));
  for (const type of WIRE_EVENT_TYPES) {
    app.post(`/v1/${type.charAt(0)}`, (request, reply) => handle(request, reply, type));
  }

  return app;
}
