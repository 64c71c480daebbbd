import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { buildQuery } from './sql.ts';
import { formatDateTime64, parseDateTime64 } from './values.ts';

/** A key replaced by a rotation, still accepted until `expiresAt` (epoch milliseconds). */
export interface PreviousKey {
  /** The write key itself, or the API key's hash. */
  readonly key: string;
  readonly expiresAt: number;
}

export interface Project {
  readonly projectId: string;
  readonly name: string;
  /** Public: authenticates ingestion into this project only. */
  readonly writeKey: string;
  /** SHA-256 hex of the secret API key ({@link hashApiKey}); the secret is never stored. */
  readonly apiKeyHash: string;
  /** The write key of the last rotation's grace period (decision 0030). */
  readonly previousWriteKey?: PreviousKey | undefined;
  /** The hash of the API key of the last rotation's grace period. */
  readonly previousApiKeyHash?: PreviousKey | undefined;
  /** Origins allowed by CORS for browser ingestion, e.g. `https://shop.example`. */
  readonly allowedOrigins: readonly string[];
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type ProjectInput = Omit<Project, 'createdAt' | 'updatedAt'>;

/** The stored form of a secret API key (and of the admin token). */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

/** Whether a rotated-out key is still in its grace period at `now`. */
export const stillValid = (previous: PreviousKey | undefined, now: number): previous is PreviousKey =>
  previous !== undefined && previous.expiresAt > now;

interface ProjectRow {
  project_id: string;
  name: string;
  write_key: string;
  api_key_hash: string;
  previous_write_key: string;
  previous_write_key_expires_at: string;
  previous_api_key_hash: string;
  previous_api_key_expires_at: string;
  allowed_origins: string[];
  created_at: string;
  updated_at: string;
}

/**
 * Creates or replaces a project (the newest `updated_at` wins). `createdAt` is kept from the stored
 * project when there is one.
 */
export async function upsertProject(
  client: ClickHouseClient,
  project: ProjectInput,
  now: Date = new Date(),
): Promise<Project> {
  const existing = await selectProjects(client, project.projectId);
  const createdAt = existing[0]?.createdAt ?? now.getTime();
  const stored: Project = {
    ...project,
    allowedOrigins: [...project.allowedOrigins],
    createdAt,
    updatedAt: now.getTime(),
  };
  const row: ProjectRow = {
    project_id: stored.projectId,
    name: stored.name,
    write_key: stored.writeKey,
    api_key_hash: stored.apiKeyHash,
    previous_write_key: stored.previousWriteKey?.key ?? '',
    previous_write_key_expires_at: formatDateTime64(stored.previousWriteKey?.expiresAt ?? 0),
    previous_api_key_hash: stored.previousApiKeyHash?.key ?? '',
    previous_api_key_expires_at: formatDateTime64(stored.previousApiKeyHash?.expiresAt ?? 0),
    allowed_origins: [...stored.allowedOrigins],
    created_at: formatDateTime64(stored.createdAt),
    updated_at: formatDateTime64(stored.updatedAt),
  };
  await client.insert({ table: 'projects', format: 'JSONEachRow', values: [row] });
  return stored;
}

/** Every project, ordered by id: the collector's write keys and the query service's API key hashes. */
export function listProjects(client: ClickHouseClient): Promise<Project[]> {
  return selectProjects(client);
}

/** One project, or undefined when there is none of that id. */
export async function getProject(client: ClickHouseClient, projectId: string): Promise<Project | undefined> {
  return (await selectProjects(client, projectId))[0];
}

function previousKey(key: string, expiresAt: string, what: string): PreviousKey | undefined {
  return key === '' ? undefined : { key, expiresAt: parseDateTime64(expiresAt, what) };
}

async function selectProjects(client: ClickHouseClient, projectId?: string): Promise<Project[]> {
  // FINAL: the table is small, and a project updated twice must read once, also before merges.
  const { sql, params } = buildQuery(
    [],
    (p) => `SELECT project_id, name, write_key, api_key_hash, previous_write_key,
        previous_write_key_expires_at, previous_api_key_hash, previous_api_key_expires_at, allowed_origins,
        created_at, updated_at
      FROM projects FINAL
      ${projectId === undefined ? '' : `WHERE project_id = ${p.named('projectId', projectId, 'String')}`}
      ORDER BY project_id`,
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<ProjectRow>();
  return rows.map((row) => ({
    projectId: row.project_id,
    name: row.name,
    writeKey: row.write_key,
    apiKeyHash: row.api_key_hash,
    previousWriteKey: previousKey(
      row.previous_write_key,
      row.previous_write_key_expires_at,
      'projects.previous_write_key_expires_at',
    ),
    previousApiKeyHash: previousKey(
      row.previous_api_key_hash,
      row.previous_api_key_expires_at,
      'projects.previous_api_key_expires_at',
    ),
    allowedOrigins: row.allowed_origins,
    createdAt: parseDateTime64(row.created_at, 'projects.created_at'),
    updatedAt: parseDateTime64(row.updated_at, 'projects.updated_at'),
  }));
}
