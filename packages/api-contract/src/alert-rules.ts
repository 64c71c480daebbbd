import { AlertRule } from '@waymark/journey';
import { z } from 'zod';
import { documentField } from './openapi.ts';
import { DateTime, fromBeforeTo, IsoInstant, PageLimit, ProjectParams } from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

/** Alert rules CRUD, history and backtest (docs/alerting.md). */

/** At most this many evaluations per backtest: the store's limit (services/query/src/alert-rules.test.ts checks they agree). */
export const MAX_BACKTEST_EVALUATIONS = 500;

export const AlertRuleParams = ProjectParams.extend({
  ruleId: z.string().regex(/^ar_[A-Za-z0-9_-]{1,64}$/, { message: 'expected a rule id like ar_…' }),
});

export const AlertsQuery = z
  .object({
    ruleId: AlertRuleParams.shape.ruleId.optional(),
    from: IsoInstant.optional(),
    to: IsoInstant.optional(),
    limit: PageLimit,
  })
  .refine(...fromBeforeTo);

export const BacktestBody = z
  .object({
    /** Checked as `POST …/alert-rules` checks it, with its errors under `rule.`. */
    rule: documentField(AlertRule, 'An alert rule, as `POST …/alert-rules` takes it'),
    from: IsoInstant,
    to: IsoInstant,
  })
  .refine(...fromBeforeTo);

const Window = z.object({ start: DateTime, end: DateTime });

export const AlertRuleAnswer = z.object({
  id: z.string(),
  version: z.int().min(1),
  rule: AlertRule.meta({
    description: 'The rule as saved; a webhook shows `secretSet` instead of its secret',
  }),
  state: z
    .object({
      status: z.enum(['ok', 'firing']),
      incident: z.int(),
      severity: z.enum(['warning', 'critical']).nullable(),
      lastEvaluatedWindowEnd: DateTime.nullable(),
    })
    .optional(),
});

export const AlertRulesAnswer = z.object({ rules: z.array(AlertRuleAnswer) });

export const BacktestAnswer = z.object({
  from: DateTime,
  to: DateTime,
  evaluations: z.int(),
  breaches: z.int(),
  insufficient: z.int(),
  suppressedByCooldown: z.int(),
  incidents: z.array(
    z.object({
      incident: z.int(),
      severity: z.string(),
      firedAt: DateTime,
      resolvedAt: DateTime.nullable(),
      window: Window,
      summary: z.string(),
      rootCause: z.array(z.unknown()),
    }),
  ),
  timeline: z
    .array(
      z.object({
        at: DateTime,
        status: z.enum(['breach', 'clear', 'insufficient']),
        value: z.number().nullable(),
        reference: z.number().nullable(),
      }),
    )
    .meta({
      description:
        'Every evaluation (slot end `at`): what it found, the figure judged (`value`: a conversion rate, a count, the KPI, customers turned at risk) and what against (`reference`: the baseline rate or median, the threshold, `minCustomers`)',
    }),
});

export const AlertsAnswer = z.object({
  alerts: z.array(
    z.object({
      id: z.string(),
      ruleId: z.string(),
      type: z.enum(['firing', 'resolved']),
      incident: z.int(),
      severity: z.string(),
      summary: z.string(),
      window: Window,
      createdAt: DateTime,
      snoozed: z.boolean(),
      rootCause: z.unknown(),
      deliveries: z.array(
        z.object({ url: z.string(), status: z.string(), attempts: z.int(), lastError: z.string() }),
      ),
    }),
  ),
});

/** The body of a create or replace: checked by journey's `parseAlertRule`, which holds this schema. */
const RuleBody = AlertRule.meta({
  description: 'An alert rule; docs/alerting.md defines every kind and its defaults',
});

const ruleRoute = {
  params: AlertRuleParams,
  errors: [400, 401, 403, 404],
} as const;

export const listAlertRules = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/alert-rules',
  operationId: 'listAlertRules',
  summary: "The project's alert rules with their current state (webhook secrets are never returned)",
  params: ProjectParams,
  response: { status: 200, description: 'Rules in id order', schema: AlertRulesAnswer },
  errors: [400, 401, 403],
});

export const createAlertRule = defineRoute({
  method: 'post',
  path: '/v1/projects/:projectId/alert-rules',
  operationId: 'createAlertRule',
  summary: 'Create an alert rule; invalid rules answer 400 with `errors[].field` like `notify.0.url`',
  params: ProjectParams,
  body: RuleBody,
  bodyCheckedBy: 'handler',
  response: { status: 201, description: 'Created (version 1)', schema: AlertRuleAnswer },
  errors: [400, 401, 403],
});

export const getAlertRule = defineRoute({
  ...ruleRoute,
  method: 'get',
  path: '/v1/projects/:projectId/alert-rules/:ruleId',
  operationId: 'getAlertRule',
  summary: 'One alert rule and its state',
  response: { status: 200, description: 'The rule', schema: AlertRuleAnswer },
});

export const replaceAlertRule = defineRoute({
  ...ruleRoute,
  method: 'put',
  path: '/v1/projects/:projectId/alert-rules/:ruleId',
  operationId: 'replaceAlertRule',
  summary:
    'Replace a rule (its version goes up by one); a webhook sent without `secret` keeps the stored one',
  body: RuleBody,
  // The rule must exist (404) before its body is judged (400).
  bodyCheckedBy: 'handler',
  response: { status: 200, description: 'Saved', schema: AlertRuleAnswer },
});

export const deleteAlertRule = defineRoute({
  ...ruleRoute,
  method: 'delete',
  path: '/v1/projects/:projectId/alert-rules/:ruleId',
  operationId: 'deleteAlertRule',
  summary: 'Delete a rule; its history stays',
  response: { status: 204, description: 'Deleted' },
});

export const backtestAlertRule = defineRoute({
  method: 'post',
  path: '/v1/projects/:projectId/alert-rules/backtest',
  operationId: 'backtestAlertRule',
  summary: 'Replay a rule over a past period and list when it would have fired and resolved',
  description: `At most ${MAX_BACKTEST_EVALUATIONS} evaluations (one per \`evaluateEvery\` slot in [from, to]); nothing is stored or sent.`,
  params: ProjectParams,
  body: BacktestBody,
  response: { status: 200, description: 'Incidents the rule would have opened', schema: BacktestAnswer },
  errors: [400, 401, 403],
});

export const listAlerts = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/alerts',
  operationId: 'listAlerts',
  summary: 'Alert history: incidents opened and resolved, newest first, with their deliveries',
  params: ProjectParams,
  query: AlertsQuery,
  response: { status: 200, description: 'Events newest first', schema: AlertsAnswer },
  errors: [400, 401, 403],
});

export const ResolveBody = z.strictObject({
  /** The incident to close: a resolve meant for an incident that already ended never closes a newer one. */
  incident: z
    .int()
    .min(1)
    .max(4_294_967_295)
    .meta({ description: "The firing incident's number (`state.incident`)" }),
});

export const resolveAlertIncident = defineRoute({
  ...ruleRoute,
  method: 'post',
  path: '/v1/projects/:projectId/alert-rules/:ruleId/resolve',
  operationId: 'resolveAlertIncident',
  summary: 'Resolve a firing incident by hand; resolving one that already ended changes nothing',
  description:
    "Records the incident's `resolved` event (sent to the webhooks unless snoozed) and starts the cooldown; an evaluation running at the same time cannot reopen it (docs/decisions/0027-manual-resolve.md). `incident` other than the current or an earlier one answers 400.",
  body: ResolveBody,
  response: { status: 200, description: 'The rule and its state after the resolve', schema: AlertRuleAnswer },
});
