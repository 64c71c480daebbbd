import type { ClickHouseClient } from '@clickhouse/client';
import {
  alertRuleKey,
  dueAlertDeliveries,
  evaluateAlertRule,
  insertAlertEvent,
  isClickHouseStorageError,
  latestProjectDocument,
  listAlertRules,
  readAlertStates,
  readProjectDocument,
  type StoredProjectAlertRule,
  type WebhookSecretBox,
  writeAlertDeliveries,
  writeAlertState,
} from '@waymark/clickhouse';
import type { WebhookEgress } from '@waymark/http';
import {
  type AlertRule,
  advanceAlertState,
  alertEventId,
  type CustomerModel,
  DEFAULT_CUSTOMER_MODEL,
  INITIAL_ALERT_STATE,
  parseAlertRule,
  parseCustomerModel,
  slotEnd,
} from '@waymark/journey';
import type { Logger } from '@waymark/logger';
import type { AlerterMetrics } from './metrics.ts';
import type { RuleOwnership } from './ownership.ts';
import { type NotificationPayload, postWebhook, retryDelayMs, urlForLogs, webhookBody } from './webhook.ts';

const MINUTE_MS = 60_000;

export interface AlerterOptions {
  webhookTimeoutMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  /** Base URL of the query API for links in notifications. */
  publicQueryUrl: string;
  /** Which addresses webhooks may reach (WAYMARK_WEBHOOK_ALLOW). */
  egress: WebhookEgress;
  /** Opens the webhook secrets of stored rules (WAYMARK_SECRETS_KEY). */
  secrets: WebhookSecretBox;
}

export interface AlerterDeps {
  clickhouse: ClickHouseClient;
  ownership: Pick<RuleOwnership, 'owns' | 'ready'>;
  logger: Logger;
  metrics: AlerterMetrics;
  /** Epoch milliseconds; injected so tests move time instead of sleeping through real windows. */
  clock: () => number;
  options: AlerterOptions;
}

interface ActiveRule {
  readonly stored: StoredProjectAlertRule;
  readonly rule: AlertRule;
}

/**
 * One pass of the alerter: evaluate every owned rule whose slot is due, then send every owned delivery
 * whose attempt is due. `triggered` projects (stage transitions just arrived) also get their conversion
 * rules evaluated at the current minute. Idempotent per (rule, slot): a slot at or before the stored state's
 * last one is skipped, and every write is keyed so that repeating a pass after a crash collapses.
 */
export async function runAlerterPass(
  deps: AlerterDeps,
  triggered: ReadonlySet<string> = new Set(),
): Promise<void> {
  if (!deps.ownership.ready) return;
  const nowMs = deps.clock();
  const rules = await activeRules(deps);
  await evaluateDue(deps, rules, nowMs, triggered);
  await deliverDue(deps, rules, nowMs);
}

async function activeRules(deps: AlerterDeps): Promise<Map<string, ActiveRule>> {
  const active = new Map<string, ActiveRule>();
  for (const stored of await listAlertRules(deps.clickhouse, deps.options.secrets)) {
    let rule: AlertRule;
    try {
      rule = readAlertRule(stored);
    } catch (error) {
      // The project's other rules go on; the API still shows this one, so it can be fixed or deleted.
      if (!isClickHouseStorageError(error, 'CLICKHOUSE_DOCUMENT_INVALID')) throw error;
      deps.logger.error(
        { err: error, projectId: stored.projectId, ruleId: stored.id },
        'stored alert rule is invalid; skipped',
      );
      continue;
    }
    active.set(alertRuleKey(stored.projectId, stored.id), { stored, rule });
  }
  return active;
}

/**
 * A stored rule as the alerter evaluates it; one that no longer passes `parseAlertRule` is a
 * CLICKHOUSE_DOCUMENT_INVALID error listing its issues by field, as for every stored project document.
 */
export const readAlertRule = readProjectDocument('alertRule', (json) => {
  const parsed = parseAlertRule(json);
  return parsed.ok
    ? parsed
    : {
        ok: false as const,
        reason: parsed.issues.map((issue) => `${issue.path || 'rule'}: ${issue.message}`).join('; '),
      };
});

async function customerModelOf(clickhouse: ClickHouseClient, projectId: string): Promise<CustomerModel> {
  const stored = await latestProjectDocument(clickhouse, 'customerModel', projectId);
  return stored === undefined ? DEFAULT_CUSTOMER_MODEL : readCustomerModel(stored);
}

const readCustomerModel = readProjectDocument('customerModel', parseCustomerModel);

async function evaluateDue(
  deps: AlerterDeps,
  rules: ReadonlyMap<string, ActiveRule>,
  nowMs: number,
  triggered: ReadonlySet<string>,
): Promise<void> {
  const owned = [...rules.values()].filter(
    ({ stored, rule }) => rule.enabled && deps.ownership.owns(stored.projectId, stored.id),
  );
  const states = await readAlertStates(
    deps.clickhouse,
    owned.map(({ stored }) => stored),
  );
  for (const { stored, rule } of owned) {
    const state = states.get(alertRuleKey(stored.projectId, stored.id)) ?? INITIAL_ALERT_STATE;
    const reactive = rule.kind === 'stage_conversion_drop' && triggered.has(stored.projectId);
    const slot = Math.max(slotEnd(nowMs, rule.evaluateEvery), reactive ? slotEnd(nowMs, MINUTE_MS) : 0);
    if (slot <= state.lastWindowEndMs) continue;
    // A failing rule (storage hiccup, bad data) must not stop the others; it is retried next pass.
    try {
      await evaluateSlot(deps, stored, rule, state, slot, nowMs);
    } catch (error) {
      deps.metrics.evaluations.inc({ kind: rule.kind, outcome: 'error' });
      deps.logger.error(
        { err: error, projectId: stored.projectId, ruleId: stored.id, slot },
        'alert evaluation failed',
      );
    }
  }
}

async function evaluateSlot(
  deps: AlerterDeps,
  stored: StoredProjectAlertRule,
  rule: AlertRule,
  state: typeof INITIAL_ALERT_STATE,
  slot: number,
  nowMs: number,
): Promise<void> {
  const { clickhouse, logger, metrics } = deps;
  const log = logger.child({ projectId: stored.projectId, ruleId: stored.id });
  const timer = metrics.evaluationSeconds.startTimer({ kind: rule.kind });
  const { window, outcome } = await evaluateAlertRule(clickhouse, {
    projectId: stored.projectId,
    rule,
    slotEndMs: slot,
    customerModel: () => customerModelOf(clickhouse, stored.projectId),
  });
  timer();
  metrics.evaluations.inc({ kind: rule.kind, outcome: outcome.status });
  const change = advanceAlertState(state, outcome, slot, {
    cooldownMs: rule.cooldown,
    resolveAfter: rule.resolveAfter,
  });
  log.debug(
    { slot: new Date(slot).toISOString(), status: outcome.status, summary: outcome.summary },
    'alert rule evaluated',
  );
  if (change.suppressed)
    log.info({ summary: outcome.summary }, 'breach within the cooldown: no new incident');
  if (change.event !== null) {
    const { type, incident, severity } = change.event;
    const eventId = alertEventId(stored.id, incident, type);
    const snoozed = rule.snoozedUntil !== null && Date.parse(rule.snoozedUntil) > nowMs;
    const base = `${deps.options.publicQueryUrl}/v1/projects/${encodeURIComponent(stored.projectId)}`;
    const payload: NotificationPayload = {
      id: eventId,
      type: type === 'firing' ? 'alert.firing' : 'alert.resolved',
      projectId: stored.projectId,
      rule: { id: stored.id, name: rule.name, kind: rule.kind, version: stored.version },
      incident,
      severity,
      summary: outcome.summary,
      window: { start: new Date(window.startMs).toISOString(), end: new Date(window.endMs).toISOString() },
      evaluatedAt: new Date(slot).toISOString(),
      ...(type === 'resolved' && state.firedAtMs !== null
        ? { firedAt: new Date(state.firedAtMs).toISOString() }
        : {}),
      details: outcome.details,
      rootCause: outcome.rootCause,
      links: {
        alerts: `${base}/alerts?ruleId=${stored.id}`,
        ...(rule.kind === 'churn_risk' ? { customers: `${base}/customers?atRisk=true` } : {}),
      },
    };
    // Event and outbox rows first, state last: a crash in between repeats this slot with the same ids.
    await insertAlertEvent(clickhouse, {
      projectId: stored.projectId,
      ruleId: stored.id,
      eventId,
      type,
      incident,
      severity,
      windowStartMs: window.startMs,
      windowEndMs: window.endMs,
      summary: outcome.summary,
      payload,
      snoozed,
      createdAtMs: nowMs,
    });
    if (!snoozed) {
      await writeAlertDeliveries(
        clickhouse,
        rule.notify.map((target) => ({
          projectId: stored.projectId,
          ruleId: stored.id,
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
    metrics.notifications.inc({ type });
    log[type === 'firing' ? 'warn' : 'info'](
      {
        eventId,
        incident,
        severity,
        snoozed,
        summary: outcome.summary,
        rootCause: outcome.rootCause.map((r) => r.value),
      },
      type === 'firing' ? 'alert firing' : 'alert resolved',
    );
  }
  await writeAlertState(clickhouse, stored, change.state);
}

async function deliverDue(
  deps: AlerterDeps,
  rules: ReadonlyMap<string, ActiveRule>,
  nowMs: number,
): Promise<void> {
  const { clickhouse, logger, metrics, options } = deps;
  const due = (await dueAlertDeliveries(clickhouse, nowMs)).filter((d) =>
    deps.ownership.owns(d.projectId, d.ruleId),
  );
  for (const delivery of due) {
    const log = logger.child({
      projectId: delivery.projectId,
      ruleId: delivery.ruleId,
      eventId: delivery.eventId,
      webhook: urlForLogs(delivery.url),
    });
    const target = rules
      .get(alertRuleKey(delivery.projectId, delivery.ruleId))
      ?.rule.notify.find((t) => t.url === delivery.url);
    if (target?.secret === undefined) {
      log.warn('webhook no longer in the rule (or the rule was deleted): delivery dropped');
      await writeAlertDeliveries(clickhouse, [
        {
          ...delivery,
          status: 'failed',
          attempts: delivery.attempts + 1,
          lastError: 'webhook removed from the rule',
        },
      ]);
      continue;
    }
    const attempts = delivery.attempts + 1;
    const result = await postWebhook({
      url: delivery.url,
      secret: target.secret,
      body: webhookBody(delivery.payload as NotificationPayload, delivery.format),
      idempotencyKey: delivery.eventId,
      nowSeconds: Math.floor(nowMs / 1000),
      timeoutMs: options.webhookTimeoutMs,
      egress: options.egress,
    });
    if (result.ok) {
      metrics.deliveries.inc({ outcome: 'delivered' });
      log.info({ attempts, status: result.status }, 'notification delivered');
      await writeAlertDeliveries(clickhouse, [{ ...delivery, status: 'delivered', attempts, lastError: '' }]);
    } else if (attempts >= options.maxAttempts || result.permanent) {
      metrics.deliveries.inc({ outcome: 'failed' });
      log.error({ attempts, error: result.error }, 'notification not delivered; giving up');
      await writeAlertDeliveries(clickhouse, [
        { ...delivery, status: 'failed', attempts, lastError: result.error },
      ]);
    } else {
      const nextAttemptAtMs = nowMs + retryDelayMs(attempts, options.retryInitialMs, options.retryMaxMs);
      metrics.deliveries.inc({ outcome: 'retry' });
      log.warn(
        { attempts, error: result.error, nextAttemptAt: new Date(nextAttemptAtMs).toISOString() },
        'notification delivery failed; will retry',
      );
      await writeAlertDeliveries(clickhouse, [
        { ...delivery, attempts, nextAttemptAtMs, lastError: result.error },
      ]);
    }
  }
}

export interface AlerterLoop {
  /** Runs a pass now (after the one in flight, if any); resolves when it is done. */
  tick(): Promise<void>;
  /** Stage transitions of these projects arrived: a pass for their conversion rules after the debounce. */
  triggered(projectIds: ReadonlySet<string>): void;
  /** Stops the timers and waits for the pass in flight (its evaluation and delivery finish). */
  stop(): Promise<void>;
}

/** The schedule: a pass every `tickMs`, and one `debounceMs` after stage transitions arrive. */
export function startAlerterLoop(
  deps: AlerterDeps,
  timing: { tickMs: number; debounceMs: number },
): AlerterLoop {
  let inFlight: Promise<void> = Promise.resolve();
  let stopped = false;
  let pending = new Set<string>();
  let debounce: NodeJS.Timeout | undefined;
  const pass = (projects: ReadonlySet<string>) => {
    inFlight = inFlight.then(async () => {
      if (stopped) return;
      try {
        await runAlerterPass(deps, projects);
      } catch (error) {
        deps.logger.error({ err: error }, 'alerter pass failed; retried at the next tick');
      }
    });
    return inFlight;
  };
  const timer = setInterval(() => void pass(new Set()), timing.tickMs);
  return {
    tick: () => pass(new Set()),
    triggered(projectIds) {
      for (const id of projectIds) pending.add(id);
      debounce ??= setTimeout(() => {
        debounce = undefined;
        const projects = pending;
        pending = new Set();
        void pass(projects);
      }, timing.debounceMs);
    },
    async stop() {
      clearInterval(timer);
      if (debounce) clearTimeout(debounce);
      const last = inFlight;
      stopped = true;
      await last;
    },
  };
}
