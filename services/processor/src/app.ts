import type { Logger } from '@waymark/logger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ProcessorMetrics } from './metrics.ts';

/** The processor's operational HTTP surface: health and metrics (it has no API of its own). */
export function buildProcessorApp(deps: {
  logger: Logger;
  metrics: ProcessorMetrics;
  isReady: () => boolean;
}): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    disableRequestLogging: true,
    return503OnClosing: true,
  });
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const ready = deps.isReady();
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready' });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );
  return app;
}
