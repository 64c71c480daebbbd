-- Every touchpoint, one column per field of the Touchpoint contract (packages/events/src/touchpoint.ts,
-- schemas/avro/touchpoint.v1.avsc), plus what the processor derives. Absent text is '' rather than NULL:
-- Nullable costs a null map per column and slows every scan; the two optional times stay Nullable because
-- no epoch value can honestly mean "absent".
--
-- Dedup by message_id (docs/design.md §8): a client retry is re-enriched, so its timestamp/received_at may differ
-- by milliseconds from the first copy, and a Kafka redelivery is an identical row. Neither time is in the
-- sorting key, so both kinds of copy share (project_id, raw_key, message_id) and ReplacingMergeTree keeps
-- one of them (the last inserted). Merges are eventual: queries that count rows must read with FINAL or
-- GROUP BY message_id. There is deliberately no PARTITION BY: ReplacingMergeTree only collapses rows within
-- a partition, and a time-based partition would keep a retry that crossed a month boundary twice.
CREATE TABLE IF NOT EXISTS touchpoints {onCluster}
(
    message_id String,
    project_id LowCardinality(String),
    type LowCardinality(String),
    event LowCardinality(String),
    name String,
    anonymous_id String,
    user_id String,
    previous_id String,
    group_id String,
    timestamp DateTime64(3, 'UTC'),
    original_timestamp Nullable(DateTime64(3, 'UTC')),
    sent_at Nullable(DateTime64(3, 'UTC')),
    received_at DateTime64(3, 'UTC'),
    session_id String,
    page_url String CODEC(ZSTD(1)),
    page_path String,
    page_referrer String CODEC(ZSTD(1)),
    page_title String CODEC(ZSTD(1)),
    page_search String CODEC(ZSTD(1)),
    campaign_source LowCardinality(String),
    campaign_medium LowCardinality(String),
    campaign_name LowCardinality(String),
    campaign_term String,
    campaign_content String,
    click_id String,
    user_agent String CODEC(ZSTD(1)),
    device_type LowCardinality(String),
    os LowCardinality(String),
    browser LowCardinality(String),
    ip String,
    country LowCardinality(String),
    region LowCardinality(String),
    city LowCardinality(String),
    locale LowCardinality(String),
    timezone LowCardinality(String),
    library_name LowCardinality(String),
    library_version LowCardinality(String),
    properties String CODEC(ZSTD(1)),
    traits String CODEC(ZSTD(1)),
    context String CODEC(ZSTD(1)),
    -- 'u:' + user_id when the touchpoint carries a user id, else 'a:' + anonymous_id (computed by the processor).
    raw_key String,
    -- 0 = no stage, 1..7 = discovery..advocacy.
    stage UInt8,
    complaint UInt8,
    revenue Float64,
    currency LowCardinality(String),
    ruleset_version UInt32,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = {replicated}ReplacingMergeTree
ORDER BY (project_id, raw_key, message_id);
