import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { runMigrations } from './migrations.ts';
import { hashApiKey, listProjects, upsertProject } from './projects.ts';

let dir: string;
let client: ClickHouseClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-projects-'));
  client = await createClickHouse({ dataDir: dir });
  await runMigrations(client);
});

afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('projects', () => {
  it('upserts and lists projects, newest version only, keeping createdAt', async () => {
    const created = new Date('2024-05-01T10:00:00.123Z');
    const shop = {
      projectId: 'shop',
      name: 'Shop',
      writeKey: 'wk_shop',
      apiKeyHash: hashApiKey('secret-shop'),
      allowedOrigins: ['https://shop.example'],
    };
    await upsertProject(client, shop, created);
    await upsertProject(client, { ...shop, projectId: 'blog', name: 'Blog', writeKey: 'wk_blog' }, created);
    const updated = new Date('2024-05-02T08:00:00.000Z');
    await upsertProject(client, { ...shop, name: 'Shop (EU)', allowedOrigins: [] }, updated);

    expect(await listProjects(client)).toEqual([
      {
        ...shop,
        projectId: 'blog',
        name: 'Blog',
        writeKey: 'wk_blog',
        createdAt: created.getTime(),
        updatedAt: created.getTime(),
      },
      {
        ...shop,
        name: 'Shop (EU)',
        allowedOrigins: [],
        createdAt: created.getTime(),
        updatedAt: updated.getTime(),
      },
    ]);
  });

  it('stores the SHA-256 hex of the API key', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
