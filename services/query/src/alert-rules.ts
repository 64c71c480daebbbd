import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { AlertsQuery, BacktestBody, ResolveBody } from '@waymark/api-contract';
import type { WebhookSecretBox } from '@waymark/clickhouse';
import {
  alertRuleKey,
  backtestAlertRule,
  backtestSlots,
  getAlertRule,
  insertAlertEvent,
  listAlertEvents,
  listAlertRules,
  MAX_BACKTEST_EVALUATIONS,
  readAlertStates,
  saveAlertRule,
  writeAlertDeliveries,
} from '@waymark/clickhouse';
import type { WebhookEgress } from '@waymark/http';
import {
  type AlertRule,
  type AlertRuleInput,
  type AlertState,
  alertEventId,
  keepStoredSecrets,
  parseAlertRule,
  type StoredAlertRule,
  withoutSecrets,
} from '@waymark/journey';
import type { z } from 'zod';
import { currentCustomerModel } from './customer-model.ts';
import { queryProblem } from './problems.ts';

/** Alert rules CRUD, history and backtest (docs/alerting.md). */

/** How webhook targets are kept (secrets encrypted at rest) and where they may point (egress). */
export interface Webhooks {
  readonly secrets: WebhookSecretBox;
  readonly egress: WebhookEgress;
}

function validRule(input: unknown, field = ''): AlertRule {
  const parsed = parseAlertRule(input);
  if (parsed.ok) return parsed.value;
  const errors = parsed.issues.map((issue) => ({
    field: [field, issue.path].filter(Boolean).join('.'),
    message: issue.message,
  }));
  throw queryProblem('INVALID_REQUEST', errors.map((e) => `${e.field || 'rule'}: ${e.message}`).join('; '), {
    extra: { errors },
  });
}

/** What the API answers for a rule: never its webhook secrets. */
function answer(rule: StoredAlertRule, state?: AlertState) {
  return {
    id: rule.id,
    version: rule.version,
    rule: withoutSecrets(rule.input),
    ...(state === undefined
      ? {}
      : {
          state: {
            status: state.status,
            incident: state.incident,
            severity: state.severity,
            lastEvaluatedWindowEnd:
              state.lastWindowEndMs === 0 ? null : new Date(state.lastWindowEndMs).toISOString(),
          },
        }),
  };
}

/** A secret is needed for each webhook: the sender signs with it. */
function requireSecrets(rule: AlertRule): void {
  const missing = rule.notify.flatMap((target, i) => (target.secret === undefined ? [i] : []));
  if (missing.length === 0) return;
  const errors = missing.map((i) => ({
    field: `notify.${i}.secret`,
    message: 'a new webhook needs a secret',
  }));
  throw queryProblem('INVALID_REQUEST', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
    extra: { errors },
  });
}

/** A webhook URL the egress policy refuses is refused now, not at the first delivery (docs/alerting.md, "Egress"). */
function requireReachable(rule: AlertRule, egress: WebhookEgress): void {
  const errors = rule.notify.flatMap((target, i) => {
    const refusal = egress.urlRefusal(target.url);
    return refusal === undefined ? [] : [{ field: `notify.${i}.url`, message: refusal }];
  });
  if (errors.length === 0) return;
  throw queryProblem('INVALID_REQUEST', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
    extra: { errors },
  });
}

export async function listRules(clickhouse: ClickHouseClient, webhooks: Webhooks, projectId: string) {
  const rules = await listAlertRules(clickhouse, webhooks.secrets, projectId);
  const states = await readAlertStates(clickhouse, rules);
  return { rules: rules.map((rule) => answer(rule, states.get(alertRuleKey(projectId, rule.id)))) };
}

export async function getRule(
  clickhouse: ClickHouseClient,
  webhooks: Webhooks,
  projectId: string,
  ruleId: string,
) {
  const rule = await getAlertRule(clickhouse, webhooks.secrets, projectId, ruleId);
  if (rule === undefined) throw queryProblem('NOT_FOUND', `no alert rule ${ruleId} in this project`);
  const states = await readAlertStates(clickhouse, [rule]);
  return answer(rule, states.get(alertRuleKey(projectId, ruleId)));
}

export async function createRule(
  clickhouse: ClickHouseClient,
  webhooks: Webhooks,
  projectId: string,
  body: unknown,
) {
  const rule = validRule(body);
  requireSecrets(rule);
  requireReachable(rule, webhooks.egress);
  const stored = {
    projectId,
    id: `ar_${randomBytes(12).toString('base64url')}`,
    version: 1,
    input: body as AlertRuleInput,
  };
  await saveAlertRule(clickhouse, webhooks.secrets, stored);
  return answer(stored);
}

export async function replaceRule(
  clickhouse: ClickHouseClient,
  webhooks: Webhooks,
  projectId: string,
  ruleId: string,
  body: unknown,
) {
  const current = await getAlertRule(clickhouse, webhooks.secrets, projectId, ruleId);
  if (current === undefined) throw queryProblem('NOT_FOUND', `no alert rule ${ruleId} in this project`);
  validRule(body);
  const input = keepStoredSecrets(body as AlertRuleInput, current.input);
  const rule = validRule(input);
  requireSecrets(rule);
  requireReachable(rule, webhooks.egress);
  const stored = { projectId, id: ruleId, version: current.version + 1, input };
  await saveAlertRule(clickhouse, webhooks.secrets, stored);
  return answer(stored);
}

export async function deleteRule(
  clickhouse: ClickHouseClient,
  webhooks: Webhooks,
  projectId: string,
  ruleId: string,
): Promise<void> {
  const current = await getAlertRule(clickhouse, webhooks.secrets, projectId, ruleId);
  if (current === undefined) throw queryProblem('NOT_FOUND', `no alert rule ${ruleId} in this project`);
  await saveAlertRule(clickhouse, webhooks.secrets, {
    ...current,
    version: current.version + 1,
    deleted: true,
  });
}

export async function alertHistory(
  clickhouse: ClickHouseClient,
  projectId: string,
  { ruleId, from, to, limit }: z.output<typeof AlertsQuery>,
) {
  const events = await listAlertEvents(clickhouse, {
    projectId,
    limit,
    ...(ruleId === undefined ? {} : { ruleId }),
    ...(from === undefined ? {} : { fromMs: from.getTime() }),
    ...(to === undefined ? {} : { toMs: to.getTime() }),
  });
  return {
    alerts: events.map((e) => ({
      id: e.eventId,
      ruleId: e.ruleId,
      type: e.type,
      incident: e.incident,
      severity: e.severity,
      summary: e.summary,
      window: { start: new Date(e.windowStartMs).toISOString(), end: new Date(e.windowEndMs).toISOString() },
      createdAt: new Date(e.createdAtMs).toISOString(),
      snoozed: e.snoozed,
      rootCause: e.payload.rootCause ?? [],
      deliveries: e.deliveries,
    })),
  };
}

export async function backtestRule(
  clickhouse: ClickHouseClient,
  projectId: string,
  { rule: input, from, to }: z.output<typeof BacktestBody>,
) {
  const rule = validRule(input, 'rule');
  const slots = backtestSlots(from.getTime(), to.getTime(), rule.evaluateEvery);
  if (slots.length > MAX_BACKTEST_EVALUATIONS) {
    throw queryProblem(
      'INVALID_REQUEST',
      `more than ${MAX_BACKTEST_EVALUATIONS} evaluations between from and to; shorten the period or lengthen rule.evaluateEvery`,
      { extra: { errors: [{ field: 'to', message: `at most ${MAX_BACKTEST_EVALUATIONS} evaluations` }] } },
    );
  }
  const result = await backtestAlertRule(clickhouse, {
    projectId,
    rule,
    slots,
    customerModel: async () => (await currentCustomerModel(clickhouse, projectId)).model,
  });
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    evaluations: result.evaluations,
    breaches: result.breaches,
    insufficient: result.insufficient,
    suppressedByCooldown: result.suppressedByCooldown,
    incidents: result.incidents.map((i) => ({
      incident: i.incident,
      severity: i.severity,
      firedAt: iso(i.firedAtMs),
      resolvedAt: i.resolvedAtMs === null ? null : iso(i.resolvedAtMs),
      window: { start: iso(i.window.startMs), end: iso(i.window.endMs) },
      summary: i.summary,
      rootCause: i.rootCause,
    })),
    timeline: result.timeline.map(({ slotEndMs, ...evaluation }) => ({ at: iso(slotEndMs), ...evaluation })),
  };
}

/**
 * Resolves a firing incident by hand (docs/decisions/0027-manual-resolve.md): its `resolved` event, marked
 * `resolvedBy: hand`, is what every state read applies, then its deliveries go to the outbox for the rule's
 * alerter to send. Idempotent: an incident that already ended is answered as it stands.
 */
export async function resolveIncident(
  clickhouse: ClickHouseClient,
  webhooks: Webhooks,
  projectId: string,
  ruleId: string,
  { incident }: z.output<typeof ResolveBody>,
  now: Date = new Date(),
) {
  const stored = await getAlertRule(clickhouse, webhooks.secrets, projectId, ruleId);
  if (stored === undefined) throw queryProblem('NOT_FOUND', `no alert rule ${ruleId} in this project`);
  const state = (await readAlertStates(clickhouse, [stored])).get(alertRuleKey(projectId, ruleId));
  if (state === undefined || incident > state.incident) {
    const message = `rule ${ruleId} has no incident ${incident}`;
    throw queryProblem('INVALID_REQUEST', `incident: ${message}`, {
      extra: { errors: [{ field: 'incident', message }] },
    });
  }
  if (state.status !== 'firing' || incident < state.incident) return answer(stored, state);
  const rule = validRule(stored.input);
  const nowMs = now.getTime();
  const eventId = alertEventId(ruleId, incident, 'resolved');
  const severity = state.severity ?? 'warning';
  const summary = 'resolved by hand';
  const window = { startMs: state.firedAtMs ?? nowMs, endMs: nowMs };
  const snoozed = rule.snoozedUntil !== null && Date.parse(rule.snoozedUntil) > nowMs;
  // The payload the alerter's own resolutions carry (docs/alerting.md, "Delivery"), minus evaluation figures.
  const payload = {
    id: eventId,
    type: 'alert.resolved',
    projectId,
    rule: { id: ruleId, name: rule.name, kind: rule.kind, version: stored.version },
    incident,
    severity,
    summary,
    window: { start: new Date(window.startMs).toISOString(), end: now.toISOString() },
    evaluatedAt: now.toISOString(),
    ...(state.firedAtMs === null ? {} : { firedAt: new Date(state.firedAtMs).toISOString() }),
    resolvedBy: 'hand',
    details: {},
    rootCause: [],
  };
  // The event first: it is the resolution. A crash before the outbox rows loses the notification, not the resolve.
  await insertAlertEvent(clickhouse, {
    projectId,
    ruleId,
    eventId,
    type: 'resolved',
    incident,
    severity,
    windowStartMs: window.startMs,
    windowEndMs: window.endMs,
    summary,
    payload,
    snoozed,
    createdAtMs: nowMs,
  });
  if (!snoozed) {
    await writeAlertDeliveries(
      clickhouse,
      rule.notify.map((target) => ({
        projectId,
        ruleId,
        eventId,
        url: target.url,
        format: target.format,
        status: 'pending',
        attempts: 0,
        nextAttemptAtMs: nowMs,
        lastError: '',
      })),
    );
  }
  return getRule(clickhouse, webhooks, projectId, ruleId);
}
