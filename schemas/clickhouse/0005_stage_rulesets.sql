-- Each project's stage rulesets, every version kept (a touchpoint records the version that staged it).
-- A project without a row uses the default ruleset (schemas/stage-rules.default.json, version 1).
CREATE TABLE IF NOT EXISTS stage_rulesets {onCluster}
(
    project_id String,
    version UInt32,
    ruleset String CODEC(ZSTD(1)),
    created_at DateTime64(3, 'UTC')
)
ENGINE = {replicated}ReplacingMergeTree
ORDER BY (project_id, version);
