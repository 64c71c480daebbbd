import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { touchpointOf } from '@waymark/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { linkIdentities } from './identities.ts';
import { queryKpis } from './kpis.query.ts';
import { DEFAULT_MIGRATIONS_DIR, runMigrations } from './migrations.ts';
import type { PeriodInterval } from './periods.ts';
import { insertTouchpoints, type StoredTouchpoint } from './touchpoints.ts';

/*
 * The KPIs' own table, kpi_activity (0016_kpi_activity.sql), against figures computed here by a plain reading of
 * docs/analytics/kpis.md, with calendar periods taken from JavaScript's time-zone rules (Intl):
 * - a store that held touchpoints and links before the migration gets them through its backfill;
 * - an identify after the aggregate was written (and merged) merges two customers retroactively;
 * - redeliveries and re-enriched retries count once;
 * - touchpoints a minute either side of where each zone's month starts, in zones 14 hours east to 12 hours
 *   west of UTC and with 30- and 45-minute offsets, land in the zone's month (the slots near a UTC month
 *   boundary are cut in the zone, the others by their UTC month).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let dir: string;
let client: ClickHouseClient;

interface Touch {
  key: string;
  at: number;
  messageId: string;
  /** An order (a touchpoint staged purchase) of this revenue. */
  order?: number;
}

const stored = (projectId: string, t: Touch): StoredTouchpoint => ({
  touchpoint: touchpointOf({
    messageId: t.messageId,
    projectId,
    type: 'track',
    event: t.order === undefined ? 'Product Viewed' : 'Order Completed',
    ...(t.key.startsWith('u:') ? { userId: t.key.slice(2) } : { anonymousId: t.key.slice(2) }),
    timestamp: t.at,
    receivedAt: t.at,
  }),
  rawKey: t.key,
  stage: t.order === undefined ? 2 : 5,
  complaint: false,
  revenue: t.order ?? 0,
  currency: t.order === undefined ? '' : 'EUR',
  rulesetVersion: 1,
  channel: '',
});

const link = (projectId: string, aliasKey: string, customerKey: string, linkedAt: number) => ({
  projectId,
  aliasKey,
  customerKey,
  linkedAt,
  messageId: `link-${aliasKey}-${linkedAt}`,
});

function localFields(at: number, zone: string) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: 'numeric',
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { y: part('year'), m: part('month') };
}

type Coarse = Extract<PeriodInterval, 'month' | 'quarter' | 'year'>;

/** `YYYY-MM` of the first month of the zone's period holding `at`. */
function periodOf(interval: Coarse, at: number, zone: string): string {
  const { y, m } = localFields(at, zone);
  const first = interval === 'month' ? m : interval === 'quarter' ? 3 * Math.ceil(m / 3) - 2 : 1;
  return `${y}-${String(first).padStart(2, '0')}`;
}

/** The figures of the period `key`, by the definitions, customers resolved through `links` (alias → customer). */
function expected(
  touches: readonly Touch[],
  links: ReadonlyMap<string, string>,
  interval: Coarse,
  zone: string,
  key: string,
) {
  const customer = (t: Touch) => links.get(t.key) ?? t.key;
  // Copies of a message (redelivered or re-enriched) are one touchpoint: the first one stands for it.
  const byMessage = new Map<string, Touch>();
  for (const t of touches) {
    if (!byMessage.has(`${customer(t)}|${t.messageId}`)) byMessage.set(`${customer(t)}|${t.messageId}`, t);
  }
  const unique = [...byMessage.values()];
  const inPeriod = unique.filter((t) => periodOf(interval, t.at, zone) === key);
  const orders = inPeriod.filter((t) => t.order !== undefined);
  const firstPeriod = new Map<string, string>();
  for (const t of [...unique].sort((a, b) => a.at - b.at)) {
    if (!firstPeriod.has(customer(t))) firstPeriod.set(customer(t), periodOf(interval, t.at, zone));
  }
  const purchasers = new Set(orders.map(customer));
  const lifetimeOrders = (c: string) =>
    unique.filter((t) => customer(t) === c && t.order !== undefined && periodOf(interval, t.at, zone) <= key)
      .length;
  const active = new Set(inPeriod.map(customer));
  return {
    activeCustomers: active.size,
    newCustomers: [...active].filter((c) => firstPeriod.get(c) === key).length,
    purchasers: purchasers.size,
    orders: orders.length,
    revenue: orders.reduce((sum, t) => sum + (t.order ?? 0), 0),
    repeatPurchasers: [...purchasers].filter((c) => lifetimeOrders(c) >= 2).length,
  };
}

async function figures(projectId: string, interval: Coarse, zone: string, from: string, to: string) {
  const periods = await queryKpis(client, {
    projectId,
    from: new Date(from),
    to: new Date(to),
    interval,
    timezone: zone,
  });
  return periods.map((p) => ({
    key: periodOf(interval, Date.parse(p.start), zone),
    activeCustomers: p.kpis.activeCustomers,
    newCustomers: p.kpis.newCustomers,
    purchasers: p.kpis.purchasers,
    orders: p.kpis.orders,
    revenue: p.kpis.revenue,
    repeatPurchasers: p.kpis.repeatPurchasers,
  }));
}

// Written before the 0016 migration: it must reach kpi_activity through the backfill.
const OLD = 'p_kpis_backfill';
const oldTouches: Touch[] = [
  { key: 'a:old-phone', at: Date.parse('2026-01-10T10:00:00Z'), messageId: 'o1', order: 20 },
  { key: 'u:old', at: Date.parse('2026-02-10T10:00:00Z'), messageId: 'o2', order: 30 },
  { key: 'a:other', at: Date.parse('2026-02-11T10:00:00Z'), messageId: 'o3' },
];
const oldLinks = new Map([['a:old-phone', 'u:old']]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-kpis-'));
  const before = join(dir, 'migrations');
  for (const file of (await readdir(DEFAULT_MIGRATIONS_DIR)).filter(
    (f) => f.endsWith('.sql') && f < '0016',
  )) {
    await cp(join(DEFAULT_MIGRATIONS_DIR, file), join(before, file));
  }
  client = await createClickHouse({ dataDir: join(dir, 'clickhouse') });
  await runMigrations(client, { migrationsDir: before });
  await insertTouchpoints(
    client,
    oldTouches.map((t) => stored(OLD, t)),
  );
  await linkIdentities(client, [link(OLD, 'a:old-phone', 'u:old', Date.parse('2026-02-10T10:00:00Z'))]);
  await runMigrations(client);
});
afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('KPIs from kpi_activity', () => {
  it('counts what was stored before the migration, through its backfill', async () => {
    const got = await figures(OLD, 'month', 'UTC', '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z');
    expect(got).toEqual(
      ['2026-01', '2026-02'].map((key) => ({ key, ...expected(oldTouches, oldLinks, 'month', 'UTC', key) })),
    );
    // One customer across both devices: a repeat purchaser in February, not new there.
    expect(got[1]).toMatchObject({ activeCustomers: 2, newCustomers: 1, repeatPurchasers: 1 });
  });

  it('merges customers retroactively when an identify comes after the aggregate was written', async () => {
    const projectId = 'p_kpis_merge';
    const touches: Touch[] = [
      { key: 'a:laptop', at: Date.parse('2026-01-05T12:00:00Z'), messageId: 'm1', order: 40 },
      { key: 'a:laptop', at: Date.parse('2026-02-03T12:00:00Z'), messageId: 'm2' },
      { key: 'u:alice', at: Date.parse('2026-02-20T12:00:00Z'), messageId: 'm3', order: 60 },
      { key: 'a:tablet', at: Date.parse('2026-01-25T12:00:00Z'), messageId: 'm4' },
      { key: 'u:bob', at: Date.parse('2026-02-25T12:00:00Z'), messageId: 'm5', order: 10 },
    ];
    // A redelivery of m1 (identical) and a re-enriched retry of m3 (3 ms later): each still one order.
    const copies: Touch[] = [
      { key: 'a:laptop', at: Date.parse('2026-01-05T12:00:00Z'), messageId: 'm1', order: 40 },
      { key: 'u:alice', at: Date.parse('2026-02-20T12:00:00.003Z'), messageId: 'm3', order: 60 },
    ];
    for (const t of [...touches, ...copies]) await insertTouchpoints(client, [stored(projectId, t)]);
    const months = ['2026-01', '2026-02'];
    const query = () => figures(projectId, 'month', 'UTC', '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z');
    const unlinked = await query();
    const all = [...touches, ...copies];
    expect(unlinked).toEqual(
      months.map((key) => ({ key, ...expected(all, new Map(), 'month', 'UTC', key) })),
    );
    expect(unlinked[1]).toMatchObject({ activeCustomers: 3, orders: 2, revenue: 70, repeatPurchasers: 0 });

    // The aggregate is merged on disk before the links arrive; a:tablet first goes to bob, then to alice.
    await client.command({ query: 'OPTIMIZE TABLE kpi_activity FINAL' });
    await linkIdentities(client, [link(projectId, 'a:tablet', 'u:bob', Date.parse('2026-02-01T00:00:00Z'))]);
    await linkIdentities(client, [
      link(projectId, 'a:laptop', 'u:alice', Date.parse('2026-02-21T00:00:00Z')),
    ]);
    await linkIdentities(client, [
      link(projectId, 'a:tablet', 'u:alice', Date.parse('2026-02-22T00:00:00Z')),
    ]);
    const links = new Map([
      ['a:laptop', 'u:alice'],
      ['a:tablet', 'u:alice'],
    ]);
    const linked = await query();
    expect(linked).toEqual(months.map((key) => ({ key, ...expected(all, links, 'month', 'UTC', key) })));
    // alice: active in both months, new in January only, a repeat purchaser in February; bob is new there.
    expect(linked).toEqual([
      {
        key: '2026-01',
        activeCustomers: 1,
        newCustomers: 1,
        purchasers: 1,
        orders: 1,
        revenue: 40,
        repeatPurchasers: 0,
      },
      {
        key: '2026-02',
        activeCustomers: 2,
        newCustomers: 1,
        purchasers: 2,
        orders: 2,
        revenue: 70,
        repeatPurchasers: 1,
      },
    ]);
  });

  describe('cuts months, quarters and years where each zone does', () => {
    const projectId = 'p_kpis_zones';
    // Where each zone's 2026 begins and its February begins, in UTC: a touchpoint a minute before and after.
    const zones = [
      'UTC',
      'Pacific/Kiritimati', // +14
      'Asia/Kathmandu', // +5:45
      'Asia/Kolkata', // +5:30
      'Australia/Adelaide', // +10:30 (summer time in January and February)
      'America/St_Johns', // -3:30
      'Etc/GMT+12', // -12
    ];
    const offsets = [14 * HOUR, 5.75 * HOUR, 5.5 * HOUR, 10.5 * HOUR, -3.5 * HOUR, -12 * HOUR, 0];
    const boundaries = [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-02-01T00:00:00Z')];
    const touches: Touch[] = [];
    let n = 0;
    for (const boundary of boundaries) {
      for (const offset of offsets) {
        for (const side of [-1, 1]) {
          const at = boundary - offset + side * MINUTE;
          touches.push({ key: `u:c${n % 9}`, at, messageId: `z${n}`, ...(n % 3 === 0 ? { order: n } : {}) });
          n++;
        }
      }
      // Well inside a UTC month in every zone (a day and more from the boundary).
      touches.push({ key: `u:c${n % 9}`, at: boundary + 30 * HOUR, messageId: `z${n++}`, order: 5 });
      touches.push({ key: `u:c${n % 9}`, at: boundary - 40 * HOUR, messageId: `z${n++}` });
    }

    beforeAll(async () => {
      await insertTouchpoints(
        client,
        touches.map((t) => stored(projectId, t)),
      );
    });

    const ranges: Record<Coarse, [string, string, string[]]> = {
      month: ['2025-12-15T00:00:00Z', '2026-02-15T00:00:00Z', ['2025-12', '2026-01', '2026-02']],
      quarter: ['2025-11-15T00:00:00Z', '2026-02-15T00:00:00Z', ['2025-10', '2026-01']],
      year: ['2025-06-01T00:00:00Z', '2026-06-01T00:00:00Z', ['2025-01', '2026-01']],
    };
    for (const zone of zones) {
      it(zone, async () => {
        for (const interval of ['month', 'quarter', 'year'] as const) {
          const [from, to, keys] = ranges[interval];
          // Periods are cut in the zone: from/to are read there too (their periods, whole).
          const got = await figures(projectId, interval, zone, from, to);
          expect(
            got.map((p) => p.key),
            `${interval} in ${zone}`,
          ).toEqual(keys);
          expect(got, `${interval} in ${zone}`).toEqual(
            keys.map((key) => ({ key, ...expected(touches, new Map(), interval, zone, key) })),
          );
        }
        // Every period is exercised: some activity on both sides of the zone's boundaries.
        expect(expected(touches, new Map(), 'month', zone, '2025-12').activeCustomers).toBeGreaterThan(0);
        expect(expected(touches, new Map(), 'month', zone, '2026-01').orders).toBeGreaterThan(0);
      });
    }
  });
});
