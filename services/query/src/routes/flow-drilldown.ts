import {
  queryCustomerTimeline,
  queryFunnelCustomers,
  queryStageFlow,
  queryStageFlowBreakdown,
  queryStageFunnel,
} from '@waymark/clickhouse';
import { rankBottlenecks, STAGE_NAMES, stageName } from '@waymark/journey';
import { currentCustomerModel } from '../customer-model.ts';
import {
  BottlenecksQuery,
  FunnelCustomersQuery,
  StageFlowQuery,
  TimelineQuery,
  timelineCursor,
} from '../flow-params.ts';
import { breakdownParameter, json, nullableNumber, problem, projectIdParameter } from '../openapi-schemas.ts';
import { CustomerParams } from '../params.ts';
import { queryProblem } from '../problems.ts';
import { parse } from '../validation.ts';
import type { ApiRoutes } from './route.ts';

const profilePath = (projectId: string, customer: string) =>
  `/v1/projects/${projectId}/customers/${encodeURIComponent(customer)}`;

// ---- OpenAPI -------------------------------------------------------------------------------------------

const instant = (name: string, description: string) => ({
  name,
  in: 'query',
  required: true,
  description,
  schema: { type: 'string', examples: ['2026-11-01', '2026-11-01T00:00:00Z'] },
});
const fromParameter = instant(
  'from',
  'Start of the range, inclusive: ISO-8601 date (UTC) or date-time with zone',
);
const toParameter = instant('to', 'End of the range, exclusive');
const duration = (name: string, description: string) => ({
  name,
  in: 'query',
  description: `${description}: seconds or <n>s|m|h|d, at most 366d`,
  schema: { type: 'string', default: '30d', pattern: '^\\d{1,9}(s|m|h|d)?$' },
});
const windowParameter = duration('window', 'Conversion window after entry (as in the stage funnel)');
const limitParameter = {
  name: 'limit',
  in: 'query',
  schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
};
const cursorParameter = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string' },
});
/** The responses of a paged list: the page's properties and its `next` cursor. */
const pageResponses = (properties: Record<string, unknown>, notFound = false) => ({
  200: {
    description: '`next` is null on the last page',
    content: json({ type: 'object', properties: { ...properties, next: { type: ['string', 'null'] } } }),
  },
  400: problem,
  401: problem,
  403: problem,
  ...(notFound && { 404: problem }),
});
const nodeIds = ['entry', ...STAGE_NAMES, 'exit'];

const flowSchema = {
  type: 'object',
  required: ['customers', 'nodes', 'links'],
  properties: {
    customers: { type: 'integer', description: 'Customers with a staged touchpoint in the period' },
    nodes: {
      type: 'array',
      minItems: 9,
      maxItems: 9,
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', enum: nodeIds },
          index: { type: 'integer', minimum: 0, maximum: 8 },
          customers: { type: 'integer' },
        },
      },
    },
    links: {
      type: 'array',
      items: {
        type: 'object',
        required: ['source', 'target', 'kind', 'value', 'customers'],
        properties: {
          source: { type: 'string', enum: nodeIds },
          target: { type: 'string', enum: nodeIds },
          kind: { type: 'string', enum: ['entry', 'progression', 'regression', 'exit'] },
          value: { type: 'integer', description: 'Transitions' },
          customers: { type: 'integer', description: 'Distinct customers who made them' },
        },
      },
    },
  },
};

const bottleneckSchema = {
  type: 'object',
  properties: {
    stage: { type: 'string', enum: STAGE_NAMES.slice(1) },
    index: { type: 'integer', minimum: 2, maximum: 7 },
    from: { type: 'integer', description: 'Customers counted at the previous stage' },
    customers: { type: 'integer' },
    lost: { type: 'integer' },
    conversionFromPrevious: { type: 'number' },
    dropOff: { type: 'number' },
    medianSecondsFromPrevious: nullableNumber,
    change: {
      type: 'object',
      description: 'With compare=previous',
      properties: {
        previousFrom: { type: 'integer' },
        previousCustomers: { type: 'integer' },
        previousConversionFromPrevious: { type: 'number' },
        previousDropOff: { type: 'number' },
        percentagePoints: nullableNumber,
        relative: nullableNumber,
        zScore: nullableNumber,
        pValue: nullableNumber,
        significant: { type: 'boolean' },
      },
    },
  },
};

const period = {
  type: 'object',
  properties: {
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    windowComplete: {
      type: 'boolean',
      description: 'Whether `to` + window has passed: otherwise late entrants are still converting',
    },
  },
};

const nullableString = { type: ['string', 'null'] };

export const flowDrilldownRoutes: ApiRoutes = {
  register(app, { clickhouse, authorize }) {
    app.get('/v1/projects/:projectId/flow/stages', async (request) => {
      const projectId = await authorize(request);
      const query = parse(StageFlowQuery, request.query);
      const asOf = new Date();
      const flowQuery = {
        projectId,
        from: query.from,
        to: query.to,
        exitAfterSeconds: query.exitAfter,
        asOf,
      };
      const model = query.breakdown && (await currentCustomerModel(clickhouse, projectId)).model;
      return {
        projectId,
        from: query.from.toISOString(),
        to: query.to.toISOString(),
        exitAfterSeconds: query.exitAfter,
        asOf: asOf.toISOString(),
        ...(await queryStageFlow(clickhouse, flowQuery)),
        ...(query.breakdown &&
          model && {
            breakdown: {
              dimension: query.breakdown,
              segments: await queryStageFlowBreakdown(clickhouse, {
                ...flowQuery,
                dimension: query.breakdown,
                model,
              }),
            },
          }),
      };
    });

    app.get('/v1/projects/:projectId/bottlenecks', async (request) => {
      const projectId = await authorize(request);
      const query = parse(BottlenecksQuery, request.query);
      const now = Date.now();
      const span = query.to.getTime() - query.from.getTime();
      const periodOf = (from: Date, to: Date) => ({
        from: from.toISOString(),
        to: to.toISOString(),
        windowComplete: to.getTime() + query.window * 1000 <= now,
      });
      const funnelOf = (from: Date, to: Date) =>
        queryStageFunnel(clickhouse, { projectId, from, to, windowSeconds: query.window });
      const previous =
        query.compare === undefined
          ? undefined
          : { from: new Date(query.from.getTime() - span), to: query.from };
      const current = await funnelOf(query.from, query.to);
      const before = previous && (await funnelOf(previous.from, previous.to));
      return {
        projectId,
        windowSeconds: query.window,
        ...periodOf(query.from, query.to),
        ...(previous && { previous: periodOf(previous.from, previous.to) }),
        ...rankBottlenecks(current, before),
      };
    });

    app.get('/v1/projects/:projectId/funnel/stages/customers', async (request) => {
      const projectId = await authorize(request);
      const query = parse(FunnelCustomersQuery, request.query);
      const page = await queryFunnelCustomers(clickhouse, {
        projectId,
        from: query.from,
        to: query.to,
        windowSeconds: query.window,
        stage: query.stage,
        outcome: query.outcome,
        limit: query.limit,
        ...(query.after !== undefined && { after: query.after }),
      });
      return {
        projectId,
        from: query.from.toISOString(),
        to: query.to.toISOString(),
        windowSeconds: query.window,
        stage: stageName(query.stage),
        outcome: query.outcome,
        customers: page.customers.map((c) => ({ ...c, profile: profilePath(projectId, c.customer) })),
        next: page.next,
      };
    });

    app.get('/v1/projects/:projectId/customers/:customer/timeline', async (request) => {
      const projectId = await authorize(request);
      const { customer } = parse(CustomerParams, request.params);
      const { limit, before } = parse(TimelineQuery, request.query);
      const timeline = await queryCustomerTimeline(clickhouse, {
        projectId,
        customer,
        limit,
        ...(before !== undefined && { before }),
      });
      if (timeline === undefined) throw queryProblem('NOT_FOUND', `no customer ${customer} in this project`);
      return {
        customer: timeline.customer,
        profile: profilePath(projectId, timeline.customer),
        touchpoints: timeline.touchpoints,
        next: timeline.next && timelineCursor(timeline.next),
      };
    });
  },
  paths: {
    '/v1/projects/{projectId}/flow/stages': {
      get: {
        operationId: 'getStageFlow',
        summary: 'Stage flow: how customers active in [from, to) moved between stages (Sankey-ready)',
        description:
          'Per (source, target): transitions and distinct customers. `entry` → stage: the customer’s first staged touchpoint ever; ' +
          'stage → stage: consecutive staged touchpoints at different stages (repeats collapsed; the first transition of the period ' +
          'starts from the stage held before `from`); stage → `exit`: no staged touchpoint within `exitAfter` after the last one of ' +
          'the period (known only once `exitAfter` has passed). Anonymous touchpoints count for the customer they were identified as.',
        parameters: [
          projectIdParameter,
          fromParameter,
          toParameter,
          duration('exitAfter', 'A customer exits after this long without a staged touchpoint'),
          breakdownParameter,
        ],
        responses: {
          200: {
            description: 'Nine nodes (entry, the seven stages, exit) and the links between them',
            content: json({
              allOf: [
                flowSchema,
                {
                  type: 'object',
                  properties: {
                    projectId: { type: 'string' },
                    from: { type: 'string', format: 'date-time' },
                    to: { type: 'string', format: 'date-time' },
                    exitAfterSeconds: { type: 'integer' },
                    asOf: { type: 'string', format: 'date-time' },
                    breakdown: {
                      type: 'object',
                      description:
                        'With `breakdown`: the flow once per value of the dimension, largest first',
                      properties: {
                        dimension: { type: 'string' },
                        segments: {
                          type: 'array',
                          items: {
                            allOf: [
                              flowSchema,
                              { type: 'object', properties: { value: { type: 'string' } } },
                            ],
                          },
                        },
                      },
                    },
                  },
                },
              ],
            }),
          },
          400: problem,
          401: problem,
          403: problem,
        },
      },
    },
    '/v1/projects/{projectId}/bottlenecks': {
      get: {
        operationId: 'getBottlenecks',
        summary:
          'The steps of the reached-mode stage funnel ranked by drop-off and by change against the previous period',
        description:
          'With `compare=previous`, each step is compared with the same funnel over the period of the same length just before ' +
          '`from`: change in conversion from the previous stage in percentage points and relative, and a two-proportion z-test ' +
          '(`significant`: p < 0.05 with at least 5 expected successes and failures in both periods).',
        parameters: [
          projectIdParameter,
          fromParameter,
          toParameter,
          windowParameter,
          { name: 'compare', in: 'query', schema: { type: 'string', enum: ['previous'] } },
        ],
        responses: {
          200: {
            description: 'Stages 2–7; `byChange` only with compare=previous',
            content: json({
              allOf: [
                period,
                {
                  type: 'object',
                  required: ['byDropOff'],
                  properties: {
                    projectId: { type: 'string' },
                    windowSeconds: { type: 'integer' },
                    previous: period,
                    byDropOff: { type: 'array', items: bottleneckSchema },
                    byChange: { type: 'array', items: bottleneckSchema },
                  },
                },
              ],
            }),
          },
          400: problem,
          401: problem,
          403: problem,
        },
      },
    },
    '/v1/projects/{projectId}/funnel/stages/customers': {
      get: {
        operationId: 'getStageFunnelCustomers',
        summary: 'The customers behind a stage funnel count: who reached a stage, or dropped at it',
        description:
          'The cohort and counting of `GET /funnel/stages` (reached mode): `reached` lists the n_k customers counted at `stage`, ' +
          '`dropped` those counted at the stage before but not at `stage` within the window. In customer-key order, paged.',
        parameters: [
          projectIdParameter,
          fromParameter,
          toParameter,
          windowParameter,
          { name: 'stage', in: 'query', required: true, schema: { type: 'string', enum: STAGE_NAMES } },
          {
            name: 'outcome',
            in: 'query',
            schema: { type: 'string', enum: ['reached', 'dropped'], default: 'reached' },
          },
          limitParameter,
          cursorParameter('after', 'The `next` cursor of the previous page'),
        ],
        responses: pageResponses({
          stage: { type: 'string', enum: STAGE_NAMES },
          outcome: { type: 'string', enum: ['reached', 'dropped'] },
          customers: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                customer: { type: 'string' },
                enteredAt: { type: 'string', format: 'date-time' },
                furthestStage: { type: 'string', enum: STAGE_NAMES, description: 'Within the window' },
                furthestStageEver: { type: 'string', enum: STAGE_NAMES },
                lastSeenAt: { type: 'string', format: 'date-time' },
                profile: { type: 'string', description: 'Path of the customer’s profile' },
              },
            },
          },
        }),
      },
    },
    '/v1/projects/{projectId}/customers/{customer}/timeline': {
      get: {
        operationId: 'getCustomerTimeline',
        summary: "One customer's touchpoints across all its devices and identities, newest first, paged",
        parameters: [
          projectIdParameter,
          { name: 'customer', in: 'path', required: true, schema: { type: 'string', pattern: '^[au]:' } },
          limitParameter,
          cursorParameter(
            'before',
            'The `next` cursor of the previous page, or an ISO-8601 date-time: touchpoints before it',
          ),
        ],
        responses: pageResponses(
          {
            customer: { type: 'string' },
            profile: { type: 'string' },
            touchpoints: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  messageId: { type: 'string' },
                  rawKey: { type: 'string' },
                  at: { type: 'string', format: 'date-time' },
                  type: { type: 'string' },
                  event: nullableString,
                  name: nullableString,
                  pagePath: nullableString,
                  stage: { type: ['string', 'null'], enum: [...STAGE_NAMES, null] },
                  complaint: { type: 'boolean' },
                  revenue: { type: 'number' },
                  currency: nullableString,
                  channel: nullableString,
                  sessionId: { type: 'string' },
                  device: nullableString,
                },
              },
            },
          },
          true,
        ),
      },
    },
  },
};
