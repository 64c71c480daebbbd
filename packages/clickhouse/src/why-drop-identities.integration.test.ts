import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { touchpointOf } from '@waymark/events';
import { DEFAULT_CUSTOMER_MODEL, rawKeyOf } from '@waymark/journey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { insertIdentityLinks } from './identities.ts';
import { runMigrations } from './migrations.ts';
import { insertTouchpoints, type StoredTouchpoint } from './touchpoints.ts';
import { queryCustomFunnelWhyDrop, type WhyDropOptions } from './why-drop.query.ts';

/*
 * why-drop reads the population's own raw keys only (why-drop.query.ts): every key of a customer must be
 * among them, whichever way the identity map reaches it, and no key twice. Each customer below drops after
 * Start, so its path shows exactly the touchpoints read for it.
 */

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 5, 2);
const PROJECT = 'why_drop_identities';

let dir: string;
let client: ClickHouseClient;
let messageSeq = 0;

const ids = (key: string) =>
  key.startsWith('u:')
    ? { anonymousId: null, userId: key.slice(2) }
    : { anonymousId: key.slice(2), userId: null };

function stored(key: string, hour: number, what: { event?: string; path?: string; device?: string }) {
  const row: StoredTouchpoint = {
    touchpoint: touchpointOf({
      messageId: `m${++messageSeq}`,
      projectId: PROJECT,
      type: what.path === undefined ? 'track' : 'page',
      event: what.event ?? null,
      ...ids(key),
      timestamp: T0 + hour * HOUR,
      receivedAt: T0 + hour * HOUR + 80,
      pagePath: what.path ?? null,
      deviceType: what.device ?? null,
      properties: '{}',
    }),
    rawKey: rawKeyOf(ids(key)),
    stage: 0,
    complaint: false,
    revenue: 0,
    currency: '',
    rulesetVersion: 1,
    channel: '',
  };
  return row;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-why-drop-identities-'));
  client = await createClickHouse({ dataDir: dir });
  await runMigrations(client);
  await insertTouchpoints(client, [
    // merged: two anonymous devices identified as u:merged after everything happened; the second
    // device's profile holds the latest device type.
    stored('a:merged-1', 1, { event: 'Start', device: 'desktop' }),
    stored('a:merged-1', 2, { path: '/merged-1' }),
    stored('a:merged-2', 3, { path: '/merged-2', device: 'tablet' }),
    stored('u:merged', 4, { path: '/merged-3' }),
    // moved: a:moved was linked to u:before first, then to u:after (the latest link wins).
    stored('u:after', 1, { event: 'Start' }),
    stored('u:after', 2, { path: '/after-1' }),
    stored('a:moved', 3, { path: '/after-2' }),
    stored('u:before', 1, { event: 'Start' }),
    stored('u:before', 2, { path: '/before-1' }),
    // self: the customer's own key is in the identity map too, linked to itself.
    stored('u:self', 1, { event: 'Start' }),
    stored('u:self', 2, { path: '/self-1' }),
    stored('a:self', 3, { path: '/self-2' }),
    // A converter, so that both groups exist.
    stored('u:buyer', 1, { event: 'Start' }),
    stored('u:buyer', 2, { event: 'Buy' }),
  ]);
  const link = (aliasKey: string, customerKey: string, hour: number) => ({
    projectId: PROJECT,
    aliasKey,
    customerKey,
    linkedAt: T0 + hour * HOUR,
    messageId: `l${++messageSeq}`,
  });
  await insertIdentityLinks(client, [
    link('a:merged-1', 'u:merged', 5),
    link('a:merged-2', 'u:merged', 5),
    link('a:moved', 'u:before', 0),
    link('a:moved', 'u:after', 5),
    link('u:self', 'u:self', 5),
    link('a:self', 'u:self', 5),
  ]);
});

afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

const options: WhyDropOptions = {
  limits: {
    events: 100,
    propertyKeys: 10,
    values: 10,
    pairs: 200,
    minimumSupport: 1,
    pathLength: 5,
    paths: 10,
  },
  dimensions: ['device'],
  model: DEFAULT_CUSTOMER_MODEL,
};

describe('why-drop over customers of several raw keys', () => {
  it('reads every key of a customer once, as the identity map resolves it now', async () => {
    const counts = await queryCustomFunnelWhyDrop(
      client,
      {
        projectId: PROJECT,
        from: new Date(T0),
        to: new Date(T0 + 24 * HOUR),
        windowSeconds: 7 * 24 * 3600,
        funnel: { steps: [{ event: ['Start'] }, { event: ['Buy'] }], order: 'ordered', exclusions: [] },
        step: 1,
      },
      options,
    );
    expect({ converted: counts.converted, dropped: counts.dropped }).toEqual({ converted: 1, dropped: 4 });
    expect(new Map(counts.paths.map((path) => [path.touchpoints.join(' '), path.customers]))).toEqual(
      new Map([
        ['page:/merged-1 page:/merged-2 page:/merged-3', 1],
        ['page:/after-1 page:/after-2', 1],
        ['page:/before-1', 1],
        ['page:/self-1 page:/self-2', 1],
      ]),
    );
    // The merged customer's profile is merged from all three keys: its latest device is the second one's.
    const devices = counts.factors.filter((f) => f.factor.kind === 'customer');
    expect(devices).toEqual([
      {
        factor: { kind: 'customer', dimension: 'device', value: 'tablet' },
        convertedWith: 0,
        droppedWith: 1,
      },
    ]);
  });
});
