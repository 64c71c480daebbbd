-- Customer erasure (GDPR art. 17; docs/privacy.md, decision 0031). An erasure is a stored job, so a crash in
-- the middle resumes where it stopped: every step records its progress as a new row of `erasures` (the latest
-- updated_at wins; read with FINAL).
--
-- No table here holds a key in clear once the job is done: `erasures` and `erasure_suppressions` name keys
-- by key_hash = SHA-256 hex of '<project id>\n<raw key>' (packages/clickhouse/src/erasure.ts says why a hash).
CREATE TABLE IF NOT EXISTS erasures {onCluster}
(
    project_id String,
    erasure_id String,
    -- The hash of the key the request named: a second request for it finds this erasure.
    key_hash String,
    -- The API key that asked: the first 16 hex digits of its SHA-256 hash, never the key.
    requested_by String,
    requested_at DateTime64(3, 'UTC'),
    -- pending | running | done
    status LowCardinality(String),
    -- The steps done so far, in order (erasure.ts ERASURE_STEPS).
    steps_done Array(String),
    raw_keys UInt32,
    completed_at Nullable(DateTime64(3, 'UTC')),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = {replicated}ReplacingMergeTree(updated_at)
ORDER BY (project_id, erasure_id);

-- The raw keys an erasure is erasing, resolved once before the identity map loses them, so a resumed job
-- erases the same keys; its last step deletes them.
CREATE TABLE IF NOT EXISTS erasure_keys {onCluster}
(
    project_id String,
    erasure_id String,
    raw_key String
)
ENGINE = {replicated}ReplacingMergeTree
ORDER BY (project_id, erasure_id, raw_key);

-- Keys whose touchpoints the processor drops before storing them, so events still in flight (or replayed
-- from the topic) cannot bring an erased customer back. They expire after `until` (30 days, decision 0031).
CREATE TABLE IF NOT EXISTS erasure_suppressions {onCluster}
(
    project_id String,
    key_hash String,
    erasure_id String,
    until DateTime64(3, 'UTC')
)
ENGINE = {replicated}ReplacingMergeTree(until)
ORDER BY (project_id, key_hash)
TTL toDateTime(until);
