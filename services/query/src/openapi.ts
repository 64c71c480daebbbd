import { CUSTOMER_DIMENSIONS, CUSTOMER_TYPES, RFM_SEGMENTS, VALUE_TIERS } from '@waymark/journey';
import { QUERY_ERRORS } from './problems.ts';

const STAGE_NAMES = ['discovery', 'consideration', 'evaluation', 'selection', 'purchase', 'use', 'advocacy'];

const problem = {
  description: 'RFC 9457 problem details',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        required: ['type', 'title', 'status', 'code'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          code: { type: 'string', enum: Object.keys(QUERY_ERRORS) },
          detail: { type: 'string' },
          errors: {
            type: 'array',
            items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
    },
  },
};

const nullableNumber = { type: ['number', 'null'] };
const json = (schema: Record<string, unknown>) => ({ 'application/json': { schema } });
const projectIdParameter = {
  name: 'projectId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
};
const dimensions = [...Object.values(CUSTOMER_DIMENSIONS).flat(), 'trait:<name>'];
const dimensionSchema = {
  type: 'string',
  description: `A customer dimension: ${dimensions.join(', ')} (docs/customers.md)`,
  examples: ['type', 'tier', 'country', 'trait:plan'],
};
const breakdownParameter = {
  name: 'breakdown',
  in: 'query',
  description: 'Break the result down by a customer dimension',
  schema: dimensionSchema,
};
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
const rulesetAnswer = {
  type: 'object',
  required: ['version', 'source', 'ruleset'],
  properties: {
    version: { type: 'integer', minimum: 1 },
    source: { type: 'string', enum: ['default', 'project'] },
    ruleset: { type: 'object' },
  },
};

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

/** The OpenAPI 3.1 document of the query API; `app.test.ts` checks every route is described here. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Waymark query API',
      version: '0.1.0',
      description:
        'Read API over the customer-journey store. Authenticate with a project API key: `Authorization: Bearer <apiKey>`.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'Project API key (secret)' },
      },
    },
    security: [{ apiKey: [] }],
    paths: {
      '/v1/projects/{projectId}/funnel/stages': {
        get: {
          operationId: 'getStageFunnel',
          summary: 'Stage funnel: how many customers reached each of the seven journey stages',
          description:
            'Cohort: customers whose first staged touchpoint falls in [from, to). A customer counts at stage k when it ' +
            'reached any stage ≥ k within `window` after entry ("reached" mode; skipping a stage does not drop the customer). ' +
            'Anonymous touchpoints count for the customer they were later identified as.',
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
            { name: 'mode', in: 'query', schema: { type: 'string', enum: ['reached'], default: 'reached' } },
            breakdownParameter,
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
                      mode: { type: 'string' },
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
                              properties: { value: { type: 'string' }, stages: stagesSchema },
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
      '/v1/projects/{projectId}/stage-rules': {
        get: {
          operationId: 'getStageRules',
          summary: "The project's current stage ruleset (the default one, version 1, until it saves its own)",
          parameters: [projectIdParameter],
          responses: {
            200: {
              description: '`{ version, source: "default" | "project", ruleset }`',
              content: json(rulesetAnswer),
            },
            401: problem,
            403: problem,
          },
        },
        put: {
          operationId: 'putStageRules',
          summary:
            'Save a new ruleset version; it stages touchpoints processed from the next processor refresh on',
          description:
            'The body is a ruleset `{ version, rules: [{ stage, match, description? }], complaintRules? }` (see schemas/stage-rules.default.json). ' +
            '`version` must be the current version + 1, otherwise 409 VERSION_CONFLICT. Invalid rulesets answer 400 with `errors[].field` like `rules[3].match.pagePath[0]`. ' +
            'Touchpoints already stored keep the stage and ruleset version they were given.',
          parameters: [projectIdParameter],
          requestBody: { required: true, content: json({ type: 'object', required: ['version', 'rules'] }) },
          responses: {
            200: { description: 'Saved', content: json(rulesetAnswer) },
            400: problem,
            401: problem,
            403: problem,
            409: problem,
          },
        },
      },
      '/v1/projects/{projectId}/stage-rules/dry-run': {
        post: {
          operationId: 'dryRunStageRules',
          summary: "How the project's last N touchpoints would be staged by a proposed ruleset",
          parameters: [projectIdParameter],
          requestBody: {
            required: true,
            content: json({
              type: 'object',
              required: ['ruleset'],
              properties: {
                ruleset: { type: 'object' },
                limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
              },
            }),
          },
          responses: {
            200: {
              description:
                'Counts per stage now and under the proposal, how many would change, and up to 20 examples',
              content: json({
                type: 'object',
                properties: {
                  touchpoints: { type: 'integer' },
                  changed: { type: 'integer' },
                  current: { type: 'object', additionalProperties: { type: 'integer' } },
                  proposed: { type: 'object', additionalProperties: { type: 'integer' } },
                  examples: { type: 'array', items: { type: 'object' } },
                },
              }),
            },
            400: problem,
            401: problem,
            403: problem,
          },
        },
      },
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
            { name: 'customer', in: 'path', required: true, schema: { type: 'string', pattern: '^[au]:.' } },
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
      '/openapi.json': {
        get: { operationId: 'openapi', security: [], responses: { 200: { description: 'This document' } } },
      },
    },
  };
}
