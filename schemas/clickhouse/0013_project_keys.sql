-- Key rotation and the admin token (docs/decisions/0030-admin-api-and-key-rotation.md). A rotation keeps
-- the replaced key working until its `*_expires_at`; '' means there is none. Rows stored before this
-- migration read as having no previous key.
ALTER TABLE projects {onCluster} ADD COLUMN IF NOT EXISTS previous_write_key String DEFAULT '' AFTER api_key_hash;
ALTER TABLE projects {onCluster} ADD COLUMN IF NOT EXISTS previous_write_key_expires_at DateTime64(3, 'UTC') DEFAULT 0 AFTER previous_write_key;
ALTER TABLE projects {onCluster} ADD COLUMN IF NOT EXISTS previous_api_key_hash String DEFAULT '' AFTER previous_write_key_expires_at;
ALTER TABLE projects {onCluster} ADD COLUMN IF NOT EXISTS previous_api_key_expires_at DateTime64(3, 'UTC') DEFAULT 0 AFTER previous_api_key_hash;

-- The admin token of the admin API, as SHA-256 hex (the token itself is shown once and never stored).
-- `waymark start` creates the first one; a row with `revoked = 1` no longer authenticates.
CREATE TABLE IF NOT EXISTS admin_tokens {onCluster}
(
    token_hash String,
    revoked UInt8,
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = {replicated}ReplacingMergeTree(updated_at)
ORDER BY token_hash;
