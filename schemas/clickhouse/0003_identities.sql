-- The identity map: a raw key ('a:<anonymousId>' or 'u:<previous userId>') that has a row here belongs to
-- customer_key ('u:<userId>') in every query, retroactively (PostHog's person-override model). One level:
-- a customer_key is not itself looked up again. When an alias is relinked, the latest linked_at wins;
-- read with argMax(customer_key, linked_at) GROUP BY alias_key (or FINAL) to be exact before merges.
CREATE TABLE IF NOT EXISTS identities {onCluster}
(
    project_id LowCardinality(String),
    alias_key String,
    customer_key String,
    linked_at DateTime64(3, 'UTC'),
    message_id String
)
ENGINE = {replicated}ReplacingMergeTree(linked_at)
ORDER BY (project_id, alias_key);
