import type { ClickHouseClient } from '@clickhouse/client';
import { buildQuery } from './sql.ts';
import { toNumber } from './values.ts';

/*
 * A project's touchpoint retention (0015_touchpoint_retention.sql): touchpoints older than `days` leave at the
 * TTL merges after their retain_until; null keeps them forever. Only touchpoints expire: the tables derived from
 * them (stage_reach, stage_transitions, customer_profiles, identities) keep what they derived, see
 * docs/decisions/0032-touchpoint-retention-and-webhook-egress.md.
 */

export async function readTouchpointRetention(
  client: ClickHouseClient,
  projectId: string,
): Promise<number | null> {
  const { sql, params } = buildQuery(
    [],
    (p) => `SELECT r.touchpoint_days AS days FROM project_retention AS r
      WHERE r.project_id = ${p.named('projectId', projectId, 'String')}`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const [row] = await result.json<{ days: number | string }>();
  const days = row === undefined ? 0 : toNumber(row.days, 'project_retention.touchpoint_days');
  return days === 0 ? null : days;
}

/**
 * Stores the retention (new touchpoints get their retain_until from it at insert), then queues two mutations
 * for the project's stored touchpoints: their retain_until recomputed, and the TTL materialized, so rows
 * already past it go without waiting for a merge. Mutations run in order in the background; this returns
 * once they are queued (a large table takes a while: system.mutations shows them).
 */
export async function setTouchpointRetention(
  client: ClickHouseClient,
  projectId: string,
  days: number | null,
): Promise<void> {
  const stored = days ?? 0;
  await client.insert({
    table: 'project_retention',
    format: 'JSONEachRow',
    values: [{ project_id: projectId, touchpoint_days: stored }],
  });
  // The days are bound, not read back with joinGet: a mutation runs without a current database to find
  // project_retention in.
  const { sql, params } = buildQuery([], (p) => {
    const d = p.named('days', stored, 'UInt32');
    return `ALTER TABLE touchpoints UPDATE retain_until = if(${d} = 0, toDateTime(4294967295, 'UTC'),
        toDateTime(timestamp) + toIntervalDay(${d}))
      WHERE project_id = ${p.named('projectId', projectId, 'String')}`;
  });
  await client.command({ query: sql, query_params: params });
  await client.command({ query: 'ALTER TABLE touchpoints MATERIALIZE TTL' });
}
