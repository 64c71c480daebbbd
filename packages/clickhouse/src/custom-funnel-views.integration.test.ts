import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { touchpointOf } from '@waymark/events';
import { DEFAULT_CUSTOMER_MODEL, rawKeyOf, type StepMatch, timeToConvertBuckets } from '@waymark/journey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import {
  type CustomFunnelDefinition,
  type CustomFunnelQuery,
  queryCustomFunnel,
  queryCustomFunnelTrend,
} from './custom-funnel.query.ts';
import { TooManyPeriodsError } from './kpis.query.ts';
import { runMigrations } from './migrations.ts';
import { insertTouchpoints, type StoredTouchpoint } from './touchpoints.ts';

/*
 * The custom funnel's other views (decision 0034) on hand-built customers whose figures are worked out
 * here from the definitions in docs/analytics/custom-funnels.md: the time-to-convert histogram, several
 * breakdowns at once and the funnel per period of entry.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 2, 3);

let dir: string;
let client: ClickHouseClient;
let projectSeq = 0;
let messageSeq = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-custom-funnel-views-'));
  client = await createClickHouse({ dataDir: dir });
  await runMigrations(client);
});

afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

const newProject = () => `funnel_views_${++projectSeq}`;

interface Tp {
  customer: string;
  at: number;
  event: string;
  source?: string;
  device?: string;
  country?: string;
  properties?: Record<string, unknown>;
}

function stored(projectId: string, tp: Tp): StoredTouchpoint {
  const ids = { anonymousId: tp.customer, userId: null };
  return {
    touchpoint: touchpointOf({
      messageId: `m${++messageSeq}`,
      projectId,
      type: 'track',
      event: tp.event,
      ...ids,
      timestamp: tp.at,
      receivedAt: tp.at + 80,
      campaignSource: tp.source ?? null,
      deviceType: tp.device ?? null,
      country: tp.country ?? null,
      properties: JSON.stringify(tp.properties ?? {}),
    }),
    rawKey: rawKeyOf(ids),
    stage: 0,
    complaint: false,
    revenue: 0,
    currency: '',
    rulesetVersion: 1,
    channel: '',
  };
}

async function insert(projectId: string, touchpoints: readonly Tp[]): Promise<void> {
  await insertTouchpoints(
    client,
    touchpoints.map((tp) => stored(projectId, tp)),
  );
}

const funnelOf = (...events: string[]): CustomFunnelDefinition => ({
  steps: events.map((event): StepMatch => ({ event: [event] })),
  order: 'ordered',
  exclusions: [],
});

const cohort = (projectId: string, funnel: CustomFunnelDefinition, windowMs: number) =>
  ({
    projectId,
    from: new Date(T0),
    to: new Date(T0 + DAY),
    windowSeconds: windowMs / 1000,
    funnel,
  }) satisfies CustomFunnelQuery;

describe('the time-to-convert histogram', () => {
  it('puts a time exactly at an edge in the bucket it opens, and the window end in the last one', async () => {
    const projectId = newProject();
    // Each customer: A at T0, then B after the given delay (null: never); C 1 h after B for some.
    const delays: Array<[customer: string, toB: number | null, toC: number | null]> = [
      ['zero', 0, null],
      ['just-under-a-minute', MINUTE - 1, null],
      ['a-minute', MINUTE, 59 * MINUTE],
      ['six-hours', 6 * HOUR, HOUR],
      ['the-window-end', DAY, null],
      ['a-ms-too-late', DAY + 1, null],
      ['never', null, null],
    ];
    await insert(
      projectId,
      delays.flatMap(([customer, toB, toC]) => [
        { customer, at: T0 + HOUR, event: 'A' },
        ...(toB === null ? [] : [{ customer, at: T0 + HOUR + toB, event: 'B' }]),
        ...(toB === null || toC === null ? [] : [{ customer, at: T0 + HOUR + toB + toC, event: 'C' }]),
      ]),
    );
    const result = await queryCustomFunnel(client, cohort(projectId, funnelOf('A', 'B', 'C'), DAY));
    expect(result.steps.map((s) => s.customers)).toEqual([7, 5, 2]);
    expect(result.steps[0]?.timeToConvert).toBeNull();
    // A one-day window: 0, 1 m, 5 m, 15 m, 1 h, 6 h, and the last bucket [6 h, 1 d] includes the window end.
    const bounds = [0, 60, 300, 900, 3600, 21_600, 86_400];
    const buckets = (counts: number[]) =>
      counts.map((customers, i) => ({
        fromSeconds: bounds[i] as number,
        toSeconds: bounds[i + 1] as number,
        customers,
      }));
    expect(result.steps[1]?.timeToConvert).toEqual(buckets([2, 1, 0, 0, 0, 2]));
    // From B, not from the entry: 59 m and exactly 1 h.
    expect(result.steps[2]?.timeToConvert).toEqual(buckets([0, 0, 0, 1, 1, 0]));
  });

  it('adds up to each segment’s customers, and cuts a window between edges', async () => {
    const projectId = newProject();
    await insert(projectId, [
      { customer: 'g1', at: T0, event: 'A', source: 'google' },
      { customer: 'g1', at: T0 + 10 * MINUTE, event: 'B' },
      { customer: 'g2', at: T0, event: 'A', source: 'google' },
      { customer: 'g2', at: T0 + 90 * MINUTE, event: 'B' },
      { customer: 'n1', at: T0, event: 'A', source: 'newsletter' },
      { customer: 'n1', at: T0 + 2 * HOUR, event: 'B' },
    ]);
    const result = await queryCustomFunnel(client, {
      ...cohort(projectId, funnelOf('A', 'B'), 2 * HOUR),
      breakdown: { dimensions: [{ kind: 'touchpoint', dimension: 'utm_source' }], limit: 10 },
    });
    const counts = (steps: typeof result.steps) => steps[1]?.timeToConvert?.map((b) => b.customers);
    // A two-hour window: 0, 1 m, 5 m, 15 m, 1 h, and [1 h, 2 h].
    expect(result.steps[1]?.timeToConvert?.at(-1)).toEqual({
      fromSeconds: 3600,
      toSeconds: 7200,
      customers: 2,
    });
    expect(counts(result.steps)).toEqual([0, 0, 1, 0, 2]);
    expect(result.segments?.map((s) => [s.value, counts(s.steps)])).toEqual([
      ['google', [0, 0, 1, 0, 1]],
      ['newsletter', [0, 0, 0, 0, 1]],
    ]);
  });

  it('buckets a generated population as a plain reading of the edges does', async () => {
    const projectId = newProject();
    const windowMs = 3 * DAY;
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    // Delays at, just under and just over every edge, the window's end, past it, anywhere, or none.
    const edgesMs = timeToConvertBuckets(windowMs / 1000).map((b) => b.toSeconds * 1000);
    const delay = (): number | null => {
      const edge = edgesMs[Math.floor(random() * edgesMs.length)] as number;
      const pick = random();
      if (pick < 0.15) return null;
      if (pick < 0.35) return edge;
      if (pick < 0.5) return edge - 1;
      if (pick < 0.65) return edge + 1;
      return Math.floor(random() * windowMs);
    };
    const customers = Array.from({ length: 240 }, (_, i) => ({
      id: `c${i}`,
      entry: T0 + i * 60_000,
      toB: delay(),
      toC: delay(),
    }));
    await insert(
      projectId,
      customers.flatMap((c) => [
        { customer: c.id, at: c.entry, event: 'A' },
        ...(c.toB === null ? [] : [{ customer: c.id, at: c.entry + c.toB, event: 'B' }]),
        ...(c.toB === null || c.toC === null
          ? []
          : [{ customer: c.id, at: c.entry + c.toB + c.toC, event: 'C' }]),
      ]),
    );
    const result = await queryCustomFunnel(client, cohort(projectId, funnelOf('A', 'B', 'C'), windowMs));
    // Step 2 within the window of the entry; step 3 too (its time from B, the window still from the entry).
    const atB = customers.filter((c) => c.toB !== null && c.toB <= windowMs);
    const atC = atB.filter((c) => c.toC !== null && (c.toB as number) + c.toC <= windowMs);
    const histogram = (times: number[]) =>
      timeToConvertBuckets(windowMs / 1000).map((bucket, i, all) => ({
        ...bucket,
        customers: times.filter(
          (ms) =>
            ms >= bucket.fromSeconds * 1000 &&
            (i === all.length - 1 ? ms <= bucket.toSeconds * 1000 : ms < bucket.toSeconds * 1000),
        ).length,
      }));
    expect(result.steps.map((s) => s.customers)).toEqual([240, atB.length, atC.length]);
    expect(result.steps[1]?.timeToConvert).toEqual(histogram(atB.map((c) => c.toB as number)));
    expect(result.steps[2]?.timeToConvert).toEqual(histogram(atC.map((c) => c.toC as number)));
  });

  it('has every bucket empty for an empty cohort', async () => {
    const result = await queryCustomFunnel(client, cohort(newProject(), funnelOf('A', 'B'), HOUR));
    expect(result.steps[1]?.timeToConvert?.map((b) => b.customers)).toEqual([0, 0, 0, 0]);
  });
});

describe('the funnel per period of entry', () => {
  const at = (iso: string) => Date.parse(iso);

  it('cuts days at midnight in the time zone, with a zero period where nobody entered', async () => {
    const projectId = newProject();
    // America/New_York is UTC−5 until 9 March 2025: its days begin at 05:00 UTC.
    await insert(projectId, [
      { customer: 'first-instant', at: at('2025-03-03T05:00:00.000Z'), event: 'A' },
      { customer: 'first-instant', at: at('2025-03-03T06:00:00.000Z'), event: 'B' },
      { customer: 'last-instant', at: at('2025-03-04T04:59:59.999Z'), event: 'A' },
      { customer: 'next-day', at: at('2025-03-04T05:00:00.000Z'), event: 'A' },
      { customer: 'next-day', at: at('2025-03-05T06:00:00.000Z'), event: 'B' },
      // Before `from` and at `to`: not in the cohort.
      { customer: 'before', at: at('2025-03-02T23:00:00.000Z'), event: 'A' },
      { customer: 'at-to', at: at('2025-03-06T05:00:00.000Z'), event: 'A' },
    ]);
    const periods = await queryCustomFunnelTrend(client, {
      projectId,
      from: new Date('2025-03-03T05:00:00.000Z'),
      to: new Date('2025-03-06T05:00:00.000Z'),
      windowSeconds: (2 * DAY) / 1000,
      funnel: funnelOf('A', 'B'),
      interval: 'day',
      timezone: 'America/New_York',
    });
    expect(
      periods.map((p) => [p.start, ...p.steps.map((s) => [s.customers, s.conversionFromStart])]),
    ).toEqual([
      ['2025-03-03T05:00:00.000Z', [2, 1], [1, 0.5]],
      ['2025-03-04T05:00:00.000Z', [1, 1], [1, 1]],
      ['2025-03-05T05:00:00.000Z', [0, 0], [0, 0]],
    ]);
    // The next day's customer took 25 h: the [1 d, 2 d] bucket of a two-day window.
    expect(periods[1]?.steps[1]?.timeToConvert?.at(-1)).toEqual({
      fromSeconds: 86_400,
      toSeconds: 172_800,
      customers: 1,
    });
    expect(periods[2]?.steps[1]).toMatchObject({
      medianSecondsFromPrevious: null,
      p90SecondsFromPrevious: null,
    });
    expect(periods[2]?.steps[1]?.timeToConvert?.every((b) => b.customers === 0)).toBe(true);
    expect(periods.map((p) => p.excludedCustomers)).toEqual([0, 0, 0]);
  });

  it('cuts months in the zone across a change of its offset', async () => {
    const projectId = newProject();
    // Europe/Berlin: March begins at 23:00 UTC (CET), April at 22:00 UTC (CEST).
    await insert(projectId, [
      { customer: 'march-first', at: at('2025-02-28T23:00:00.000Z'), event: 'A' },
      { customer: 'march-last', at: at('2025-03-31T21:59:59.999Z'), event: 'A' },
      { customer: 'march-last', at: at('2025-03-31T22:30:00.000Z'), event: 'B' },
      { customer: 'april-first', at: at('2025-03-31T22:00:00.000Z'), event: 'A' },
    ]);
    const periods = await queryCustomFunnelTrend(client, {
      projectId,
      from: new Date('2025-02-28T23:00:00.000Z'),
      to: new Date('2025-04-30T22:00:00.000Z'),
      windowSeconds: DAY / 1000,
      funnel: funnelOf('A', 'B'),
      interval: 'month',
      timezone: 'Europe/Berlin',
    });
    expect(periods.map((p) => [p.start, ...p.steps.map((s) => s.customers)])).toEqual([
      ['2025-02-28T23:00:00.000Z', 2, 1],
      ['2025-03-31T22:00:00.000Z', 1, 0],
    ]);
  });

  it('refuses more than 400 periods', async () => {
    await expect(
      queryCustomFunnelTrend(client, {
        projectId: newProject(),
        from: new Date('2024-01-01T00:00:00.000Z'),
        to: new Date('2025-03-01T00:00:00.000Z'),
        windowSeconds: 60,
        funnel: funnelOf('A', 'B'),
        interval: 'day',
        timezone: 'UTC',
      }),
    ).rejects.toBeInstanceOf(TooManyPeriodsError);
  });
});

describe('several breakdowns at once', () => {
  const people = [
    { id: 'p1', source: 'google', device: 'mobile', country: 'DE', converts: true },
    { id: 'p2', source: 'google', device: 'mobile', country: 'DE', converts: false },
    { id: 'p3', source: 'google', device: 'desktop', country: 'DE', converts: true },
    { id: 'p4', source: undefined, device: 'mobile', country: 'FR', converts: true },
    { id: 'p5', source: 'newsletter', device: undefined, country: 'FR', converts: false },
    { id: 'p6', source: 'google', device: 'mobile', country: 'FR', converts: true },
  ];

  /** The segments by a plain reading: group by the values in the asked order, most at step 1, then by values. */
  function expectedSegments(key: (p: (typeof people)[number]) => string[]) {
    const groups = new Map<string, { values: string[]; counts: [number, number] }>();
    for (const p of people) {
      const values = key(p);
      const group = groups.get(JSON.stringify(values)) ?? { values, counts: [0, 0] };
      group.counts = [group.counts[0] + 1, group.counts[1] + (p.converts ? 1 : 0)];
      groups.set(JSON.stringify(values), group);
    }
    const compare = (a: string[], b: string[]) => {
      for (let i = 0; i < a.length; i++)
        if (a[i] !== b[i]) return (a[i] as string) < (b[i] as string) ? -1 : 1;
      return 0;
    };
    return [...groups.values()]
      .sort((a, b) => b.counts[0] - a.counts[0] || compare(a.values, b.values))
      .map((g) => [g.values, ...g.counts]);
  }

  let projectId: string;
  beforeAll(async () => {
    projectId = newProject();
    await insert(
      projectId,
      people.flatMap((p) => [
        { customer: p.id, at: T0 + HOUR, event: 'A', source: p.source, device: p.device, country: p.country },
        // A later step-1 touchpoint from elsewhere: the touchpoint values are the entry's.
        {
          customer: p.id,
          at: T0 + 2 * HOUR,
          event: 'A',
          source: 'bing',
          device: 'tablet',
          country: p.country,
        },
        ...(p.converts ? [{ customer: p.id, at: T0 + 3 * HOUR, event: 'B' }] : []),
      ]),
    );
  });

  it('splits by touchpoint and customer dimensions together, values in the asked order', async () => {
    const result = await queryCustomFunnel(client, {
      ...cohort(projectId, funnelOf('A', 'B'), DAY),
      breakdown: {
        dimensions: [
          { kind: 'touchpoint', dimension: 'utm_source' },
          { kind: 'customer', dimension: 'country' },
          { kind: 'touchpoint', dimension: 'step1_device' },
        ],
        limit: 10,
        model: DEFAULT_CUSTOMER_MODEL,
      },
    });
    expect(result.steps.map((s) => s.customers)).toEqual([6, 4]);
    expect(result.segments?.map((s) => [s.values, ...s.steps.map((step) => step.customers)])).toEqual(
      expectedSegments((p) => [p.source ?? '', p.country, p.device ?? '']),
    );
    expect(result.segments?.[0]?.value).toBe('google / DE / mobile');
    expect(result.segmentsTruncated).toBe(false);
  });

  it('keeps the combinations with most customers within the limit, and says it cut', async () => {
    const result = await queryCustomFunnel(client, {
      ...cohort(projectId, funnelOf('A', 'B'), DAY),
      breakdown: {
        dimensions: [
          { kind: 'customer', dimension: 'country' },
          { kind: 'touchpoint', dimension: 'step1_device' },
        ],
        limit: 2,
        model: DEFAULT_CUSTOMER_MODEL,
      },
    });
    const all = expectedSegments((p) => [p.country, p.device ?? '']);
    expect(result.segments?.map((s) => [s.values, ...s.steps.map((step) => step.customers)])).toEqual(
      all.slice(0, 2),
    );
    expect(result.segmentsTruncated).toBe(true);
  });

  it('answers one dimension as before: its value, and one value in `values`', async () => {
    const result = await queryCustomFunnel(client, {
      ...cohort(projectId, funnelOf('A', 'B'), DAY),
      breakdown: { dimensions: [{ kind: 'touchpoint', dimension: 'utm_source' }], limit: 10 },
    });
    expect(result.segments?.map((s) => [s.value, s.values])).toEqual([
      ['google', ['google']],
      ['', ['']],
      ['newsletter', ['newsletter']],
    ]);
  });
});
