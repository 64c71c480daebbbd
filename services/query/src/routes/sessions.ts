import { querySessions } from '@waymark/clickhouse';
import { json, problem, projectIdParameter } from '../openapi-schemas.ts';
import { SessionsQuery } from '../params.ts';
import { parse } from '../validation.ts';
import type { ApiRoutes } from './route.ts';

export const sessionRoutes: ApiRoutes = {
  register(app, { clickhouse, authorize }) {
    app.get('/v1/projects/:projectId/sessions', async (request) => {
      const projectId = await authorize(request);
      const query = parse(SessionsQuery, request.query);
      return { sessions: await querySessions(clickhouse, { projectId, ...query }) };
    });
  },
  paths: {
    '/v1/projects/{projectId}/sessions': {
      get: {
        operationId: 'listSessions',
        summary: 'Sessions that started in [from, to), newest first, with entry page, channel and duration',
        description:
          "A session is the SDK's `context.sessionId` when the touchpoints carry one, else a run of a customer's " +
          'touchpoints with no gap over 30 minutes. Anonymous sessions of a customer who later identified belong to that customer.',
        parameters: [
          projectIdParameter,
          { name: 'from', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'to', in: 'query', required: true, schema: { type: 'string' } },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        ],
        responses: {
          200: {
            description: 'The sessions',
            content: json({
              type: 'object',
              properties: {
                sessions: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      customer: { type: 'string' },
                      identified: { type: 'boolean' },
                      sessionId: { type: 'string' },
                      startedAt: { type: 'integer', description: 'epoch ms' },
                      endedAt: { type: 'integer', description: 'epoch ms' },
                      durationSeconds: { type: 'number' },
                      touchpoints: { type: 'integer' },
                      entryPage: { type: ['string', 'null'] },
                      channel: { type: 'string' },
                      furthestStage: { type: 'integer', minimum: 0, maximum: 7 },
                    },
                  },
                },
              },
            }),
          },
          400: problem,
          401: problem,
          403: problem,
        },
      },
    },
  },
};
