import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { hashApiKey, type Project } from './projects.ts';
import { formatDateTime64 } from './values.ts';

/** Write keys are public (they only ingest); API keys are secrets that read data. */
export const newWriteKey = (): string => `wk_${randomBytes(16).toString('base64url')}`;
export const newApiKey = (): string => `sk_${randomBytes(32).toString('base64url')}`;
/** The admin API's secret (decision 0030): a prefix of its own, so a leaked one is recognisable. */
export const newAdminToken = (): string => `wat_${randomBytes(32).toString('base64url')}`;

export type ProjectKeyKind = 'write-key' | 'api-key';

/**
 * A new key of `kind` for the project; the replaced one stays valid for `graceMs` after `now` (0: not at
 * all). Any earlier key still in its grace period ends now: a project has at most one previous key of a
 * kind. `key` is the new secret, to be shown once.
 */
export function rotateProjectKey(
  project: Project,
  kind: ProjectKeyKind,
  graceMs: number,
  now: number,
): { project: Project; key: string } {
  const previous = (key: string) => (graceMs > 0 ? { key, expiresAt: now + graceMs } : undefined);
  if (kind === 'write-key') {
    const key = newWriteKey();
    return { key, project: { ...project, writeKey: key, previousWriteKey: previous(project.writeKey) } };
  }
  const key = newApiKey();
  return {
    key,
    project: { ...project, apiKeyHash: hashApiKey(key), previousApiKeyHash: previous(project.apiKeyHash) },
  };
}

/** The hashes of the admin tokens that authenticate (not revoked). */
export async function listAdminTokenHashes(client: ClickHouseClient): Promise<string[]> {
  const result = await client.query({
    query: 'SELECT token_hash FROM admin_tokens FINAL WHERE revoked = 0 ORDER BY token_hash',
    format: 'JSONEachRow',
  });
  return (await result.json<{ token_hash: string }>()).map((row) => row.token_hash);
}

/** Stores an admin token, hashed; the token itself is the caller's to show once. */
export async function insertAdminToken(
  client: ClickHouseClient,
  token: string,
  now: Date = new Date(),
): Promise<void> {
  const at = formatDateTime64(now);
  await client.insert({
    table: 'admin_tokens',
    format: 'JSONEachRow',
    values: [{ token_hash: hashApiKey(token), revoked: 0, created_at: at, updated_at: at }],
  });
}

/** Revokes every admin token (`waymark admin-token reset` then stores a new one). */
export async function revokeAdminTokens(client: ClickHouseClient, now: Date = new Date()): Promise<void> {
  const at = formatDateTime64(now);
  const rows = (await listAdminTokenHashes(client)).map((token_hash) => ({
    token_hash,
    revoked: 1,
    created_at: at,
    updated_at: at,
  }));
  if (rows.length > 0) await client.insert({ table: 'admin_tokens', format: 'JSONEachRow', values: rows });
}
