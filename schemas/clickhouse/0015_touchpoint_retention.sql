-- Per-project retention of touchpoints (docs/decisions/0032-touchpoint-retention-and-webhook-egress.md).
-- project_retention holds each project's retention in days (absent or 0 = kept forever). It is a Join table so
-- that touchpoints' retain_until DEFAULT can read it with joinGetOrNull at insert: the processor's inserts name
-- their columns and never this one. A dictionary cannot do it (a TTL refuses dictGet as non-deterministic, and
-- a dictionary's source names a database, which differs per deployment); the Join table keeps its rows on disk
-- and the last row per project wins (join_any_take_last_row).
CREATE TABLE IF NOT EXISTS project_retention {onCluster}
(
    project_id String,
    touchpoint_days UInt32
)
ENGINE = Join(ANY, LEFT, project_id)
SETTINGS join_any_take_last_row = 1;

-- Added with a constant default and written into every part, so that every part holds the column before the
-- default reads project_retention: a background merge or mutation has no current database, and a joinGet it
-- had to evaluate for a part without the column would fail there; mutations_sync waits for every part before
-- the default changes. The column is written with the constant, not materialized from its default, so that a
-- run of this migration interrupted after the MODIFY below can repeat this step without a joinGet.
-- toDateTime(4294967295) (2106) means "kept forever".
ALTER TABLE touchpoints {onCluster} ADD COLUMN IF NOT EXISTS retain_until DateTime('UTC') DEFAULT toDateTime(4294967295, 'UTC');
ALTER TABLE touchpoints {onCluster} UPDATE retain_until = toDateTime(4294967295, 'UTC') WHERE 1 SETTINGS mutations_sync = 2;
ALTER TABLE touchpoints {onCluster} MODIFY COLUMN retain_until DateTime('UTC') DEFAULT if(
    ifNull(joinGetOrNull('project_retention', 'touchpoint_days', project_id), 0) = 0,
    toDateTime(4294967295, 'UTC'),
    toDateTime(timestamp) + toIntervalDay(ifNull(joinGetOrNull('project_retention', 'touchpoint_days', project_id), 0))
);
-- Rows leave at the merges after retain_until (merge_with_ttl_timeout, 4 hours by default); setting a retention
-- rewrites the project's existing rows' retain_until and materializes the TTL (touchpoint-retention.ts).
ALTER TABLE touchpoints {onCluster} MODIFY TTL retain_until;
