-- Customer profiles, maintained as touchpoints stream in: one row per raw key ('u:<userId>' / 'a:<anonymousId>')
-- and insert block until merges collapse them. A customer's profile is the merge of the rows of every raw key
-- the identity map resolves to it (packages/clickhouse/src/customers.query.ts), so an identify merges two
-- profiles retroactively without rewriting anything.
--
-- Every aggregate is idempotent (min, max, argMin/argMax, uniqExact and groupUniqArray over message ids): a
-- duplicate touchpoint (retry, redelivery, topic replay) is inserted again and the materialized view sees it
-- again, and none of these change. Sums would double-count, so money is kept as the set of
-- (message id, time, revenue, is order) of the touchpoints that carry revenue or are orders, summed at query time.
CREATE TABLE IF NOT EXISTS customer_profiles {onCluster}
(
    project_id LowCardinality(String),
    raw_key String,
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    touchpoints AggregateFunction(uniqExact, String),
    active_days AggregateFunction(uniqExact, Date),
    -- The 15-minute slots (UTC) with a touchpoint: every real time zone's offset is a multiple of 15 minutes,
    -- so activity per calendar period in any zone is exact from these (KPIs, retention) without the touchpoints.
    active_slots AggregateFunction(groupUniqArray, DateTime('UTC')),
    furthest_stage SimpleAggregateFunction(max, UInt8),
    -- The stage of the latest staged touchpoint.
    current_stage AggregateFunction(argMax, UInt8, DateTime64(3, 'UTC')),
    -- The channel of the first touchpoint (first touch).
    entry_channel AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    -- (message id, time, revenue, is order): an order is a touchpoint staged `purchase`.
    money AggregateFunction(groupUniqArray, Tuple(String, DateTime64(3, 'UTC'), Float64, UInt8)),
    last_complaint_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    complaints AggregateFunction(uniqExact, String),
    last_advocacy_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    -- Latest known value, ignoring touchpoints that did not carry one.
    country AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    region AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    city AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    device_type AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    os AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    browser AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    -- The traits of the latest identify call (a JSON object): demographics and psychographics are read from it.
    traits AggregateFunction(argMax, String, DateTime64(3, 'UTC'))
)
ENGINE = {replicated}AggregatingMergeTree
ORDER BY (project_id, raw_key);

CREATE MATERIALIZED VIEW IF NOT EXISTS customer_profiles_mv {onCluster} TO customer_profiles AS
SELECT
    project_id,
    raw_key,
    min(timestamp) AS first_seen,
    max(timestamp) AS last_seen,
    uniqExactState(message_id) AS touchpoints,
    uniqExactState(toDate(timestamp)) AS active_days,
    groupUniqArrayState(toStartOfFifteenMinutes(toDateTime(timestamp, 'UTC'))) AS active_slots,
    max(stage) AS furthest_stage,
    argMaxIfState(stage, timestamp, stage > 0) AS current_stage,
    argMinState(toString(channel), timestamp) AS entry_channel,
    groupUniqArrayIfState((message_id, timestamp, revenue, toUInt8(stage = 5)), stage = 5 OR revenue != 0) AS money,
    maxIfOrNull(timestamp, complaint = 1) AS last_complaint_at,
    uniqExactIfState(message_id, complaint = 1) AS complaints,
    maxIfOrNull(timestamp, stage = 7) AS last_advocacy_at,
    argMaxIfState(toString(country), timestamp, country != '') AS country,
    argMaxIfState(toString(region), timestamp, region != '') AS region,
    argMaxIfState(toString(city), timestamp, city != '') AS city,
    argMaxIfState(toString(device_type), timestamp, device_type != '') AS device_type,
    argMaxIfState(toString(os), timestamp, os != '') AS os,
    argMaxIfState(toString(browser), timestamp, browser != '') AS browser,
    argMaxIfState(traits, timestamp, type = 'identify' AND traits NOT IN ('', '{}')) AS traits
FROM touchpoints
GROUP BY project_id, raw_key;

-- Each project's customer model (packages/journey/src/customer-model.ts: the thresholds of customer types, at risk
-- and value tiers), every version kept. A project without a row uses the documented defaults.
CREATE TABLE IF NOT EXISTS customer_models {onCluster}
(
    project_id String,
    version UInt32,
    model String,
    created_at DateTime64(3, 'UTC')
)
ENGINE = {replicated}ReplacingMergeTree
ORDER BY (project_id, version);
