-- What the collector and the processor refused lately, per project, for the console's Live screen
-- (docs/design.md §10). A debugging aid, not a record: writes are rate-limited and fire-and-forget, so rows
-- may be missing, and they expire after 7 days. The screen reads the latest 100 per project.
CREATE TABLE IF NOT EXISTS recent_rejections {onCluster}
(
    project_id LowCardinality(String),
    at DateTime64(3, 'UTC'),
    -- 'collector' | 'processor'
    source LowCardinality(String),
    -- A stable code: INVALID_EVENT (collector), the DLQ reason (processor).
    code LowCardinality(String),
    message String,
    type LowCardinality(String),
    event String,
    message_id String,
    -- The raw event's JSON, cut to 1 KB.
    excerpt String CODEC(ZSTD(1))
)
ENGINE = {replicated}MergeTree
ORDER BY (project_id, at)
TTL toDateTime(at) + INTERVAL 7 DAY;
