-- The acquisition channel of each touchpoint (packages/journey/src/channel.ts): campaign fields first, then
-- click id, then referrer. Rows stored before this migration read as '' (unknown).
ALTER TABLE touchpoints {onCluster} ADD COLUMN IF NOT EXISTS channel LowCardinality(String) DEFAULT '' AFTER campaign_content;
