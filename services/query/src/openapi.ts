import { operationPaths, QUERY_ROUTES } from '@waymark/api-contract';

/**
 * The OpenAPI 3.1 document of the query API, generated from the route contracts;
 * `query-api.integration.test.ts` checks every route is described here.
 */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Waymark query API',
      version: '0.1.0',
      description:
        'Read API over the customer-journey store. Authenticate with a project API key: `Authorization: Bearer <apiKey>`; the admin routes (`/v1/admin/…`) with the admin token instead.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'Project API key (secret)' },
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'Admin token (secret), printed once by the first `waymark start`',
        },
      },
    },
    security: [{ apiKey: [] }],
    paths: {
      ...operationPaths(QUERY_ROUTES),
      '/health/live': {
        get: { operationId: 'live', security: [], responses: { 200: { description: 'Process is up' } } },
      },
      '/health/ready': {
        get: {
          operationId: 'ready',
          security: [],
          responses: { 200: { description: 'Ready to serve' }, 503: { description: 'Starting or draining' } },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          security: [],
          responses: { 200: { description: 'Prometheus metrics' } },
        },
      },
      '/docs': {
        get: {
          operationId: 'docs',
          security: [],
          summary: 'This document, interactive (Swagger UI)',
          responses: { 200: { description: 'HTML page' } },
        },
      },
      '/openapi.json': {
        get: { operationId: 'openapi', security: [], responses: { 200: { description: 'This document' } } },
      },
    },
  };
}
