-- What GET /kpis reads (docs/analytics/kpis.md, docs/decisions/0036-kpi-speed.md): one row per raw key, like
-- customer_profiles, but only the KPIs' columns and as plain values. customer_profiles keeps its activity slots and
-- money as aggregate states, and deserialising 1.27M groupUniqArray states took most of the KPI query's 2.6 s at
-- 10M touchpoints; a SimpleAggregateFunction column is stored as the array itself. Every column is idempotent
-- (min, max, groupUniqArrayArray), so duplicates, redeliveries and replays change nothing, and the table is exact
-- when read with FINAL:
--   first_seen  the key's first touchpoint; its default is later than any touchpoint, so link-only rows never win;
--   slots       the 15-minute slots (UTC) with a touchpoint: every real time zone's offset is a multiple of
--               15 minutes, so the calendar periods of any zone are cut exactly from them (days and weeks);
--   months, edge_slots  the same slots for months, quarters and years, ~4x fewer values at 10M touchpoints: a
--               slot more than 14 hours after the start of its UTC month and more than 12 hours before the next
--               is in that month in every zone (offsets run from -12 to +14 hours), so only its UTC month is kept;
--               the slots in those 26 hours around a month boundary are kept as slots, cut in the zone at query time;
--   money       (message id, time, revenue, is order) of the touchpoints that carry revenue or are orders
--               (staged purchase), deduplicated by message id at query time as in customer_profiles;
--   linked, link  as in stage_reach (0010): 1 when the key is in the identity map, as an alias or as a customer
--               (only those keys need identity resolution at query time), and the key's latest link as an alias,
--               so an identify merges customers retroactively without rewriting anything.
CREATE TABLE IF NOT EXISTS kpi_activity {onCluster}
(
    project_id LowCardinality(String),
    raw_key String,
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC'))
        DEFAULT toDateTime64('2299-12-31 23:59:59.999', 3, 'UTC'),
    slots SimpleAggregateFunction(groupUniqArrayArray, Array(DateTime('UTC'))),
    months SimpleAggregateFunction(groupUniqArrayArray, Array(Date)),
    edge_slots SimpleAggregateFunction(groupUniqArrayArray, Array(DateTime('UTC'))),
    money SimpleAggregateFunction(groupUniqArrayArray, Array(Tuple(String, DateTime64(3, 'UTC'), Float64, UInt8))),
    linked SimpleAggregateFunction(max, UInt8),
    link SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String))
)
ENGINE = {replicated}AggregatingMergeTree
ORDER BY (project_id, raw_key);

-- A slot is an edge slot when the UTC months 14 hours after it and 12 hours before it differ.
CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_activity_mv {onCluster} TO kpi_activity AS
SELECT
    project_id,
    raw_key,
    min(timestamp) AS first_seen,
    groupUniqArray(slot) AS slots,
    groupUniqArrayIf(toStartOfMonth(slot), NOT edge) AS months,
    groupUniqArrayIf(slot, edge) AS edge_slots,
    groupUniqArrayIf((message_id, timestamp, revenue, toUInt8(stage = 5)), stage = 5 OR revenue != 0) AS money
FROM (
    SELECT project_id, raw_key, message_id, timestamp, revenue, stage,
        toStartOfFifteenMinutes(toDateTime(timestamp, 'UTC')) AS slot,
        toStartOfMonth(slot + toIntervalHour(14)) != toStartOfMonth(slot - toIntervalHour(12)) AS edge
    FROM touchpoints
)
GROUP BY project_id, raw_key;

-- Both ends of every link are marked; the alias also records where it points (the latest link wins, as in the
-- identities table).
CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_activity_links_mv {onCluster} TO kpi_activity AS
SELECT
    project_id,
    key AS raw_key,
    toUInt8(1) AS linked,
    maxIf((linked_at, customer_key), key = alias_key) AS link
FROM identities
ARRAY JOIN [alias_key, customer_key] AS key
GROUP BY project_id, raw_key;

-- Backfill from what the KPIs read before: the profiles (which keep what touchpoint retention expired, decision
-- 0032) and the identity map. Re-running it, or overlapping with rows the views write meanwhile, changes nothing.
INSERT INTO kpi_activity (project_id, raw_key, first_seen, slots, months, edge_slots, money)
SELECT project_id, raw_key, first_seen, slots,
    arrayDistinct(arrayMap(s -> toStartOfMonth(s), arrayFilter(s -> toStartOfMonth(s + toIntervalHour(14)) = toStartOfMonth(s - toIntervalHour(12)), slots))),
    arrayFilter(s -> toStartOfMonth(s + toIntervalHour(14)) != toStartOfMonth(s - toIntervalHour(12)), slots),
    money
FROM (
    SELECT project_id, raw_key, min(first_seen) AS first_seen, groupUniqArrayMerge(active_slots) AS slots,
        groupUniqArrayMerge(money) AS money
    FROM customer_profiles
    GROUP BY project_id, raw_key
);

INSERT INTO kpi_activity (project_id, raw_key, linked, link)
SELECT project_id, key, toUInt8(1), maxIf((linked_at, customer_key), key = alias_key)
FROM identities
ARRAY JOIN [alias_key, customer_key] AS key
GROUP BY project_id, key;
