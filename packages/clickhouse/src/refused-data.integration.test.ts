import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, insertRaw } from './client.ts';
import { runMigrations } from './migrations.ts';
import { REFUSED_DATA_CODES, refusedDataOf } from './refused-data.ts';

let dataDir: string;
let client: ClickHouseClient;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'waymark-refused-'));
  client = await createClickHouse({ dataDir });
  await runMigrations(client);
});
afterAll(async () => {
  await client?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('REFUSED_DATA_CODES', () => {
  it('names each code as the engine does', async () => {
    const result = await client.query({
      query:
        'SELECT number AS code, errorCodeToName(number) AS name FROM numbers(1000) WHERE number IN {codes:Array(UInt32)}',
      query_params: { codes: Object.keys(REFUSED_DATA_CODES).map(Number) },
      format: 'JSONEachRow',
    });
    const names = Object.fromEntries(
      (await result.json<{ code: number | string; name: string }>()).map((r) => [Number(r.code), r.name]),
    );
    expect(names).toEqual(REFUSED_DATA_CODES);
  });

  it('recognises a value the engine cannot store, and not a missing table', async () => {
    const refused = await insertRaw(client, {
      table: 'stage_transitions',
      columns: ['project_id', 'at'],
      rows: [['p', '253402300799.999']],
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusedDataOf(refused)).toMatchObject({ code: 41, name: 'CANNOT_PARSE_DATETIME' });
    const missing = await client.query({ query: 'SELECT 1 FROM no_such_table' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(missing).toBeDefined();
    expect(refusedDataOf(missing)).toBeUndefined();
  });
});
