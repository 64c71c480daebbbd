import { createServiceApp } from '@waymark/http';
import type { Logger } from '@waymark/logger';
import type { FastifyInstance } from 'fastify';
import type { AlerterMetrics } from './metrics.ts';

const ALERTER_ERRORS = {
  INVALID_REQUEST: { status: 400, title: 'The request is invalid' },
  NOT_FOUND: { status: 404, title: 'No such route' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;

/** The alerter's operational HTTP surface: health and metrics (rules are managed through the query API). */
export function buildAlerterApp(deps: {
  logger: Logger;
  metrics: AlerterMetrics;
  isReady: () => boolean;
}): FastifyInstance {
  return createServiceApp({
    name: 'alerter',
    logger: deps.logger,
    registry: deps.metrics.registry,
    problems: ALERTER_ERRORS,
    invalidRequestCode: 'INVALID_REQUEST',
    readiness: () => ({ group: deps.isReady() }),
  });
}
