import { queryStageFunnel, queryStageFunnelBreakdown } from '@waymark/clickhouse';
import { ENTRY_FILTER_DIMENSIONS, STAGE_FUNNEL_MODES, STAGE_NAMES } from '@waymark/journey';
import { currentCustomerModel } from '../customer-model.ts';
import { breakdownParameter, nullableNumber, problem } from '../openapi-schemas.ts';
import { MAX_FILTER_VALUE_LENGTH, MAX_FILTER_VALUES, StageFunnelQuery } from '../stage-funnel-params.ts';
import { parse } from '../validation.ts';
import type { ApiRoutes } from './route.ts';

const stagesSchema = {
  type: 'array',
  minItems: 7,
  maxItems: 7,
  items: {
    type: 'object',
    required: ['stage', 'index', 'customers', 'conversionFromStart', 'conversionFromPrevious', 'dropOff'],
    properties: {
      stage: { type: 'string', enum: STAGE_NAMES },
      index: { type: 'integer', minimum: 1, maximum: 7 },
      customers: { type: 'integer' },
      conversionFromStart: { type: 'number' },
      conversionFromPrevious: { type: 'number' },
      dropOff: { type: 'number' },
      medianSecondsFromPrevious: nullableNumber,
      p90SecondsFromPrevious: nullableNumber,
      medianSecondsToNext: nullableNumber,
      p90SecondsToNext: nullableNumber,
    },
  },
};

export const stageFunnelRoutes: ApiRoutes = {
  register(app, { clickhouse, authorize }) {
    app.get('/v1/projects/:projectId/funnel/stages', async (request) => {
      const projectId = await authorize(request);
      const query = parse(StageFunnelQuery, request.query);
      const funnelQuery = {
        projectId,
        from: query.from,
        to: query.to,
        windowSeconds: query.window,
        mode: query.mode,
        filters: query.filters,
      };
      const funnel = await queryStageFunnel(clickhouse, funnelQuery);
      const breakdown =
        query.breakdown === undefined
          ? undefined
          : {
              dimension: query.breakdown,
              segments: await queryStageFunnelBreakdown(clickhouse, {
                ...funnelQuery,
                dimension: query.breakdown,
                model: (await currentCustomerModel(clickhouse, projectId)).model,
              }),
            };
      return {
        projectId,
        from: query.from.toISOString(),
        to: query.to.toISOString(),
        windowSeconds: query.window,
        mode: query.mode,
        filters: query.filters,
        ...funnel,
        ...(breakdown && { breakdown }),
      };
    });
  },
  paths: {
    '/v1/projects/{projectId}/funnel/stages': {
      get: {
        operationId: 'getStageFunnel',
        summary: 'Stage funnel: how many customers reached each of the seven journey stages',
        description:
          'Cohort: customers whose first staged touchpoint (entry) falls in [from, to), optionally only those whose entry ' +
          'touchpoint matches the filters. Within `window` after entry a customer counts at stage k when it reached any ' +
          'stage ≥ k (`reached`: skipping a stage does not drop the customer), went through stages 1 … k in that order ' +
          '(`ordered`), or did so with no other staged touchpoint in between, repeats of the current stage aside ' +
          '(`strict`). Anonymous touchpoints count for the customer they were later identified as. ' +
          'Definitions: docs/analytics/stage-funnel.md.',
        parameters: [
          {
            name: 'projectId',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
          },
          {
            name: 'from',
            in: 'query',
            required: true,
            description:
              'Start of the entry range, inclusive: ISO-8601 date (UTC midnight) or date-time with zone',
            schema: { type: 'string', examples: ['2026-11-01', '2026-11-01T00:00:00Z'] },
          },
          {
            name: 'to',
            in: 'query',
            required: true,
            description: 'End of the entry range, exclusive',
            schema: { type: 'string' },
          },
          {
            name: 'window',
            in: 'query',
            description: 'Conversion window after entry: seconds or <n>s|m|h|d, at most 366d',
            schema: { type: 'string', default: '30d', pattern: '^\\d{1,9}(s|m|h|d)?$' },
          },
          {
            name: 'mode',
            in: 'query',
            description: 'How a customer counts at a stage: reached, ordered or strict',
            schema: { type: 'string', enum: STAGE_FUNNEL_MODES, default: 'reached' },
          },
          {
            ...breakdownParameter,
            description:
              "Break the funnel down by a customer dimension, or by the entry touchpoint's utm_source, utm_medium or utm_campaign",
          },
          ...ENTRY_FILTER_DIMENSIONS.map((dimension) => ({
            name: dimension,
            in: 'query',
            description:
              `Only customers whose entry touchpoint has this ${dimension.replace('_', ' ')}; repeat the parameter ` +
              'for alternatives, an empty value selects touchpoints without one',
            style: 'form',
            explode: true,
            schema: {
              type: 'array',
              maxItems: MAX_FILTER_VALUES,
              items: { type: 'string', maxLength: MAX_FILTER_VALUE_LENGTH },
            },
          })),
        ],
        responses: {
          200: {
            description: 'All seven stages in order',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['stages'],
                  properties: {
                    projectId: { type: 'string' },
                    from: { type: 'string', format: 'date-time' },
                    to: { type: 'string', format: 'date-time' },
                    windowSeconds: { type: 'integer' },
                    mode: { type: 'string', enum: STAGE_FUNNEL_MODES },
                    filters: {
                      type: 'object',
                      description: 'The entry filters applied, by dimension',
                      additionalProperties: { type: 'array', items: { type: 'string' } },
                    },
                    entered: {
                      type: 'integer',
                      description:
                        'Customers in the cohort (entered in [from, to), matching the filters); stage 1 counts those ' +
                        'of them with a discovery touchpoint in ordered and strict modes, all of them in reached mode',
                    },
                    stages: stagesSchema,
                    breakdown: {
                      type: 'object',
                      description:
                        'With `breakdown`: the funnel once per value of the dimension, largest first',
                      properties: {
                        dimension: { type: 'string' },
                        segments: {
                          type: 'array',
                          items: {
                            type: 'object',
                            properties: {
                              value: { type: 'string' },
                              entered: { type: 'integer' },
                              stages: stagesSchema,
                            },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          400: problem,
          401: problem,
          403: problem,
        },
      },
    },
  },
};
