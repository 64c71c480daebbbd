import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { ClickHouseStorageError } from './errors.ts';
import { splitSqlStatements } from './sql-statements.ts';
import { formatDateTime64, toNumber } from './values.ts';

/** `schemas/clickhouse/` of this repository. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../schemas/clickhouse/', import.meta.url));

export const MIGRATIONS_TABLE = 'waymark_migrations';

export interface Migration {
  /** From the file name: `0003_identities.sql` → 3. */
  readonly version: number;
  /** `identities` */
  readonly name: string;
  /** SHA-256 hex of the file as written (line endings normalised), before placeholders are filled. */
  readonly checksum: string;
  readonly sql: string;
}

export interface MigrationOptions {
  logger?: Logger;
  /**
   * Cluster mode (docs/design.md §7): `{onCluster}` in a migration becomes `ON CLUSTER \`name\`` and `{replicated}`
   * becomes `Replicated`, so `{replicated}ReplacingMergeTree` is a ReplicatedReplacingMergeTree with the
   * server's default_replica_path/default_replica_name. Unset → both are removed (one node).
   */
  onCluster?: string;
  /** Defaults to {@link DEFAULT_MIGRATIONS_DIR}. */
  migrationsDir?: string;
}

export interface MigrationReport {
  /** Migrations applied by this run, in order. */
  readonly applied: readonly Migration[];
  /** Migrations that were already applied before this run. */
  readonly alreadyApplied: readonly Migration[];
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const CLUSTER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** The migration files of `dir`, ordered by version. Other files than `*.sql` are ignored. */
export async function loadMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match) {
      throw new ClickHouseStorageError(
        'CLICKHOUSE_MIGRATION_INVALID',
        `migration file ${file} in ${dir} is not named NNNN_snake_case_name.sql`,
      );
    }
    const version = Number(match[1]);
    const previous = migrations.at(-1);
    if (previous?.version === version) {
      throw new ClickHouseStorageError(
        'CLICKHOUSE_MIGRATION_INVALID',
        `migrations ${previous.name} and ${match[2]} in ${dir} both have version ${version}`,
      );
    }
    const sql = (await readFile(join(dir, file), 'utf8')).replaceAll('\r\n', '\n');
    migrations.push({
      version,
      name: match[2] as string,
      checksum: createHash('sha256').update(sql).digest('hex'),
      sql,
    });
  }
  return migrations;
}

/** The statements of a migration with its placeholders filled for a single node or a cluster. */
export function renderMigration(migration: Pick<Migration, 'sql'>, onCluster?: string): string[] {
  if (onCluster !== undefined && !CLUSTER_NAME.test(onCluster)) {
    throw new ClickHouseStorageError(
      'CLICKHOUSE_MIGRATION_INVALID',
      `invalid cluster name ${JSON.stringify(onCluster)}`,
    );
  }
  const sql = migration.sql
    .replaceAll('{onCluster}', onCluster ? `ON CLUSTER \`${onCluster}\`` : '')
    .replaceAll('{replicated}', onCluster ? 'Replicated' : '');
  return splitSqlStatements(sql);
}

/**
 * Applies the pending migrations in version order and records each in `waymark_migrations` once all of its
 * statements succeeded. Re-running is a no-op. Before applying anything it refuses
 * (`CLICKHOUSE_MIGRATION_CHECKSUM_MISMATCH`) if an applied migration's file changed: fix forward with a new
 * migration instead. A migration that fails halfway is not recorded, so it runs again in full next time —
 * which is why every statement is written re-runnable (`IF NOT EXISTS`). Applied versions this code does not
 * know (a newer release migrated first) are logged and left alone.
 */
export async function runMigrations(
  client: ClickHouseClient,
  options: MigrationOptions = {},
): Promise<MigrationReport> {
  const { logger, onCluster } = options;
  const migrations = await loadMigrations(options.migrationsDir);
  const bootstrap = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} {onCluster}
    (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))
    ENGINE = {replicated}ReplacingMergeTree ORDER BY version`;
  for (const statement of renderMigration({ sql: bootstrap }, onCluster)) {
    await client.command({ query: statement });
  }

  const applied = await readAppliedMigrations(client);
  for (const [version, record] of applied) {
    const migration = migrations.find((candidate) => candidate.version === version);
    if (!migration) {
      logger?.warn({ version, name: record.name }, 'applied migration is unknown to this version of Waymark');
    } else if (migration.checksum !== record.checksum) {
      throw new ClickHouseStorageError(
        'CLICKHOUSE_MIGRATION_CHECKSUM_MISMATCH',
        `migration ${String(version).padStart(4, '0')}_${migration.name} was changed after it was applied ` +
          `(applied checksum ${record.checksum}, file checksum ${migration.checksum}); ` +
          'restore the file and add a new migration instead',
      );
    }
  }

  const done: Migration[] = [];
  const already: Migration[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) {
      already.push(migration);
      continue;
    }
    const started = Date.now();
    for (const statement of renderMigration(migration, onCluster)) {
      try {
        await client.command({ query: statement });
      } catch (error) {
        throw new ClickHouseStorageError(
          'CLICKHOUSE_MIGRATION_FAILED',
          `migration ${String(migration.version).padStart(4, '0')}_${migration.name} failed: ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        );
      }
    }
    await client.insert({
      table: MIGRATIONS_TABLE,
      format: 'JSONEachRow',
      values: [
        {
          version: migration.version,
          name: migration.name,
          checksum: migration.checksum,
          applied_at: formatDateTime64(new Date()),
        },
      ],
    });
    logger?.info(
      { version: migration.version, name: migration.name, ms: Date.now() - started },
      'migration applied',
    );
    done.push(migration);
  }
  return { applied: done, alreadyApplied: already };
}

async function readAppliedMigrations(
  client: ClickHouseClient,
): Promise<Map<number, { name: string; checksum: string }>> {
  const result = await client.query({
    query: `SELECT version, name, checksum FROM ${MIGRATIONS_TABLE} FINAL ORDER BY version`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ version: number | string; name: string; checksum: string }>();
  return new Map(rows.map((row) => [toNumber(row.version, 'waymark_migrations.version'), row]));
}
