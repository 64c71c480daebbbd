-- The stage funnel's pre-aggregation: per raw key, the first time it had a touchpoint at stage >= k.
-- min() is idempotent, so duplicate touchpoints (retries, redeliveries) never change it, and the table is
-- exact before merges when read with GROUP BY raw_key + min(). A retry whose timestamp differs by a few
-- milliseconds contributes the earlier of the two times.
CREATE TABLE IF NOT EXISTS stage_reach {onCluster}
(
    project_id LowCardinality(String),
    raw_key String,
    first_at_1 SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    first_at_2 SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    first_at_3 SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    first_at_4 SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    first_at_5 SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    first_at_6 SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    first_at_7 SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC')))
)
ENGINE = {replicated}AggregatingMergeTree
ORDER BY (project_id, raw_key);

-- Fed by every insert into touchpoints (a materialized view sees only rows inserted after it exists; this
-- migration runs before any data). Unstaged touchpoints are skipped: they can never reach a stage.
CREATE MATERIALIZED VIEW IF NOT EXISTS stage_reach_mv {onCluster} TO stage_reach AS
SELECT
    project_id,
    raw_key,
    minIfOrNull(timestamp, stage >= 1) AS first_at_1,
    minIfOrNull(timestamp, stage >= 2) AS first_at_2,
    minIfOrNull(timestamp, stage >= 3) AS first_at_3,
    minIfOrNull(timestamp, stage >= 4) AS first_at_4,
    minIfOrNull(timestamp, stage >= 5) AS first_at_5,
    minIfOrNull(timestamp, stage >= 6) AS first_at_6,
    minIfOrNull(timestamp, stage >= 7) AS first_at_7
FROM touchpoints
WHERE stage >= 1
GROUP BY project_id, raw_key;
