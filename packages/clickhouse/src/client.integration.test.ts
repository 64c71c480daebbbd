import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-client-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function one<T>(client: Awaited<ReturnType<typeof createClickHouse>>, query: string): Promise<T> {
  const [row] = await (await client.query({ query, format: 'JSONEachRow' })).json<T>();
  return row as T;
}

describe('createClickHouse, embedded (chDB)', () => {
  it('creates the data directory and returns 64-bit integers as strings, like a server over HTTP', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const client = await createClickHouse({ dataDir });
    try {
      expect((await stat(dataDir)).isDirectory()).toBe(true);
      expect(await one(client, 'SELECT toUInt64(7) AS u, toInt64(-7) AS i, toUInt32(7) AS small')).toEqual({
        u: '7',
        i: '-7',
        small: 7,
      });
      // A per-query setting must not leak into later queries of the same client.
      expect(await one(client, "SELECT toDateTime64('2024-01-02 03:04:05.678', 3, 'UTC') AS t")).toEqual({
        t: '2024-01-02 03:04:05.678',
      });
    } finally {
      await client.close();
    }
  });

  it('lets clients on the same data directory coexist and see each other’s data', async () => {
    const dataDir = join(dir, 'shared');
    const first = await createClickHouse({ dataDir });
    const second = await createClickHouse({ dataDir });
    try {
      await first.command({ query: 'CREATE TABLE shared_t (x UInt8) ENGINE = MergeTree ORDER BY x' });
      await first.insert({ table: 'shared_t', values: [{ x: 1 }, { x: 2 }], format: 'JSONEachRow' });
      expect(await one(second, 'SELECT count() AS n FROM shared_t')).toEqual({ n: '2' });
      await second.close();
      expect(await one(first, 'SELECT count() AS n FROM shared_t')).toEqual({ n: '2' });
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('refuses a second data directory while one is open, and opens it once the first is closed', async () => {
    const first = await createClickHouse({ dataDir: join(dir, 'first') });
    let closedFirst = false;
    try {
      await expect(createClickHouse({ dataDir: join(dir, 'second') })).rejects.toMatchObject({
        code: 'CLICKHOUSE_EMBEDDED_UNAVAILABLE',
        message: expect.stringMatching(/one data directory per process/),
      });
      await first.close();
      closedFirst = true;
      const second = await createClickHouse({ dataDir: join(dir, 'second') });
      expect(await one(second, 'SELECT 1 AS ok')).toEqual({ ok: 1 });
      await second.close();
    } finally {
      if (!closedFirst) await first.close();
    }
  });

  it('bounds the engine by the memory limit it was opened with, and refuses another limit later', async () => {
    const limit = 256 * 1024 * 1024;
    const client = await createClickHouse({ dataDir: join(dir, 'limited'), embeddedMaxMemoryBytes: limit });
    try {
      expect(
        await one(client, "SELECT toString(getServerSetting('max_server_memory_usage')) AS bytes"),
      ).toEqual({
        bytes: String(limit),
      });
      // 100M UInt64 in one array is 800 MB: refused by the engine instead of grown into.
      await expect(
        one(client, 'SELECT length(groupArray(number)) AS n FROM numbers(100000000)'),
      ).rejects.toThrow(/MEMORY_LIMIT_EXCEEDED|memory limit exceeded/i);
      expect(await one(client, 'SELECT 1 AS ok')).toEqual({ ok: 1 });
      await expect(
        createClickHouse({ dataDir: join(dir, 'limited'), embeddedMaxMemoryBytes: 2 * limit }),
      ).rejects.toMatchObject({
        code: 'CLICKHOUSE_EMBEDDED_UNAVAILABLE',
        message: expect.stringMatching(/already open in this process with max_server_memory_usage 268435456/),
      });
    } finally {
      await client.close();
    }
  });

  it('creates and uses the configured database', async () => {
    const client = await createClickHouse({ dataDir: join(dir, 'db'), database: 'waymark' });
    try {
      expect(await one(client, 'SELECT currentDatabase() AS db')).toEqual({ db: 'waymark' });
    } finally {
      await client.close();
    }
  });
});

describe('createClickHouse, server', () => {
  it('says the server is unreachable with a stable code', async () => {
    await expect(createClickHouse({ url: 'http://127.0.0.1:9', password: 'secret' })).rejects.toMatchObject({
      code: 'CLICKHOUSE_UNREACHABLE',
    });
  });
});
