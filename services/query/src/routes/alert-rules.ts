import {
  backtestAlertRule,
  createAlertRule,
  deleteAlertRule,
  getAlertRule,
  listAlertRules,
  listAlerts,
  replaceAlertRule,
  resolveAlertIncident,
} from '@waymark/api-contract';
import {
  alertHistory,
  backtestRule,
  createRule,
  deleteRule,
  getRule,
  listRules,
  replaceRule,
  resolveIncident,
} from '../alert-rules.ts';
import { route } from './route.ts';

export const alertRuleRoutes = [
  route(listAlertRules, async ({ projectId }, { clickhouse, webhooks }) =>
    listRules(clickhouse, webhooks, projectId),
  ),
  route(createAlertRule, async ({ projectId, body }, { clickhouse, webhooks }) =>
    createRule(clickhouse, webhooks, projectId, body),
  ),
  route(backtestAlertRule, async ({ projectId, body }, { clickhouse }) =>
    backtestRule(clickhouse, projectId, body),
  ),
  route(getAlertRule, async ({ projectId, params }, { clickhouse, webhooks }) =>
    getRule(clickhouse, webhooks, projectId, params.ruleId),
  ),
  route(replaceAlertRule, async ({ projectId, params, body }, { clickhouse, webhooks }) =>
    replaceRule(clickhouse, webhooks, projectId, params.ruleId, body),
  ),
  route(deleteAlertRule, async ({ projectId, params }, { clickhouse, webhooks }) =>
    deleteRule(clickhouse, webhooks, projectId, params.ruleId),
  ),
  route(listAlerts, async ({ projectId, query }, { clickhouse }) =>
    alertHistory(clickhouse, projectId, query),
  ),
  route(resolveAlertIncident, async ({ projectId, params, body }, { clickhouse, webhooks }) =>
    resolveIncident(clickhouse, webhooks, projectId, params.ruleId, body),
  ),
];
