import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseStorageError } from './errors.ts';
import { buildQuery } from './sql.ts';
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
/**
 * What {@link readProjectDocument} reads: these documents, alert rules (stored by alert-store.ts), saved
 * views and dashboards (dashboard-store.ts).
 */
export type ReadableDocumentKind = ProjectDocumentKind | 'alertRule' | 'savedView' | 'dashboard';

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
  const { sql, params } = buildQuery(
    [],
    () => `SELECT project_id, argMax(${column}, d.version) AS document, max(d.version) AS version
      FROM ${table} AS d GROUP BY project_id ORDER BY project_id`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return (await result.json<DocumentRow>()).map((row) => toStored(row, table));
}

export async function latestProjectDocument(
  client: ClickHouseClient,
  kind: ProjectDocumentKind,
  projectId: string,
): Promise<StoredProjectDocument | undefined> {
  const { table, column } = DOCUMENT_TABLES[kind];
  const { sql, params } = buildQuery(
    [],
    (p) => `SELECT project_id, version, ${column} AS document FROM ${table}
      WHERE project_id = ${p.named('projectId', projectId, 'String')} ORDER BY version DESC LIMIT 1`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
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

/** How one kind of document is checked when read: the parsers of @waymark/journey (parseStageRuleset…). */
export type DocumentParser<T> = (
  json: unknown,
) => { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/**
 * The one way a stored document is read back (docs/decisions/0021-sql-builder-and-project-documents.md):
 * its JSON text parsed and checked by `parse`. A document that no longer parses (stored by an older version
 * with other rules, or written around the API) is a CLICKHOUSE_DOCUMENT_INVALID error naming the project
 * and version; callers decide what that means for them, never silently.
 */
export function readProjectDocument<T>(
  kind: ReadableDocumentKind,
  parse: DocumentParser<T>,
): (stored: StoredProjectDocument) => T {
  return (stored) => {
    let json: unknown;
    try {
      json = JSON.parse(stored.document);
    } catch {
      throw invalid(kind, stored, 'not JSON');
    }
    const parsed = parse(json);
    if (!parsed.ok) throw invalid(kind, stored, parsed.reason);
    return parsed.value;
  };
}

const invalid = (kind: ReadableDocumentKind, stored: StoredProjectDocument, reason: string) =>
  new ClickHouseStorageError(
    'CLICKHOUSE_DOCUMENT_INVALID',
    `stored ${DOCUMENT_NAMES[kind]} version ${stored.version} of project ${stored.projectId} is invalid: ${reason}`,
  );

const DOCUMENT_NAMES: Record<ReadableDocumentKind, string> = {
  stageRuleset: 'stage ruleset',
  customerModel: 'customer model',
  alertRule: 'alert rule',
  savedView: 'saved view',
  dashboard: 'dashboard',
};
