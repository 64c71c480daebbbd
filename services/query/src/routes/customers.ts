import { queryCustomer, queryCustomers, querySegments } from '@waymark/clickhouse';
import { CUSTOMER_TYPES, RFM_SEGMENTS, STAGE_NAMES, VALUE_TIERS } from '@waymark/journey';
import { currentCustomerModel, putCustomerModel } from '../customer-model.ts';
import { dimensionSchema, json, nullableNumber, problem, projectIdParameter } from '../openapi-schemas.ts';
import { CustomerParams, CustomersQuery, SegmentsQuery } from '../params.ts';
import { queryProblem } from '../problems.ts';
import { parse } from '../validation.ts';
import type { ApiRoutes } from './route.ts';

const customerModelAnswer = json({
  type: 'object',
  required: ['version', 'source', 'model'],
  properties: {
    version: { type: 'integer', minimum: 1 },
    source: { type: 'string', enum: ['default', 'project'] },
    model: { type: 'object', description: 'Thresholds of customer types, at risk and value tiers' },
  },
});
const stageOrNull = { type: ['string', 'null'], enum: [...STAGE_NAMES, null] };
const customerProfile = {
  type: 'object',
  required: ['customer', 'type', 'atRisk'],
  properties: {
    customer: { type: 'string', description: 'u:<userId> once identified, else a:<anonymousId>' },
    userId: { type: ['string', 'null'] },
    anonymousIds: { type: 'array', items: { type: 'string' } },
    firstSeenAt: { type: 'string', format: 'date-time' },
    lastSeenAt: { type: 'string', format: 'date-time' },
    touchpoints: { type: 'integer' },
    activeDays: { type: 'integer' },
    furthestStage: stageOrNull,
    currentStage: stageOrNull,
    entryChannel: { type: 'string' },
    demographics: { type: 'object' },
    interests: { type: 'array', items: { type: 'string' } },
    geography: { type: 'object' },
    technographics: { type: 'object' },
    purchases: {
      type: 'object',
      properties: {
        orders: { type: 'integer' },
        revenue: { type: 'number' },
        averageOrderValue: nullableNumber,
        firstOrderAt: { type: ['string', 'null'] },
        lastOrderAt: { type: ['string', 'null'] },
      },
    },
    signals: { type: 'object' },
    type: { type: 'string', enum: [...CUSTOMER_TYPES] },
    atRisk: { type: 'boolean' },
    rfm: {
      type: ['object', 'null'],
      properties: {
        recency: { type: 'integer', minimum: 1, maximum: 5 },
        frequency: { type: 'integer', minimum: 1, maximum: 5 },
        monetary: { type: 'integer', minimum: 1, maximum: 5 },
        segment: { type: 'string', enum: RFM_SEGMENTS.map((r) => r.name) },
      },
    },
    tier: { type: ['string', 'null'], enum: [...VALUE_TIERS, null] },
    traits: { type: 'object' },
  },
};

export const customerRoutes: ApiRoutes = {
  register(app, { clickhouse, authorize }) {
    app.get('/v1/projects/:projectId/customers', async (request) => {
      const projectId = await authorize(request);
      const { limit, after, ...filter } = parse(CustomersQuery, request.query);
      const { model } = await currentCustomerModel(clickhouse, projectId);
      return queryCustomers(clickhouse, { projectId, model, filter, limit, after });
    });

    app.get('/v1/projects/:projectId/customers/:customer', async (request) => {
      const projectId = await authorize(request);
      const { customer } = parse(CustomerParams, request.params);
      const { model } = await currentCustomerModel(clickhouse, projectId);
      const profile = await queryCustomer(clickhouse, { projectId, model, customer });
      if (profile === undefined) throw queryProblem('NOT_FOUND', `no customer ${customer} in this project`);
      return profile;
    });

    app.get('/v1/projects/:projectId/segments', async (request) => {
      const projectId = await authorize(request);
      const { dimension } = parse(SegmentsQuery, request.query);
      const { model } = await currentCustomerModel(clickhouse, projectId);
      return { dimension, segments: await querySegments(clickhouse, { projectId, model, dimension }) };
    });

    app.get('/v1/projects/:projectId/customer-model', async (request) =>
      currentCustomerModel(clickhouse, await authorize(request)),
    );
    app.put('/v1/projects/:projectId/customer-model', async (request) =>
      putCustomerModel(clickhouse, await authorize(request), request.body),
    );
  },
  paths: {
    '/v1/projects/{projectId}/customers': {
      get: {
        operationId: 'listCustomers',
        summary: 'Customer profiles with type, at risk, RFM and tier, in customer-key order, paged',
        parameters: [
          projectIdParameter,
          { name: 'type', in: 'query', schema: { type: 'string', enum: [...CUSTOMER_TYPES] } },
          { name: 'atRisk', in: 'query', schema: { type: 'boolean' } },
          { name: 'tier', in: 'query', schema: { type: 'string', enum: [...VALUE_TIERS] } },
          {
            name: 'rfmSegment',
            in: 'query',
            schema: { type: 'string', enum: RFM_SEGMENTS.map((r) => r.name) },
          },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          {
            name: 'after',
            in: 'query',
            description: 'The `next` cursor of the previous page',
            schema: { type: 'string' },
          },
        ],
        responses: {
          200: {
            description: '`next` is null on the last page',
            content: json({
              type: 'object',
              properties: {
                customers: { type: 'array', items: customerProfile },
                next: { type: ['string', 'null'] },
              },
            }),
          },
          400: problem,
          401: problem,
          403: problem,
        },
      },
    },
    '/v1/projects/{projectId}/customers/{customer}': {
      get: {
        operationId: 'getCustomer',
        summary:
          "One customer's profile, by customer key or any of its raw keys (u:<userId>, a:<anonymousId>)",
        parameters: [
          projectIdParameter,
          { name: 'customer', in: 'path', required: true, schema: { type: 'string', pattern: '^[au]:' } },
        ],
        responses: {
          200: {
            description: 'The profile, with its session count',
            content: json({
              allOf: [customerProfile, { type: 'object', properties: { sessions: { type: 'integer' } } }],
            }),
          },
          400: problem,
          401: problem,
          403: problem,
          404: problem,
        },
      },
    },
    '/v1/projects/{projectId}/segments': {
      get: {
        operationId: 'getSegments',
        summary: 'Segment sizes and KPIs for every value of a customer dimension',
        parameters: [
          projectIdParameter,
          { name: 'dimension', in: 'query', required: true, schema: dimensionSchema },
        ],
        responses: {
          200: {
            description: 'Largest segment first; value "" collects customers with the dimension unknown',
            content: json({
              type: 'object',
              properties: {
                dimension: { type: 'string' },
                segments: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      value: { type: 'string' },
                      customers: { type: 'integer' },
                      purchasers: { type: 'integer' },
                      conversionRate: { type: 'number' },
                      orders: { type: 'integer' },
                      revenue: { type: 'number' },
                      averageOrderValue: nullableNumber,
                      atRisk: { type: 'integer' },
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
    '/v1/projects/{projectId}/customer-model': {
      get: {
        operationId: 'getCustomerModel',
        summary: "The project's customer model: thresholds of customer types, at risk and value tiers",
        parameters: [projectIdParameter],
        responses: {
          200: { description: 'The current model', content: customerModelAnswer },
          401: problem,
          403: problem,
        },
      },
      put: {
        operationId: 'putCustomerModel',
        summary: 'Save a new customer model version; queries use it at once',
        description:
          '`{ version, model }`: `version` must be the current version + 1 (the default is version 1), otherwise 409 VERSION_CONFLICT. ' +
          'Omitted thresholds take their defaults; unknown keys are refused.',
        parameters: [projectIdParameter],
        requestBody: { required: true, content: json({ type: 'object', required: ['version', 'model'] }) },
        responses: {
          200: { description: 'Saved', content: customerModelAnswer },
          400: problem,
          401: problem,
          403: problem,
          409: problem,
        },
      },
    },
  },
};
