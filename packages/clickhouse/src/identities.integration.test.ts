import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { type IdentityLink, insertIdentityLinks, latestIdentityLinks, linkIdentities } from './identities.ts';
import { runMigrations } from './migrations.ts';

let client: ClickHouseClient;
let dataDir: string;
const T0 = Date.parse('2026-03-01T10:00:00Z');
let projectSeq = 0;
let messageSeq = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'waymark-identities-'));
  client = await createClickHouse({ dataDir });
  await runMigrations(client);
});

afterAll(async () => {
  await client?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function newProject(): string {
  projectSeq += 1;
  return `identities_${projectSeq}`;
}

function link(projectId: string, aliasKey: string, customerKey: string, minutes: number): IdentityLink {
  messageSeq += 1;
  return { projectId, aliasKey, customerKey, linkedAt: T0 + minutes * 60_000, messageId: `m${messageSeq}` };
}

/** How every query resolves a raw key: the alias's latest row, one level, else the key itself. */
async function customersOf(projectId: string, keys: readonly string[]): Promise<Record<string, string>> {
  const result = await client.query({
    query: `SELECT alias_key, argMax(customer_key, linked_at) AS customer_key FROM identities
      WHERE project_id = {projectId:String} GROUP BY alias_key`,
    query_params: { projectId },
    format: 'JSONEachRow',
  });
  const map = new Map(
    (await result.json<{ alias_key: string; customer_key: string }>()).map((r) => [
      r.alias_key,
      r.customer_key,
    ]),
  );
  return Object.fromEntries(keys.map((key) => [key, map.get(key) ?? key]));
}

describe('linkIdentities', () => {
  it('keeps the map flat when a chain grows one link per batch', async () => {
    const p = newProject();
    await linkIdentities(client, [link(p, 'a:x', 'u:A', 0)]);
    await linkIdentities(client, [link(p, 'a:A', 'u:B', 10), link(p, 'u:A', 'u:B', 10)]);
    await linkIdentities(client, [link(p, 'a:B', 'u:C', 20), link(p, 'u:B', 'u:C', 20)]);
    expect(await customersOf(p, ['a:x', 'u:A', 'a:A', 'u:B', 'a:B', 'u:C'])).toEqual({
      'a:x': 'u:C',
      'u:A': 'u:C',
      'a:A': 'u:C',
      'u:B': 'u:C',
      'a:B': 'u:C',
      'u:C': 'u:C',
    });
  });

  it('reads the latest row of the aliases asked for and of what belonged to them', async () => {
    const p = newProject();
    await insertIdentityLinks(client, [link(p, 'a:x', 'u:A', 0), link(p, 'a:y', 'u:A', 1)]);
    // a:y once belonged to u:A and now to u:C: its latest row comes back, not the matching older one.
    await insertIdentityLinks(client, [link(p, 'a:y', 'u:C', 2), link(p, 'a:z', 'u:D', 3)]);
    const rows = await latestIdentityLinks(client, {
      projectIds: [p],
      aliasKeys: ['u:A', 'a:z'],
      customerKeys: ['u:A'],
    });
    expect(rows.map((r) => [r.aliasKey, r.customerKey, r.linkedAt]).sort()).toEqual([
      ['a:x', 'u:A', T0],
      ['a:y', 'u:C', T0 + 2 * 60_000],
      ['a:z', 'u:D', T0 + 3 * 60_000],
    ]);
  });

  it('converges when two processor members link the same customer at the same time', async () => {
    const p = newProject();
    const q = newProject();
    // Each member reads the map before the other's rows are in: without the check after writing, the
    // first pair would leave a:x → u:A → u:B and the second a cycle.
    await Promise.all([
      linkIdentities(client, [link(p, 'a:x', 'u:A', 0)]),
      linkIdentities(client, [link(p, 'a:A', 'u:B', 10), link(p, 'u:A', 'u:B', 10)]),
      linkIdentities(client, [link(q, 'u:A', 'u:B', 10)]),
      linkIdentities(client, [link(q, 'u:B', 'u:A', 20)]),
    ]);
    expect(await customersOf(p, ['a:x', 'u:A', 'a:A'])).toEqual({ 'a:x': 'u:B', 'u:A': 'u:B', 'a:A': 'u:B' });
    expect(await customersOf(q, ['u:A', 'u:B'])).toEqual({ 'u:A': 'u:A', 'u:B': 'u:A' });
  });
});
