import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { touchpointOf } from '@waymark/events';
import { projectKey, rawKeyOf } from '@waymark/journey';
import { describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { DEFAULT_MIGRATIONS_DIR, runMigrations } from './migrations.ts';
import { lookupCustomerStages } from './stage-transitions.ts';
import { insertTouchpoints, type StoredTouchpoint } from './touchpoints.ts';

const PROJECT = 'p_latest_backfill';
const T0 = Date.parse('2026-11-02T10:00:00Z');

const staged = (messageId: string, at: number, stage: number): StoredTouchpoint => ({
  touchpoint: touchpointOf({
    messageId,
    projectId: PROJECT,
    type: 'track',
    anonymousId: 'veteran',
    timestamp: at,
    receivedAt: at,
  }),
  rawKey: rawKeyOf({ anonymousId: 'veteran', userId: null }),
  stage,
  complaint: false,
  revenue: 0,
  currency: '',
  rulesetVersion: 1,
  channel: '',
});

describe('history stored before the 0017 migration', () => {
  it("is found in stage_reach through the migration's backfill", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'waymark-latest-backfill-'));
    const before = join(dir, 'migrations');
    for (const file of (await readdir(DEFAULT_MIGRATIONS_DIR)).filter(
      (f) => f.endsWith('.sql') && f < '0017',
    )) {
      await cp(join(DEFAULT_MIGRATIONS_DIR, file), join(before, file));
    }
    const client = await createClickHouse({ dataDir: join(dir, 'clickhouse') });
    try {
      await runMigrations(client, { migrationsDir: before });
      await insertTouchpoints(client, [staged('v1', T0, 2), staged('v2', T0 + 1000, 3)]);
      await runMigrations(client);
      // Looked up before its own insert, as the processor does: answered by stage_reach alone.
      const stages = await lookupCustomerStages(client, [staged('v3', T0 + 5000, 5)]);
      expect(stages.get(projectKey(PROJECT, 'a:veteran'))).toEqual({
        customerKey: 'a:veteran',
        previousStage: 3,
      });
    } finally {
      await client.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
