import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createLogger } from '@waymark/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { runMigrations } from './migrations.ts';
import { createProjectDirectory } from './project-directory.ts';
import {
  insertAdminToken,
  listAdminTokenHashes,
  revokeAdminTokens,
  rotateProjectKey,
} from './project-keys.ts';
import { getProject, hashApiKey, listProjects, upsertProject } from './projects.ts';

const silent = createLogger({ name: 'projects-test', level: 'silent' });
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

  it('stores a rotation: the new key, the replaced one and the end of its grace period', async () => {
    const project = {
      projectId: 'rotated',
      name: 'Rotated',
      writeKey: 'wk_old',
      apiKeyHash: hashApiKey('sk_old'),
      allowedOrigins: [],
    };
    const stored = await upsertProject(client, project);
    const now = Date.now();
    const write = rotateProjectKey(stored, 'write-key', 60_000, now);
    const api = rotateProjectKey(write.project, 'api-key', 1_000, now);
    await upsertProject(client, api.project, new Date(now));
    expect(await getProject(client, 'rotated')).toMatchObject({
      writeKey: write.key,
      apiKeyHash: hashApiKey(api.key),
      previousWriteKey: { key: 'wk_old', expiresAt: now + 60_000 },
      previousApiKeyHash: { key: hashApiKey('sk_old'), expiresAt: now + 1_000 },
    });
    const directory = createProjectDirectory(client, { refreshMs: 60_000, logger: silent });
    await directory.refresh();
    expect(directory.byWriteKey('wk_old')?.projectId).toBe('rotated');
    expect(directory.byWriteKey(write.key)?.projectId).toBe('rotated');
    // Rotating again without grace ends the earlier key's grace period now.
    await upsertProject(client, rotateProjectKey(api.project, 'write-key', 0, Date.now()).project);
    await directory.refresh();
    expect(directory.byWriteKey('wk_old')).toBeUndefined();
    expect(directory.byWriteKey(write.key)).toBeUndefined();
    directory.close();
  });

  it('keeps admin tokens hashed, and revokes them all', async () => {
    await insertAdminToken(client, 'wat_one');
    expect(await listAdminTokenHashes(client)).toEqual([hashApiKey('wat_one')]);
    await revokeAdminTokens(client);
    expect(await listAdminTokenHashes(client)).toEqual([]);
  });
});
