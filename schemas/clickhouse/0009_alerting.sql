-- Alerting (docs/alerting.md, decision 0017). ClickHouse has no transactions, so every table is written
-- append-only with an identity that makes a repeated write collapse: re-running an evaluation or a delivery
-- step after a crash inserts rows with the same key, never a second notification.

-- Alert rules, every version kept; the latest version wins, `deleted` = 1 hides the rule. `rule` is the
-- validated input as JSON (packages/journey/src/alerting/alert-rule.ts), webhook secrets included: the
-- alerter needs them to sign, and the API never returns them.
CREATE TABLE IF NOT EXISTS alert_rules {onCluster}
(
    project_id String,
    rule_id String,
    version UInt32,
    rule String CODEC(ZSTD(1)),
    deleted UInt8,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = {replicated}ReplacingMergeTree(version)
ORDER BY (project_id, rule_id);

-- Each rule's alert state after its latest evaluated slot (packages/journey/src/alerting/alert-state.ts),
-- as JSON. A slot is evaluated once: the row of the latest window_end wins (read with argMax).
CREATE TABLE IF NOT EXISTS alert_states {onCluster}
(
    project_id String,
    rule_id String,
    window_end DateTime64(3, 'UTC'),
    state String,
    evaluated_at DateTime64(3, 'UTC')
)
ENGINE = {replicated}ReplacingMergeTree(window_end)
ORDER BY (project_id, rule_id);

-- Alert history: one row per incident opened (firing) and resolved. event_id = <rule>.<incident>.<type> is
-- deterministic, so an evaluation repeated after a crash or by a second alerter writes the same row.
CREATE TABLE IF NOT EXISTS alert_events {onCluster}
(
    project_id String,
    rule_id String,
    event_id String,
    type LowCardinality(String),
    incident UInt32,
    severity LowCardinality(String),
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    summary String,
    -- The notification payload (JSON) as delivered.
    payload String CODEC(ZSTD(1)),
    snoozed UInt8,
    created_at DateTime64(3, 'UTC')
)
ENGINE = {replicated}ReplacingMergeTree
ORDER BY (project_id, rule_id, event_id);

-- The outbox: one row per (event, webhook) and delivery step. version = 10 × attempts (+ 9 once delivered or
-- given up), so a later step always wins and a repeated first step (version 0) can never undo a delivery.
-- Pending rows survive a crash: the next alerter picks them up at next_attempt_at.
CREATE TABLE IF NOT EXISTS alert_deliveries {onCluster}
(
    project_id String,
    rule_id String,
    event_id String,
    url String,
    format LowCardinality(String),
    -- pending | delivered | failed
    status LowCardinality(String),
    attempts UInt32,
    next_attempt_at DateTime64(3, 'UTC'),
    last_error String,
    version UInt64,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = {replicated}ReplacingMergeTree(version)
ORDER BY (project_id, event_id, url);
