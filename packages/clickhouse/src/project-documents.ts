import type { ClickHouseClient } from '@clickhouse/client';
import { formatDateTime64, toNumber } from './values.ts';

/**
 * Versioned per-project JSON documents: stage rulesets (0005) and customer models (0007). Every version is
 * kept; a project without a row uses the shipped default. The table and column names are constants here,
 * never input.
 */
const DOCUMENT_TABLES = {
  stageRuleset: { table: 'stage_rulesets', column: 'ruleset' },
  customerModel: { table: 'customer_models', column: 'model' },
} as const;
export type ProjectDocumentKind = keyof typeof DOCUMENT_TABLES;

export interface StoredProjectDocument {
  readonly projectId: string;
  readonly version: number;
  /** JSON text; validated before it was stored and again when it is read. */
  readonly document: string;
}

interface DocumentRow {
  project_id: string;
  version: number | string;
  document: string;
}

const toStored = (row: DocumentRow, what: string): StoredProjectDocument => ({
  projectId: row.project_id,
  version: toNumber(row.version, `${what}.version`),
  document: row.document,
});

/** The newest document of the kind for every project that has its own. */
export async function latestProjectDocuments(
  client: ClickHouseClient,
  kind: ProjectDocumentKind,
): Promise<StoredProjectDocument[]> {
  const { table, column } = DOCUMENT_TABLES[kind];
  const result = await client.query({
    query: `SELECT project_id, argMax(${column}, d.version) AS document, max(d.version) AS version
      FROM ${table} AS d GROUP BY project_id ORDER BY project_id`,
    format: 'JSONEachRow',
  });
  return (await result.json<DocumentRow>()).map((row) => toStored(row, table));
}

export async function latestProjectDocument(
  client: ClickHouseClient,
  kind: ProjectDocumentKind,
  projectId: string,
): Promise<StoredProjectDocument | undefined> {
  const { table, column } = DOCUMENT_TABLES[kind];
  const result = await client.query({
    query: `SELECT project_id, version, ${column} AS document FROM ${table}
      WHERE project_id = {projectId:String} ORDER BY version DESC LIMIT 1`,
    query_params: { projectId },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<DocumentRow>();
  return row === undefined ? undefined : toStored(row, table);
}

/**
 * Stores a new version (the given one, which the caller derived from the latest). Versions only grow; two
 * writers racing for the same version keep one of the two documents, so callers check the version they
 * read (optimistic concurrency) and the API reports a conflict.
 */
export async function insertProjectDocument(
  client: ClickHouseClient,
  kind: ProjectDocumentKind,
  stored: StoredProjectDocument,
  now: Date = new Date(),
): Promise<void> {
  const { table, column } = DOCUMENT_TABLES[kind];
  await client.insert({
    table,
    format: 'JSONEachRow',
    values: [
      {
        project_id: stored.projectId,
        version: stored.version,
        [column]: stored.document,
        created_at: formatDateTime64(now.getTime()),
      },
    ],
  });
}
