import type { ClickHouseClient } from '@clickhouse/client';
import {
  type AlertRuleInput,
  type AlertState,
  applyAlertResolution,
  type StoredAlertRule,
} from '@waymark/journey';
import { buildQuery, cte, type QueryParams } from './sql.ts';
import { formatDateTime64, toNumber } from './values.ts';
import type { WebhookSecretBox } from './webhook-secrets.ts';

/*
 * Storage of alert rules, states, history and the delivery outbox (0009_alerting.sql). Every read takes the
 * latest row per key with argMax, so it is exact before background merges.
 */

interface RuleRow {
  project_id: string;
  rule_id: string;
  latest_version: number | string;
  latest_rule: string;
}

export interface StoredProjectAlertRule extends StoredAlertRule {
  readonly projectId: string;
  /**
   * The stored JSON text: the alerter checks it with `readProjectDocument('alertRule', …)`, as every stored
   * project document (docs/decisions/0021-sql-builder-and-project-documents.md); `input` is what the API
   * shows and edits.
   */
  readonly document: string;
}

/** The rule with its webhook secrets sealed (`seal`) or opened (`open`); other fields as they are. */
function withSecrets(input: AlertRuleInput, change: (secret: string) => string): AlertRuleInput {
  if (input.notify === undefined) return input;
  return {
    ...input,
    notify: input.notify.map((target) =>
      target.secret === undefined ? target : { ...target, secret: change(target.secret) },
    ),
  };
}

/** Secrets are opened here, so `input` and `document` read as the rule was sent; they are sealed only at rest. */
const toRule = (row: RuleRow, secrets: WebhookSecretBox): StoredProjectAlertRule => {
  const input = withSecrets(JSON.parse(row.latest_rule) as AlertRuleInput, (s) => secrets.open(s));
  return {
    projectId: row.project_id,
    id: row.rule_id,
    version: toNumber(row.latest_version, 'alert_rules.version'),
    input,
    document: JSON.stringify(input),
  };
};

/** The current version of every rule that is not deleted: of one project, or of all (the alerter). */
export async function listAlertRules(
  client: ClickHouseClient,
  secrets: WebhookSecretBox,
  projectId?: string,
): Promise<StoredProjectAlertRule[]> {
  const { sql, params } = buildQuery(
    [],
    (p) => `SELECT r.project_id AS project_id, r.rule_id AS rule_id, max(r.version) AS latest_version,
        argMax(r.rule, r.version) AS latest_rule
      FROM alert_rules AS r
      ${projectId === undefined ? '' : `WHERE r.project_id = ${p.named('projectId', projectId, 'String')}`}
      GROUP BY r.project_id, r.rule_id
      HAVING argMax(r.deleted, r.version) = 0
      ORDER BY project_id, rule_id`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return (await result.json<RuleRow>()).map((row) => toRule(row, secrets));
}

/** One rule's current version; undefined when it never existed or was deleted. */
export async function getAlertRule(
  client: ClickHouseClient,
  secrets: WebhookSecretBox,
  projectId: string,
  ruleId: string,
): Promise<StoredProjectAlertRule | undefined> {
  const { sql, params } = buildQuery(
    [],
    (p) => `SELECT r.project_id AS project_id, r.rule_id AS rule_id, max(r.version) AS latest_version,
        argMax(r.rule, r.version) AS latest_rule
      FROM alert_rules AS r
      WHERE r.project_id = ${p.named('projectId', projectId, 'String')} AND r.rule_id = ${p.bind(ruleId, 'String')}
      GROUP BY r.project_id, r.rule_id
      HAVING argMax(r.deleted, r.version) = 0`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const [row] = await result.json<RuleRow>();
  return row === undefined ? undefined : toRule(row, secrets);
}

/** Writes a rule version (`deleted` hides the rule from then on), its webhook secrets sealed. */
export async function saveAlertRule(
  client: ClickHouseClient,
  secrets: WebhookSecretBox,
  rule: { projectId: string; id: string; version: number; input: AlertRuleInput; deleted?: boolean },
  now: Date = new Date(),
): Promise<void> {
  await client.insert({
    table: 'alert_rules',
    format: 'JSONEachRow',
    values: [
      {
        project_id: rule.projectId,
        rule_id: rule.id,
        version: rule.version,
        rule: JSON.stringify(withSecrets(rule.input, (secret) => secrets.seal(secret))),
        deleted: rule.deleted ? 1 : 0,
        updated_at: formatDateTime64(now),
      },
    ],
  });
}

/**
 * The stored states of the given rules (rules never evaluated are absent), each with its latest manual
 * resolution applied (`applyAlertResolution`): a resolve by hand holds against a state row written after it.
 */
export async function readAlertStates(
  client: ClickHouseClient,
  rules: ReadonlyArray<{ projectId: string; id: string }>,
): Promise<Map<string, AlertState>> {
  if (rules.length === 0) return new Map();
  const { sql, params } = buildQuery([], (p) => {
    const projectIds = p.bind(
      rules.map((r) => r.projectId),
      'Array(String)',
    );
    const ruleIds = p.bind(
      rules.map((r) => r.id),
      'Array(String)',
    );
    const ofRules = `(project_id, rule_id) IN (SELECT arrayJoin(arrayZip(${projectIds}, ${ruleIds})))`;
    return `SELECT s.project_id AS project_id, s.rule_id AS rule_id, s.latest_state AS latest_state,
        r.resolved_incident AS resolved_incident, r.resolved_ms AS resolved_ms
      FROM (
        SELECT project_id, rule_id, argMax(state, window_end) AS latest_state
        FROM alert_states WHERE ${ofRules} GROUP BY project_id, rule_id
      ) AS s
      LEFT JOIN (
        SELECT project_id, rule_id, max(incident) AS resolved_incident,
          toUnixTimestamp64Milli(argMin(created_at, (-incident, created_at))) AS resolved_ms
        FROM alert_events
        WHERE ${ofRules} AND type = 'resolved' AND JSONExtractString(payload, 'resolvedBy') = 'hand'
        GROUP BY project_id, rule_id
      ) AS r ON r.project_id = s.project_id AND r.rule_id = s.rule_id`;
  });
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<{
    project_id: string;
    rule_id: string;
    latest_state: string;
    resolved_incident: number | string;
    resolved_ms: number | string;
  }>();
  return new Map(
    rows.map((row) => {
      const incident = toNumber(row.resolved_incident, 'alert_events.incident');
      const state = JSON.parse(row.latest_state) as AlertState;
      return [
        alertRuleKey(row.project_id, row.rule_id),
        incident === 0
          ? state
          : applyAlertResolution(state, {
              incident,
              atMs: toNumber(row.resolved_ms, 'alert_events.created_at'),
            }),
      ];
    }),
  );
}

export const alertRuleKey = (projectId: string, ruleId: string): string => `${projectId}\u0000${ruleId}`;

export async function writeAlertState(
  client: ClickHouseClient,
  rule: { projectId: string; id: string },
  state: AlertState,
  now: Date = new Date(),
): Promise<void> {
  await client.insert({
    table: 'alert_states',
    format: 'JSONEachRow',
    values: [
      {
        project_id: rule.projectId,
        rule_id: rule.id,
        window_end: formatDateTime64(state.lastWindowEndMs),
        state: JSON.stringify(state),
        evaluated_at: formatDateTime64(now),
      },
    ],
  });
}

export interface AlertEvent {
  readonly projectId: string;
  readonly ruleId: string;
  /** `<rule>.<incident>.<firing|resolved>`: the webhook idempotency key. */
  readonly eventId: string;
  readonly type: 'firing' | 'resolved';
  readonly incident: number;
  readonly severity: string;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly summary: string;
  /** The JSON payload of the notification. */
  readonly payload: Record<string, unknown>;
  /** Recorded while the rule was snoozed: not delivered. */
  readonly snoozed: boolean;
  readonly createdAtMs: number;
}

export async function insertAlertEvent(client: ClickHouseClient, event: AlertEvent): Promise<void> {
  await client.insert({
    table: 'alert_events',
    format: 'JSONEachRow',
    values: [
      {
        project_id: event.projectId,
        rule_id: event.ruleId,
        event_id: event.eventId,
        type: event.type,
        incident: event.incident,
        severity: event.severity,
        window_start: formatDateTime64(event.windowStartMs),
        window_end: formatDateTime64(event.windowEndMs),
        summary: event.summary,
        payload: JSON.stringify(event.payload),
        snoozed: event.snoozed ? 1 : 0,
        created_at: formatDateTime64(event.createdAtMs),
      },
    ],
  });
}

export interface AlertHistoryEntry extends AlertEvent {
  /** Per webhook: pending | delivered | failed, and attempts so far. */
  readonly deliveries: ReadonlyArray<{ url: string; status: string; attempts: number; lastError: string }>;
}

/** A project's alert events, newest first, with the state of their deliveries. */
export async function listAlertEvents(
  client: ClickHouseClient,
  query: { projectId: string; ruleId?: string; fromMs?: number; toMs?: number; limit: number },
): Promise<AlertHistoryEntry[]> {
  const projectId = (p: QueryParams) => p.named('projectId', query.projectId, 'String');
  const deliveries = cte(
    'deliveries',
    (p) => `
        SELECT event_id, groupArray((url, latest_status, latest_attempts, latest_error)) AS delivery_list
        FROM (
          SELECT d.event_id AS event_id, d.url AS url, argMax(d.status, d.version) AS latest_status,
            max(d.attempts) AS latest_attempts, argMax(d.last_error, d.version) AS latest_error
          FROM alert_deliveries AS d WHERE d.project_id = ${projectId(p)}
          GROUP BY d.event_id, d.url ORDER BY url
        )
        GROUP BY event_id`,
  );
  const events = cte('events', (p) => {
    const ruleId = p.bind(query.ruleId ?? '', 'String');
    return `
        SELECT e.rule_id AS rule_id, e.event_id AS event_id, any(e.type) AS event_type, any(e.incident) AS event_incident,
          any(e.severity) AS event_severity, toUnixTimestamp64Milli(any(e.window_start)) AS window_start_ms,
          toUnixTimestamp64Milli(any(e.window_end)) AS window_end_ms, any(e.summary) AS event_summary,
          any(e.payload) AS event_payload, any(e.snoozed) AS event_snoozed, toUnixTimestamp64Milli(min(e.created_at)) AS created_ms
        FROM alert_events AS e
        WHERE e.project_id = ${projectId(p)}
          AND (${ruleId} = '' OR e.rule_id = ${ruleId})
          AND e.window_end >= fromUnixTimestamp64Milli(${p.named('fromMs', query.fromMs ?? 0, 'Int64')})
          AND e.window_end < fromUnixTimestamp64Milli(${p.named('toMs', query.toMs ?? 8_000_000_000_000, 'Int64')})
        GROUP BY e.rule_id, e.event_id`;
  });
  const { sql, params } = buildQuery(
    [deliveries, events],
    (p) => `
      SELECT ${projectId(p)} AS project_id, events.*, deliveries.delivery_list AS delivery_list
      FROM events LEFT JOIN deliveries ON deliveries.event_id = events.event_id
      ORDER BY created_ms DESC, event_id DESC
      LIMIT ${p.bind(query.limit, 'UInt32')}`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<Record<string, unknown>>();
  return rows.map((row) => ({
    projectId: String(row.project_id),
    ruleId: String(row.rule_id),
    eventId: String(row.event_id),
    type: String(row.event_type) as 'firing' | 'resolved',
    incident: toNumber(row.event_incident, 'alert_events.incident'),
    severity: String(row.event_severity),
    windowStartMs: toNumber(row.window_start_ms, 'alert_events.window_start'),
    windowEndMs: toNumber(row.window_end_ms, 'alert_events.window_end'),
    summary: String(row.event_summary),
    payload: JSON.parse(String(row.event_payload)) as Record<string, unknown>,
    snoozed: toNumber(row.event_snoozed, 'alert_events.snoozed') === 1,
    createdAtMs: toNumber(row.created_ms, 'alert_events.created_at'),
    deliveries: (Array.isArray(row.delivery_list) ? row.delivery_list : []).map((d: unknown[]) => ({
      url: String(d[0]),
      status: String(d[1]),
      attempts: toNumber(d[2], 'alert_deliveries.attempts'),
      lastError: String(d[3]),
    })),
  }));
}

export interface AlertDelivery {
  readonly projectId: string;
  readonly ruleId: string;
  readonly eventId: string;
  readonly url: string;
  readonly format: 'json' | 'slack';
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAtMs: number;
  readonly lastError: string;
}

/** Writes one step of a delivery; see the table's comment for why `version` makes steps ordered. */
export async function writeAlertDeliveries(
  client: ClickHouseClient,
  deliveries: readonly AlertDelivery[],
  now: Date = new Date(),
): Promise<void> {
  if (deliveries.length === 0) return;
  await client.insert({
    table: 'alert_deliveries',
    format: 'JSONEachRow',
    values: deliveries.map((d) => ({
      project_id: d.projectId,
      rule_id: d.ruleId,
      event_id: d.eventId,
      url: d.url,
      format: d.format,
      status: d.status,
      attempts: d.attempts,
      next_attempt_at: formatDateTime64(d.nextAttemptAtMs),
      last_error: d.lastError,
      version: d.attempts * 10 + (d.status === 'pending' ? 0 : 9),
      updated_at: formatDateTime64(now),
    })),
  });
}

/** Deliveries still pending whose next attempt is due at `nowMs`, oldest first, with their event's payload. */
export async function dueAlertDeliveries(
  client: ClickHouseClient,
  nowMs: number,
  limit = 100,
): Promise<Array<AlertDelivery & { payload: Record<string, unknown> }>> {
  const latest = cte(
    'latest',
    (p) => `
        SELECT d.project_id AS project_id, d.rule_id AS rule_id, d.event_id AS event_id, d.url AS url,
          argMax(d.format, d.version) AS latest_format, argMax(d.status, d.version) AS latest_status,
          max(d.attempts) AS latest_attempts, toUnixTimestamp64Milli(argMax(d.next_attempt_at, d.version)) AS next_ms,
          argMax(d.last_error, d.version) AS latest_error
        FROM alert_deliveries AS d
        WHERE d.event_id IN (SELECT event_id FROM alert_deliveries WHERE status = 'pending')
        GROUP BY d.project_id, d.rule_id, d.event_id, d.url
        HAVING latest_status = 'pending' AND next_ms <= ${p.bind(nowMs, 'Int64')}`,
  );
  const { sql, params } = buildQuery(
    [latest],
    (p) => `
      SELECT latest.*, events.event_payload AS event_payload
      FROM latest
      LEFT JOIN (
        SELECT e.project_id AS project_id, e.event_id AS event_id, any(e.payload) AS event_payload FROM alert_events AS e
        WHERE e.event_id IN (SELECT event_id FROM latest)
        GROUP BY e.project_id, e.event_id
      ) AS events ON events.project_id = latest.project_id AND events.event_id = latest.event_id
      ORDER BY next_ms, event_id, url LIMIT ${p.bind(limit, 'UInt32')}`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<Record<string, unknown>>();
  return rows.map((row) => ({
    projectId: String(row.project_id),
    ruleId: String(row.rule_id),
    eventId: String(row.event_id),
    url: String(row.url),
    format: String(row.latest_format) === 'slack' ? 'slack' : 'json',
    status: 'pending',
    attempts: toNumber(row.latest_attempts, 'alert_deliveries.attempts'),
    nextAttemptAtMs: toNumber(row.next_ms, 'alert_deliveries.next_attempt_at'),
    lastError: String(row.latest_error),
    payload: JSON.parse(String(row.event_payload || '{}')) as Record<string, unknown>,
  }));
}
