-- What the stage funnel's ordered and strict modes, its entry filters and its identity fast path read
-- (docs/analytics/stage-funnel.md, docs/decisions/0014-stage-funnel-modes.md), added to stage_reach so that one
-- row per raw key still holds everything the funnel needs. Every new column is idempotent like the minima before
-- it, so duplicates, redeliveries and replays change nothing and the table stays exact when read with FINAL:
--   entry  the entry touchpoint: the least (timestamp, stage, message_id, channel, country, device, os, browser,
--          utm source, medium, campaign), so the earliest staged touchpoint with its acquisition fields, ties
--          broken by stage, then message id. Its default is a sentinel later than any touchpoint (year 2299),
--          so rows without staged touchpoints never win the min;
--   path   message-id hash → timestamp_ms·8 + stage of the message's earliest copy (minMap), so a retried or
--          replayed touchpoint never adds a second element; ·8 + stage sorts a path by time, then stage;
--   linked 1 when the raw key is in the identity map, as an alias or as a customer: only those keys need the
--          map at query time, every other raw key is a customer by itself;
--   link   (linked_at, customer_key) of the key's latest link as an alias (max: latest wins, as in the
--          identities table). Defaults of all four are neutral for their aggregate, so rows written before
--          this migration and rows written by one view only merge correctly.
ALTER TABLE stage_reach {onCluster}
    ADD COLUMN IF NOT EXISTS entry SimpleAggregateFunction(min,
        Tuple(DateTime64(3, 'UTC'), UInt8, String, String, String, String, String, String, String, String, String))
        DEFAULT (toDateTime64('2299-12-31 23:59:59.999', 3, 'UTC'), 255, '', '', '', '', '', '', '', '', ''),
    ADD COLUMN IF NOT EXISTS path SimpleAggregateFunction(minMap, Tuple(Array(UInt64), Array(Int64))),
    ADD COLUMN IF NOT EXISTS linked SimpleAggregateFunction(max, UInt8),
    ADD COLUMN IF NOT EXISTS link SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String));

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
    minMap([sipHash64(message_id)], [toUnixTimestamp64Milli(timestamp) * 8 + stage]) AS path
FROM touchpoints
WHERE stage >= 1
GROUP BY project_id, raw_key;

-- Both ends of every link are marked; the alias also records where it points.
CREATE MATERIALIZED VIEW IF NOT EXISTS stage_reach_links_mv {onCluster} TO stage_reach AS
SELECT
    project_id,
    key AS raw_key,
    toUInt8(1) AS linked,
    maxIf((linked_at, customer_key), key = alias_key) AS link
FROM identities
ARRAY JOIN [alias_key, customer_key] AS key
GROUP BY project_id, raw_key;

-- Backfill what was stored before the views computed the new columns. Re-running it, or overlapping with rows
-- the views write meanwhile, changes nothing (all aggregates are idempotent).
INSERT INTO stage_reach (project_id, raw_key, entry, path)
SELECT
    project_id,
    raw_key,
    min((timestamp, stage, message_id, toString(channel), toString(country), toString(device_type), toString(os),
         toString(browser), toString(campaign_source), toString(campaign_medium), toString(campaign_name))),
    minMap([sipHash64(message_id)], [toUnixTimestamp64Milli(timestamp) * 8 + stage])
FROM touchpoints
WHERE stage >= 1
GROUP BY project_id, raw_key;

INSERT INTO stage_reach (project_id, raw_key, linked, link)
SELECT project_id, key, toUInt8(1), maxIf((linked_at, customer_key), key = alias_key)
FROM identities
ARRAY JOIN [alias_key, customer_key] AS key
GROUP BY project_id, key;
