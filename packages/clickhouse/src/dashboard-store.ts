import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { buildQuery } from './sql.ts';
import { formatDateTime64, toNumber } from './values.ts';

/*
 * Storage of saved views, dashboards and share links (0012_dashboards.sql). Documents are kept per id and
 * version like alert rules (alert-store.ts): every read takes the latest row per id with argMax, so it is
 * exact before background merges.
 */

export type ConsoleDocumentKind = 'view' | 'dashboard';

export interface StoredConsoleDocument {
  readonly projectId: string;
  readonly id: string;
  readonly version: number;
  /** JSON text, validated by the API before it was stored; read back with `readProjectDocument`. */
  readonly document: string;
}

interface DocumentRow {
  project_id: string;
  document_id: string;
  latest_version: number | string;
  latest_document: string;
}

const toDocument = (row: DocumentRow): StoredConsoleDocument => ({
  projectId: row.project_id,
  id: row.document_id,
  version: toNumber(row.latest_version, 'console_documents.version'),
  document: row.latest_document,
});

/** The current version of every document of the kind in the project that is not deleted, by id. */
export async function listConsoleDocuments(
  client: ClickHouseClient,
  kind: ConsoleDocumentKind,
  projectId: string,
  ids?: readonly string[],
): Promise<StoredConsoleDocument[]> {
  const { sql, params } = buildQuery(
    [],
    (p) => `SELECT d.project_id AS project_id, d.document_id AS document_id, max(d.version) AS latest_version,
        argMax(d.document, d.version) AS latest_document
      FROM console_documents AS d
      WHERE d.project_id = ${p.named('projectId', projectId, 'String')} AND d.kind = ${p.bind(kind, 'String')}
        ${ids === undefined ? '' : `AND d.document_id IN ${p.bind([...ids], 'Array(String)')}`}
      GROUP BY d.project_id, d.document_id
      HAVING argMax(d.deleted, d.version) = 0
      ORDER BY document_id`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return (await result.json<DocumentRow>()).map(toDocument);
}

/** One document's current version; undefined when it never existed or was deleted. */
export async function getConsoleDocument(
  client: ClickHouseClient,
  kind: ConsoleDocumentKind,
  projectId: string,
  id: string,
): Promise<StoredConsoleDocument | undefined> {
  const [stored] = await listConsoleDocuments(client, kind, projectId, [id]);
  return stored;
}

/** Writes a document version (`deleted` hides the id from then on). */
export async function saveConsoleDocument(
  client: ClickHouseClient,
  kind: ConsoleDocumentKind,
  stored: StoredConsoleDocument & { deleted?: boolean },
  now: Date = new Date(),
): Promise<void> {
  await client.insert({
    table: 'console_documents',
    format: 'JSONEachRow',
    values: [
      {
        project_id: stored.projectId,
        kind,
        document_id: stored.id,
        version: stored.version,
        document: stored.document,
        deleted: stored.deleted ? 1 : 0,
        updated_at: formatDateTime64(now),
      },
    ],
  });
}

export interface ShareLink {
  readonly projectId: string;
  readonly id: string;
  readonly dashboardId: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly revoked: boolean;
}

/** Stores a new link, or (`revoked`) its revocation, which wins over the creation whatever the merge order. */
export async function saveShareLink(client: ClickHouseClient, link: ShareLink): Promise<void> {
  await client.insert({
    table: 'share_links',
    format: 'JSONEachRow',
    values: [
      {
        project_id: link.projectId,
        link_id: link.id,
        dashboard_id: link.dashboardId,
        created_at: formatDateTime64(link.createdAtMs),
        expires_at: formatDateTime64(link.expiresAtMs),
        revoked: link.revoked ? 1 : 0,
        version: link.revoked ? 2 : 1,
      },
    ],
  });
}

/** The project's share links (of one dashboard, or one link), newest first. */
export async function listShareLinks(
  client: ClickHouseClient,
  query: { projectId: string; dashboardId?: string; linkId?: string },
): Promise<ShareLink[]> {
  const { sql, params } = buildQuery(
    [],
    (p) => `SELECT l.link_id AS link_id, any(l.dashboard_id) AS dashboard_id,
        toUnixTimestamp64Milli(min(l.created_at)) AS created_ms, toUnixTimestamp64Milli(max(l.expires_at)) AS expires_ms,
        max(l.revoked) AS is_revoked
      FROM share_links AS l
      WHERE l.project_id = ${p.named('projectId', query.projectId, 'String')}
        ${query.dashboardId === undefined ? '' : `AND l.dashboard_id = ${p.bind(query.dashboardId, 'String')}`}
        ${query.linkId === undefined ? '' : `AND l.link_id = ${p.bind(query.linkId, 'String')}`}
      GROUP BY l.link_id
      ORDER BY created_ms DESC, link_id`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<Record<string, unknown>>();
  return rows.map((row) => ({
    projectId: query.projectId,
    id: String(row.link_id),
    dashboardId: String(row.dashboard_id),
    createdAtMs: toNumber(row.created_ms, 'share_links.created_at'),
    expiresAtMs: toNumber(row.expires_ms, 'share_links.expires_at'),
    revoked: toNumber(row.is_revoked, 'share_links.revoked') === 1,
  }));
}

/**
 * The key share link tokens are signed with when none is configured: the oldest stored one, created here
 * by the first service that asks. Two services starting at once may both insert one; both then read the
 * same oldest row, so their tokens verify on either.
 */
export async function shareLinkKey(client: ClickHouseClient, now: Date = new Date()): Promise<Buffer> {
  const oldest = async () => {
    const result = await client.query({
      query: 'SELECT secret FROM share_link_keys ORDER BY created_at, key_id LIMIT 1',
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ secret: string }>();
    return row === undefined ? undefined : Buffer.from(row.secret, 'base64url');
  };
  const stored = await oldest();
  if (stored !== undefined) return stored;
  await client.insert({
    table: 'share_link_keys',
    format: 'JSONEachRow',
    values: [
      {
        key_id: randomBytes(12).toString('base64url'),
        secret: randomBytes(32).toString('base64url'),
        created_at: formatDateTime64(now),
      },
    ],
  });
  const created = await oldest();
  if (created === undefined) throw new Error('share_link_keys: the key just stored cannot be read');
  return created;
}
