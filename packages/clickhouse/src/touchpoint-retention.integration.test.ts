import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { DEFAULT_MIGRATIONS_DIR, runMigrations } from './migrations.ts';
import { readTouchpointRetention, setTouchpointRetention } from './touchpoint-retention.ts';
import { formatDateTime64 } from './values.ts';

/*
 * Retention on a store that held touchpoints before 0015_touchpoint_retention.sql: the migration runs over
 * existing parts, then a retention applies to the rows that were already there.
 */

const DAY = 86_400_000;
let dir: string;
let migrations: string;
let client: ClickHouseClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-retention-'));
  migrations = join(dir, 'migrations');
  // The repository's migrations before 0015, as an installation that predates it has applied them.
  for (const file of (await readdir(DEFAULT_MIGRATIONS_DIR)).filter(
    (f) => f.endsWith('.sql') && f < '0015',
  )) {
    await cp(join(DEFAULT_MIGRATIONS_DIR, file), join(migrations, file));
  }
  client = await createClickHouse({ dataDir: join(dir, 'clickhouse') });
  await runMigrations(client, { migrationsDir: migrations });
});
afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Inserts one touchpoint per age (days) for the project, in its own part, as separate batches would. */
async function insertAtAges(projectId: string, ages: readonly number[]): Promise<void> {
  const now = Date.now();
  for (const age of ages) {
    await client.insert({
      table: 'touchpoints',
      format: 'JSONEachRow',
      values: [
        {
          message_id: `${projectId}-${age}`,
          project_id: projectId,
          type: 'track',
          timestamp: formatDateTime64(now - age * DAY),
          received_at: formatDateTime64(now),
          raw_key: `a:${age}`,
        },
      ],
    });
  }
}

async function storedAges(projectId: string): Promise<number[]> {
  const result = await client.query({
    query:
      'SELECT message_id FROM touchpoints FINAL WHERE project_id = {projectId:String} ORDER BY message_id',
    query_params: { projectId },
    format: 'JSONEachRow',
  });
  return (await result.json<{ message_id: string }>())
    .map((r) => Number(r.message_id.slice(projectId.length + 1)))
    .sort((a, b) => a - b);
}

describe('touchpoint retention over a store from before it', () => {
  const AGES = [1, 10, 40, 90, 400];

  it('migrates existing touchpoints as kept forever, then applies a retention to them', async () => {
    await insertAtAges('kept', AGES);
    await insertAtAges('other', AGES);
    await cp(
      join(DEFAULT_MIGRATIONS_DIR, '0015_touchpoint_retention.sql'),
      join(migrations, '0015_touchpoint_retention.sql'),
    );
    await runMigrations(client, { migrationsDir: migrations });
    const failed = await client.query({
      query: "SELECT command FROM system.mutations WHERE table = 'touchpoints' AND latest_fail_reason != ''",
      format: 'JSONEachRow',
    });
    expect(await failed.json()).toEqual([]);
    expect(await readTouchpointRetention(client, 'kept')).toBeNull();

    await setTouchpointRetention(client, 'kept', 30);
    expect(await readTouchpointRetention(client, 'kept')).toBe(30);
    // Queued after the retention's two mutations, so it returns once they have run.
    await client.command({ query: 'ALTER TABLE touchpoints MATERIALIZE TTL SETTINGS mutations_sync = 2' });
    await client.command({ query: 'OPTIMIZE TABLE touchpoints FINAL' });
    expect(await storedAges('kept')).toEqual(AGES.filter((age) => age < 30));
    expect(await storedAges('other')).toEqual(AGES);
  });
});
