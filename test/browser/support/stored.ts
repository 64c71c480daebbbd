import type { ClickHouseClient } from '@clickhouse/client';
import { createTestProject, type TestProject } from '../../support/pipeline.ts';

/** A project whose browser ingestion is limited to `allowedOrigins` (the shared helper allows '*'). */
export function createProjectAllowing(
  clickhouse: ClickHouseClient,
  allowedOrigins: readonly string[],
  name = 'browser-shop',
): Promise<TestProject> {
  return createTestProject(clickhouse, name, allowedOrigins);
}

export interface StoredTouchpoint {
  message_id: string;
  type: string;
  event: string;
  name: string;
  anonymous_id: string;
  user_id: string;
  session_id: string;
  page_path: string;
  page_referrer: string;
  page_title: string;
  campaign_source: string;
  campaign_medium: string;
  campaign_name: string;
  click_id: string;
  library_name: string;
  stage: number;
  context: string;
}

/** A project's touchpoints as stored (one row per messageId: FINAL), oldest first. */
export async function storedTouchpoints(
  clickhouse: ClickHouseClient,
  projectId: string,
): Promise<StoredTouchpoint[]> {
  const result = await clickhouse.query({
    query: `SELECT message_id, type, event, name, anonymous_id, user_id, session_id, page_path, page_referrer,
        page_title, campaign_source, campaign_medium, campaign_name, click_id, library_name, stage, context
      FROM touchpoints FINAL WHERE project_id = {projectId:String} ORDER BY timestamp, message_id`,
    query_params: { projectId },
    format: 'JSONEachRow',
  });
  return result.json<StoredTouchpoint>();
}

/** The customer each raw key belongs to after identity stitching (`a:<anonymousId>` → `u:<userId>`). */
export async function identityLinks(
  clickhouse: ClickHouseClient,
  projectId: string,
): Promise<Map<string, string>> {
  const result = await clickhouse.query({
    query: `SELECT alias_key, argMax(customer_key, linked_at) AS customer_key FROM identities
      WHERE project_id = {projectId:String} GROUP BY alias_key`,
    query_params: { projectId },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ alias_key: string; customer_key: string }>();
  return new Map(rows.map((r) => [r.alias_key, r.customer_key]));
}
