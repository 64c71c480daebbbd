import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { touchpointOf } from '@waymark/events';
import { rawKeyOf } from '@waymark/journey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { insertIdentityLinks } from './identities.ts';
import { runMigrations } from './migrations.ts';
import { querySessions } from './sessions.query.ts';
import { insertTouchpoints, type StoredTouchpoint } from './touchpoints.ts';

let client: ClickHouseClient;
let dataDir: string;
const T0 = Date.parse('2026-11-02T10:00:00Z');
const MIN = 60_000;
let seq = 0;

function tp(fields: {
  anonymousId: string;
  userId?: string;
  at: number;
  sessionId?: string;
  path?: string;
  channel?: string;
  stage?: number;
}): StoredTouchpoint {
  const ids = { anonymousId: fields.anonymousId, userId: fields.userId ?? null };
  seq += 1;
  return {
    touchpoint: touchpointOf({
      messageId: `s${seq}`,
      projectId: 'sessions',
      type: 'page',
      ...ids,
      timestamp: fields.at,
      receivedAt: fields.at,
      sessionId: fields.sessionId ?? null,
      pagePath: fields.path ?? '/',
    }),
    rawKey: rawKeyOf(ids),
    stage: fields.stage ?? 1,
    complaint: false,
    revenue: 0,
    currency: '',
    rulesetVersion: 1,
    channel: fields.channel ?? 'direct',
  };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'waymark-sessions-'));
  client = await createClickHouse({ dataDir });
  await runMigrations(client);
  await insertTouchpoints(client, [
    // No SDK session id: a 40-minute gap splits the visits.
    tp({ anonymousId: 'gap', at: T0, path: '/landing', channel: 'email' }),
    tp({ anonymousId: 'gap', at: T0 + 10 * MIN, path: '/pricing', stage: 3 }),
    tp({ anonymousId: 'gap', at: T0 + 50 * MIN, path: '/blog/x', channel: 'organic search' }),
    // The SDK's session id wins over the gap rule.
    tp({ anonymousId: 'sdk', at: T0, sessionId: 'sdk-1', path: '/a' }),
    tp({ anonymousId: 'sdk', at: T0 + 45 * MIN, sessionId: 'sdk-1', path: '/b' }),
    tp({ anonymousId: 'sdk', at: T0 + 46 * MIN, sessionId: 'sdk-2', path: '/c' }),
    // Anonymous, later identified: the session belongs to the user.
    tp({ anonymousId: 'anon-9', at: T0 + 5 * MIN, path: '/products/p' }),
    // Started before the range: not counted.
    tp({ anonymousId: 'early', at: T0 - 20 * MIN, path: '/early' }),
    tp({ anonymousId: 'early', at: T0 + 5 * MIN, path: '/still-early' }),
  ]);
  await insertIdentityLinks(client, [
    {
      projectId: 'sessions',
      aliasKey: 'a:anon-9',
      customerKey: 'u:user-9',
      linkedAt: T0 + 6 * MIN,
      messageId: 'link',
    },
  ]);
});

afterAll(async () => {
  await client?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('querySessions', () => {
  it('splits by SDK session id, else by 30 minutes of inactivity, and resolves identities', async () => {
    const sessions = await querySessions(client, {
      projectId: 'sessions',
      from: new Date(T0),
      to: new Date(T0 + 2 * 60 * MIN),
      limit: 100,
    });
    const summary = sessions
      .map((s) => [
        s.customer,
        s.identified,
        s.entryPage,
        s.touchpoints,
        s.durationSeconds,
        s.channel,
        s.furthestStage,
      ])
      .sort((a, b) => String(a[2]).localeCompare(String(b[2])));
    expect(summary).toEqual([
      ['sdk', false, '/a', 2, 45 * 60, 'direct', 1],
      ['gap', false, '/blog/x', 1, 0, 'organic search', 1],
      ['sdk', false, '/c', 1, 0, 'direct', 1],
      ['gap', false, '/landing', 2, 10 * 60, 'email', 3],
      ['user-9', true, '/products/p', 1, 0, 'direct', 1],
    ]);
    expect(sessions.find((s) => s.entryPage === '/a')?.sessionId).toBe('sdk-1');
  });

  it('answers newest first within the limit, and nothing for an empty range', async () => {
    const two = await querySessions(client, {
      projectId: 'sessions',
      from: new Date(T0),
      to: new Date(T0 + 120 * MIN),
      limit: 2,
    });
    expect(two.map((s) => s.entryPage)).toEqual(['/blog/x', '/c']);
    const none = await querySessions(client, {
      projectId: 'sessions',
      from: new Date(T0 + 300 * MIN),
      to: new Date(T0 + 400 * MIN),
      limit: 10,
    });
    expect(none).toEqual([]);
  });
});
