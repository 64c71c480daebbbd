-- What the processor's stage-transition lookup reads (docs/decisions/0043-transition-lookup-from-stage-reach.md):
-- per raw key, its latest staged touchpoint as the tuple (timestamp, message_id, ingested_at, stage), so the max
-- is the latest by (timestamp, message_id), the last ingested of copies of one message, and that touchpoint's
-- stage. Reading it from stage_reach (one row per raw key) instead of every staged touchpoint of the batch's keys
-- keeps the lookup from reading a granule of touchpoints per key. Idempotent like every other column: duplicates,
-- redeliveries and replays change nothing. Its default, the least tuple (DateTime64's first instant, stage 0), is
-- neutral for max and means "no staged touchpoint"; rows written by the links view keep it.
ALTER TABLE stage_reach {onCluster}
    ADD COLUMN IF NOT EXISTS latest SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String, DateTime64(3, 'UTC'), UInt8))
        DEFAULT (toDateTime64('1900-01-01 00:00:00.000', 3, 'UTC'), '', toDateTime64('1900-01-01 00:00:00.000', 3, 'UTC'), 0);

ALTER TABLE stage_reach_mv {onCluster} MODIFY QUERY
SELECT
    project_id,
    raw_key,
    minIfOrNull(timestamp, stage >= 1) AS first_at_1,
    minIfOrNull(timestamp, stage >= 2) AS first_at_2,
    minIfOrNull(timestamp, stage >= 3) AS first_at_3,
    minIfOrNull(timestamp, stage >= 4) AS first_at_4,
    minIfOrNull(timestamp, stage >= 5) AS first_at_5,
    minIfOrNull(timestamp, stage >= 6) AS first_at_6,
    minIfOrNull(timestamp, stage >= 7) AS first_at_7,
    min((timestamp, stage, message_id, toString(channel), toString(country), toString(device_type), toString(os),
         toString(browser), toString(campaign_source), toString(campaign_medium), toString(campaign_name))) AS entry,
    minMap([sipHash64(message_id)], [toUnixTimestamp64Milli(timestamp) * 8 + stage]) AS path,
    max((timestamp, message_id, ingested_at, stage)) AS latest
FROM touchpoints
WHERE stage >= 1
GROUP BY project_id, raw_key;

-- Backfill what was stored before the view computed the column; re-running it, or overlapping with rows the view
-- writes meanwhile, changes nothing (max is idempotent).
INSERT INTO stage_reach (project_id, raw_key, latest)
SELECT project_id, raw_key, max((timestamp, message_id, ingested_at, stage))
FROM touchpoints
WHERE stage >= 1
GROUP BY project_id, raw_key;
