import type { ClickHouseClient } from '@clickhouse/client';
import { formatDateTime64, toNumber } from './values.ts';

export interface StoredStageRuleset {
  readonly projectId: string;
  readonly version: number;
  /** The ruleset as JSON text; validated before it was stored and again when it is read. */
  readonly ruleset: string;
}

interface RulesetRow {
  project_id: string;
  version: number | string;
  ruleset: string;
}

const toStored = (row: RulesetRow): StoredStageRuleset => ({
  projectId: row.project_id,
  version: toNumber(row.version, 'stage_rulesets.version'),
  ruleset: row.ruleset,
});

/** The newest ruleset of every project that has its own. */
export async function latestStageRulesets(client: ClickHouseClient): Promise<StoredStageRuleset[]> {
  const result = await client.query({
    query: `SELECT project_id, argMax(ruleset, s.version) AS ruleset, max(s.version) AS latest
      FROM stage_rulesets AS s GROUP BY project_id ORDER BY project_id`,
    format: 'JSONEachRow',
  });
  return (await result.json<Omit<RulesetRow, 'version'> & { latest: number | string }>()).map((row) =>
    toStored({ ...row, version: row.latest }),
  );
}

export async function latestStageRuleset(
  client: ClickHouseClient,
  projectId: string,
): Promise<StoredStageRuleset | undefined> {
  const result = await client.query({
    query: `SELECT project_id, version, ruleset FROM stage_rulesets
      WHERE project_id = {projectId:String} ORDER BY version DESC LIMIT 1`,
    query_params: { projectId },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<RulesetRow>();
  return row === undefined ? undefined : toStored(row);
}

/**
 * Stores a new version (the given one, which the caller derived from the latest). Versions only grow; two
 * writers racing for the same version keep one of the two rulesets, so callers check the version they
 * read (optimistic concurrency) and the API reports a conflict.
 */
export async function insertStageRuleset(
  client: ClickHouseClient,
  ruleset: StoredStageRuleset,
  now: Date = new Date(),
): Promise<void> {
  await client.insert({
    table: 'stage_rulesets',
    format: 'JSONEachRow',
    values: [
      {
        project_id: ruleset.projectId,
        version: ruleset.version,
        ruleset: ruleset.ruleset,
        created_at: formatDateTime64(now.getTime()),
      },
    ],
  });
}
