-- Stage transitions as the processor computed them when it processed each staged touchpoint (decision
-- 0012): the real-time record that is also published on waymark.journey.v1. A touchpoint is at most one
-- transition, so the row's identity is the touchpoint's (project_id, raw_key, message_id), as in
-- touchpoints: a redelivered batch or a replay of the topic writes the same key again and
-- ReplacingMergeTree(ingested_at) keeps the newest computation. customer_key is deliberately not in the
-- sorting key: a replay after the customer identified resolves the touchpoint to a different customer, and
-- that row must replace the old one rather than sit beside it. Read with FINAL (or argMax by ingested_at)
-- to be exact before merges.
--
-- Rows are never rewritten when a late event arrives (one older than transitions already stored), so
-- exact stage-flow analytics are computed from touchpoints, not from this table.
CREATE TABLE IF NOT EXISTS stage_transitions {onCluster}
(
    project_id LowCardinality(String),
    -- 'u:<userId>', or 'a:<anonymousId>' before the customer identified, resolved through identities at
    -- processing time.
    customer_key String,
    -- 0 = entry (the customer's first staged touchpoint), else 1..7.
    from_stage UInt8,
    -- 1..7; lower than from_stage for a regression.
    to_stage UInt8,
    -- The touchpoint's event time.
    at DateTime64(3, 'UTC'),
    message_id String,
    raw_key String,
    ruleset_version UInt32,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = {replicated}ReplacingMergeTree(ingested_at)
ORDER BY (project_id, raw_key, message_id);
