import { MAX_BACKTEST_EVALUATIONS } from '@waymark/clickhouse';
import { ALERT_BREAKDOWNS, ALERT_RULE_KINDS, KPI_METRICS, STAGE_NAMES } from '@waymark/journey';
import {
  AlertRuleParams,
  alertHistory,
  backtestRule,
  createRule,
  deleteRule,
  getRule,
  listRules,
  replaceRule,
} from '../alert-rules.ts';
import { json, problem, projectIdParameter } from '../openapi-schemas.ts';
import { parse } from '../validation.ts';
import type { ApiRoutes } from './route.ts';

const duration = { type: 'string', pattern: '^\\d{1,6}(m|h|d)$', examples: ['15m', '1h', '1d'] };
const stage = { type: 'string', enum: STAGE_NAMES };
const baseline = {
  oneOf: [
    {
      type: 'object',
      properties: {
        type: { const: 'same_weekday' },
        weeks: { type: 'integer', minimum: 1, maximum: 8, default: 4 },
      },
    },
    {
      type: 'object',
      properties: {
        type: { const: 'trailing' },
        windows: { type: 'integer', minimum: 2, maximum: 48, default: 6 },
      },
    },
  ],
};
const ruleSchema = {
  type: 'object',
  required: ['kind', 'name'],
  description:
    'An alert rule; docs/alerting.md defines every kind and default. Fields beyond the common ones depend on `kind`: ' +
    'stage_conversion_drop (from, to, window, conversionWindow, baseline, minRelativeDrop, significance, minSample, ' +
    'criticalRelativeDrop, breakdown, topOffenders); kpi_threshold (metric, stage, from, to, operator, value, window, minSample); ' +
    'volume_anomaly (stage | event, direction, window, baseline, minDeviation, minRelativeChange, minBaseline); ' +
    'churn_risk (window, tiers, minCustomers); complaint_surge (window, baseline, minComplaints, minRelativeIncrease, minDeviation).',
  properties: {
    kind: { type: 'string', enum: ALERT_RULE_KINDS },
    name: { type: 'string', maxLength: 200 },
    enabled: { type: 'boolean', default: true },
    evaluateEvery: duration,
    cooldown: duration,
    resolveAfter: { type: 'integer', minimum: 1, maximum: 100, default: 3 },
    snoozedUntil: { type: ['string', 'null'], format: 'date-time' },
    notify: {
      type: 'array',
      maxItems: 10,
      items: {
        type: 'object',
        required: ['type', 'url'],
        properties: {
          type: { const: 'webhook' },
          url: { type: 'string', format: 'uri' },
          secret: { type: 'string', minLength: 16, writeOnly: true },
          format: { type: 'string', enum: ['json', 'slack'], default: 'json' },
          secretSet: { type: 'boolean', readOnly: true },
        },
      },
    },
    from: stage,
    to: stage,
    stage,
    event: { type: 'string' },
    window: duration,
    conversionWindow: duration,
    baseline,
    breakdown: { type: 'string', enum: ALERT_BREAKDOWNS },
    metric: { type: 'string', enum: KPI_METRICS },
    operator: { type: 'string', enum: ['below', 'above'] },
    value: { type: 'number' },
    direction: { type: 'string', enum: ['below', 'above', 'both'] },
    tiers: { type: 'array', items: { type: 'string', enum: ['A', 'B', 'C'] } },
  },
};
const ruleAnswer = {
  type: 'object',
  required: ['id', 'version', 'rule'],
  properties: {
    id: { type: 'string' },
    version: { type: 'integer', minimum: 1 },
    rule: ruleSchema,
    state: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['ok', 'firing'] },
        incident: { type: 'integer' },
        severity: { type: ['string', 'null'], enum: ['warning', 'critical', null] },
        lastEvaluatedWindowEnd: { type: ['string', 'null'], format: 'date-time' },
      },
    },
  },
};
const ruleIdParameter = {
  name: 'ruleId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^ar_' },
};
const errors = { 400: problem, 401: problem, 403: problem };

export const alertRuleRoutes: ApiRoutes = {
  register(app, { clickhouse, authorize }) {
    app.get('/v1/projects/:projectId/alert-rules', async (request) =>
      listRules(clickhouse, await authorize(request)),
    );
    app.post('/v1/projects/:projectId/alert-rules', async (request, reply) => {
      const projectId = await authorize(request);
      return reply.status(201).send(await createRule(clickhouse, projectId, request.body));
    });
    app.post('/v1/projects/:projectId/alert-rules/backtest', async (request) =>
      backtestRule(clickhouse, await authorize(request), request.body),
    );
    app.get('/v1/projects/:projectId/alert-rules/:ruleId', async (request) => {
      const projectId = await authorize(request);
      return getRule(clickhouse, projectId, parse(AlertRuleParams, request.params).ruleId);
    });
    app.put('/v1/projects/:projectId/alert-rules/:ruleId', async (request) => {
      const projectId = await authorize(request);
      return replaceRule(clickhouse, projectId, parse(AlertRuleParams, request.params).ruleId, request.body);
    });
    app.delete('/v1/projects/:projectId/alert-rules/:ruleId', async (request, reply) => {
      const projectId = await authorize(request);
      await deleteRule(clickhouse, projectId, parse(AlertRuleParams, request.params).ruleId);
      return reply.status(204).send();
    });
    app.get('/v1/projects/:projectId/alerts', async (request) =>
      alertHistory(clickhouse, await authorize(request), request.query),
    );
  },
  paths: {
    '/v1/projects/{projectId}/alert-rules': {
      get: {
        operationId: 'listAlertRules',
        summary: "The project's alert rules with their current state (webhook secrets are never returned)",
        parameters: [projectIdParameter],
        responses: {
          200: {
            description: 'Rules in id order',
            content: json({ type: 'object', properties: { rules: { type: 'array', items: ruleAnswer } } }),
          },
          ...errors,
        },
      },
      post: {
        operationId: 'createAlertRule',
        summary: 'Create an alert rule; invalid rules answer 400 with `errors[].field` like `notify.0.url`',
        parameters: [projectIdParameter],
        requestBody: { required: true, content: json(ruleSchema) },
        responses: { 201: { description: 'Created (version 1)', content: json(ruleAnswer) }, ...errors },
      },
    },
    '/v1/projects/{projectId}/alert-rules/{ruleId}': {
      get: {
        operationId: 'getAlertRule',
        summary: 'One alert rule and its state',
        parameters: [projectIdParameter, ruleIdParameter],
        responses: { 200: { description: 'The rule', content: json(ruleAnswer) }, ...errors, 404: problem },
      },
      put: {
        operationId: 'replaceAlertRule',
        summary:
          'Replace a rule (its version goes up by one); a webhook sent without `secret` keeps the stored one',
        parameters: [projectIdParameter, ruleIdParameter],
        requestBody: { required: true, content: json(ruleSchema) },
        responses: { 200: { description: 'Saved', content: json(ruleAnswer) }, ...errors, 404: problem },
      },
      delete: {
        operationId: 'deleteAlertRule',
        summary: 'Delete a rule; its history stays',
        parameters: [projectIdParameter, ruleIdParameter],
        responses: { 204: { description: 'Deleted' }, ...errors, 404: problem },
      },
    },
    '/v1/projects/{projectId}/alert-rules/backtest': {
      post: {
        operationId: 'backtestAlertRule',
        summary: 'Replay a rule over a past period and list when it would have fired and resolved',
        description: `At most ${MAX_BACKTEST_EVALUATIONS} evaluations (one per \`evaluateEvery\` slot in [from, to]); nothing is stored or sent.`,
        parameters: [projectIdParameter],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['rule', 'from', 'to'],
            properties: { rule: ruleSchema, from: { type: 'string' }, to: { type: 'string' } },
          }),
        },
        responses: {
          200: {
            description: 'Incidents the rule would have opened',
            content: json({
              type: 'object',
              properties: {
                evaluations: { type: 'integer' },
                breaches: { type: 'integer' },
                insufficient: { type: 'integer' },
                suppressedByCooldown: { type: 'integer' },
                incidents: { type: 'array', items: { type: 'object' } },
              },
            }),
          },
          ...errors,
        },
      },
    },
    '/v1/projects/{projectId}/alerts': {
      get: {
        operationId: 'listAlerts',
        summary: 'Alert history: incidents opened and resolved, newest first, with their deliveries',
        parameters: [
          projectIdParameter,
          { name: 'ruleId', in: 'query', schema: { type: 'string' } },
          { name: 'from', in: 'query', schema: { type: 'string' } },
          { name: 'to', in: 'query', schema: { type: 'string' } },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        ],
        responses: {
          200: {
            description: 'Events newest first',
            content: json({
              type: 'object',
              properties: { alerts: { type: 'array', items: { type: 'object' } } },
            }),
          },
          ...errors,
        },
      },
    },
  },
};
