-- Projects: the collector loads write keys and allowed origins from here, the query service checks API
-- keys against api_key_hash (SHA-256 hex of the secret; the secret itself is never stored).
CREATE TABLE IF NOT EXISTS projects {onCluster}
(
    project_id String,
    name String,
    write_key String,
    api_key_hash String,
    allowed_origins Array(String),
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = {replicated}ReplacingMergeTree(updated_at)
ORDER BY project_id;
