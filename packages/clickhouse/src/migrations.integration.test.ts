import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { createLogger } from '@waymark/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, runMigrations } from './migrations.ts';
import { toNumber } from './values.ts';

const EXTRA_SQL = `-- a comment; with a semicolon
CREATE TABLE IF NOT EXISTS extra_a {onCluster} (note String DEFAULT 'a;b') ENGINE = {replicated}MergeTree ORDER BY tuple();
CREATE TABLE IF NOT EXISTS extra_b {onCluster} (x UInt8) ENGINE = {replicated}MergeTree ORDER BY x;
`;

let dir: string;
let client: ClickHouseClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-migrations-'));
  client = await createClickHouse({ dataDir: join(dir, 'chdb') });
});

afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

async function rows<T>(query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

async function appliedVersions(): Promise<number[]> {
  const applied = await rows<{ version: string }>(
    'SELECT version FROM waymark_migrations FINAL ORDER BY version',
  );
  return applied.map((row) => toNumber(row.version, 'version'));
}

async function migrationsCopy(name: string): Promise<string> {
  const copy = join(dir, name);
  await cp(DEFAULT_MIGRATIONS_DIR, copy, { recursive: true });
  return copy;
}

describe('runMigrations', () => {
  it('applies every migration on an empty database and creates the tables', async () => {
    const migrations = await loadMigrations();
    const report = await runMigrations(client);
    expect(report.applied.map((m) => m.version)).toEqual(migrations.map((m) => m.version));
    expect(report.alreadyApplied).toEqual([]);
    const tables = await rows<{ name: string }>(
      'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    );
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'identities',
        'projects',
        'stage_reach',
        'stage_reach_mv',
        'touchpoints',
        'waymark_migrations',
      ]),
    );
    expect(await appliedVersions()).toEqual(migrations.map((m) => m.version));
  });

  it('is a no-op when run again', async () => {
    const before = await rows<{ n: string }>('SELECT count() AS n FROM waymark_migrations');
    const report = await runMigrations(client);
    expect(report.applied).toEqual([]);
    expect(report.alreadyApplied.length).toBe((await loadMigrations()).length);
    expect(await rows<{ n: string }>('SELECT count() AS n FROM waymark_migrations')).toEqual(before);
  });

  it('applies a new migration with several statements, then refuses once its file is changed', async () => {
    const migrationsDir = await migrationsCopy('tampered');
    const extra = join(migrationsDir, '0099_extra.sql');
    await writeFile(extra, EXTRA_SQL);
    const report = await runMigrations(client, { migrationsDir });
    expect(report.applied.map((m) => `${m.version}_${m.name}`)).toEqual(['99_extra']);
    expect(await appliedVersions()).toContain(99);

    await writeFile(extra, `${await readFile(extra, 'utf8')}\n-- edited after it was applied\n`);
    const attempt = runMigrations(client, { migrationsDir });
    await expect(attempt).rejects.toMatchObject({ code: 'CLICKHOUSE_MIGRATION_CHECKSUM_MISMATCH' });
    await expect(attempt).rejects.toThrow(/0099_extra was changed after it was applied/);
  });

  it('does not record a migration that failed, and applies it once fixed', async () => {
    const migrationsDir = await migrationsCopy('failing');
    await writeFile(join(migrationsDir, '0099_extra.sql'), EXTRA_SQL);
    const broken = join(migrationsDir, '0100_broken.sql');
    await writeFile(
      broken,
      'CREATE TABLE IF NOT EXISTS broken {onCluster} (x NoSuchType) ENGINE = Memory;\n',
    );
    await expect(runMigrations(client, { migrationsDir })).rejects.toMatchObject({
      code: 'CLICKHOUSE_MIGRATION_FAILED',
    });
    expect(await appliedVersions()).not.toContain(100);

    await writeFile(broken, 'CREATE TABLE IF NOT EXISTS broken {onCluster} (x UInt8) ENGINE = Memory;\n');
    const report = await runMigrations(client, { migrationsDir });
    expect(report.applied.map((m) => m.version)).toEqual([100]);
  });

  it('applies a migration numbered below the newest applied one (branches merged out of order)', async () => {
    const migrationsDir = await migrationsCopy('late');
    await writeFile(
      join(migrationsDir, '0098_late.sql'),
      'CREATE TABLE IF NOT EXISTS late {onCluster} (x UInt8) ENGINE = {replicated}MergeTree ORDER BY x;\n',
    );
    const report = await runMigrations(client, { migrationsDir });
    expect(report.applied.map((m) => m.version)).toEqual([98]);
    expect(await appliedVersions()).toEqual(expect.arrayContaining([98, 99, 100]));
  });

  it('leaves applied migrations it does not know alone and says so', async () => {
    const lines: string[] = [];
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const logger = createLogger({ name: 'migrations-test', level: 'warn', destination });
    // The repository migrations alone: 0099 and 0100 were applied from other directories above.
    const report = await runMigrations(client, { logger });
    expect(report.applied).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.join('')).toMatch(/applied migration is unknown/);
  });
});
