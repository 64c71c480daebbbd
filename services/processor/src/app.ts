import { createServiceApp } from '@waymark/http';
import type { Logger } from '@waymark/logger';
import type { FastifyInstance } from 'fastify';
import type { ProcessorMetrics } from './metrics.ts';

const PROCESSOR_ERRORS = {
  INVALID_REQUEST: { status: 400, title: 'The request is invalid' },
  NOT_FOUND: { status: 404, title: 'No such route' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;

/** The processor's operational HTTP surface: health and metrics (it has no API of its own). */
export function buildProcessorApp(deps: {
  logger: Logger;
  metrics: ProcessorMetrics;
  /** Named checks; see ConsumerHealthChecks. */
  readiness: () => Record<string, boolean>;
}): FastifyInstance {
  return createServiceApp({
    name: 'processor',
    logger: deps.logger,
    registry: deps.metrics.registry,
    problems: PROCESSOR_ERRORS,
    invalidRequestCode: 'INVALID_REQUEST',
    readiness: deps.readiness,
  });
}
