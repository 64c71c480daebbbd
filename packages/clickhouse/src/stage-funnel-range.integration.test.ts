import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { touchpointOf } from '@waymark/events';
import { rawKeyOf, type StageFunnelMode } from '@waymark/journey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { runMigrations } from './migrations.ts';
import { queryStageFunnel, queryStageFunnelTrend } from './stage-funnel.query.ts';
import { insertTouchpoints, type StoredTouchpoint } from './touchpoints.ts';

/*
 * A stage funnel from one stage to another (decision 0034), consideration → purchase, on hand-built
 * customers whose counts per mode are worked out below from docs/analytics/stage-funnel.md: the cohort
 * enters at its first touchpoint staged consideration or later, the window runs from there.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 4, 5);
const WINDOW = 10 * DAY;
const PROJECT = 'stage_range';

let dir: string;
let client: ClickHouseClient;
let messageSeq = 0;

/** Each customer's staged touchpoints: [stage, time]. */
const CUSTOMERS: Record<string, Array<[stage: number, at: number]>> = {
  // The whole way: counted at 2–5 in every mode.
  straight: [
    [1, 0],
    [2, HOUR],
    [3, 2 * HOUR],
    [4, 3 * HOUR],
    [5, 4 * HOUR],
  ],
  // Skips evaluation and selection: reached counts it at 3–5 (a later stage reaches them), ordered and
  // strict at consideration only.
  skips: [
    [1, 0],
    [2, HOUR],
    [5, 3 * HOUR],
  ],
  // Enters the range at selection: in the cohort; reached counts it at 2–5, ordered and strict nowhere
  // (no consideration touchpoint).
  enters_late: [
    [1, 0],
    [4, 5 * HOUR],
    [5, 6 * HOUR],
  ],
  // Discovered before `from`, considered after it: in the range's cohort (not in the whole journey's).
  discovered_before: [
    [1, -2 * DAY],
    [2, 2 * HOUR],
    [3, 3 * HOUR],
  ],
  // Back to discovery between consideration and evaluation: strict stops at consideration.
  goes_back: [
    [2, HOUR],
    [1, 2 * HOUR],
    [3, 3 * HOUR],
  ],
  // Evaluation a millisecond after the window closes: consideration only.
  too_late: [
    [2, HOUR],
    [3, HOUR + WINDOW + 1],
  ],
  // Never in the range, and entering it before `from`: not in the cohort.
  only_discovery: [[1, HOUR]],
  considered_before: [
    [2, -HOUR],
    [3, HOUR],
  ],
};

function stored(customer: string, stage: number, at: number): StoredTouchpoint {
  const ids = { anonymousId: customer, userId: null };
  return {
    touchpoint: touchpointOf({
      messageId: `m${++messageSeq}`,
      projectId: PROJECT,
      type: 'track',
      event: `stage ${stage}`,
      ...ids,
      timestamp: T0 + at,
      receivedAt: T0 + at + 80,
      properties: '{}',
    }),
    rawKey: rawKeyOf(ids),
    stage,
    complaint: false,
    revenue: 0,
    currency: '',
    rulesetVersion: 1,
    channel: '',
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-stage-range-'));
  client = await createClickHouse({ dataDir: dir });
  await runMigrations(client);
  await insertTouchpoints(
    client,
    Object.entries(CUSTOMERS).flatMap(([customer, touchpoints]) =>
      touchpoints.map(([stage, at]) => stored(customer, stage, at)),
    ),
  );
});

afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

const range = (mode: StageFunnelMode) => ({
  projectId: PROJECT,
  from: new Date(T0),
  to: new Date(T0 + DAY),
  windowSeconds: WINDOW / 1000,
  mode,
  stages: { from: 2, to: 5 } as const,
});

describe('a stage funnel from consideration to purchase', () => {
  // Cohort: straight, skips, enters_late, discovered_before, goes_back, too_late.
  const expected: Record<StageFunnelMode, number[]> = {
    reached: [6, 5, 3, 3],
    // Consideration: all but enters_late; evaluation: straight, discovered_before, goes_back.
    ordered: [5, 3, 1, 1],
    // As ordered, but goes_back's discovery breaks the chain after consideration.
    strict: [5, 2, 1, 1],
  };

  for (const mode of ['reached', 'ordered', 'strict'] as const) {
    it(`counts the cohort entering at consideration or later, ${mode}`, async () => {
      const funnel = await queryStageFunnel(client, range(mode));
      expect(funnel.entered).toBe(6);
      expect(funnel.stages.map((s) => s.stage)).toEqual([
        'consideration',
        'evaluation',
        'selection',
        'purchase',
      ]);
      expect(funnel.stages.map((s) => s.customers)).toEqual(expected[mode]);
      const start = expected[mode][0] as number;
      expect(funnel.stages.map((s) => s.conversionFromStart)).toEqual(expected[mode].map((n) => n / start));
      expect(funnel.stages[0]).toMatchObject({
        medianSecondsFromPrevious: null,
        p90SecondsFromPrevious: null,
      });
    });
  }

  it('times each stage from the previous one, the first from nothing', async () => {
    const funnel = await queryStageFunnel(client, range('ordered'));
    // Consideration → evaluation: straight 1 h, discovered_before 1 h, goes_back 2 h.
    expect(funnel.stages[1]?.medianSecondsFromPrevious).toBe(3600);
    expect(funnel.stages[1]?.p90SecondsFromPrevious).toBe(6480);
  });

  it('has a time-to-convert histogram per stage after the first, from the previous stage', async () => {
    const funnel = await queryStageFunnel(client, range('reached'));
    expect(funnel.stages[0]?.timeToConvert).toBeNull();
    // Into evaluation: enters_late 0 (both at its entry), straight and discovered_before 1 h, skips and
    // goes_back 2 h. A ten-day window: from 0, 1 m, 5 m, 15 m, 1 h, 6 h, 1 d, 3 d, and [7 d, 10 d].
    expect(funnel.stages[1]?.timeToConvert?.map((b) => b.customers)).toEqual([1, 0, 0, 0, 4, 0, 0, 0, 0]);
    expect(funnel.stages[1]?.timeToConvert?.at(-1)).toMatchObject({
      fromSeconds: 604_800,
      toSeconds: 864_000,
    });
  });

  it('cuts the trend by the period of the range entry', async () => {
    const periods = await queryStageFunnelTrend(client, {
      ...range('reached'),
      interval: 'day',
      timezone: 'UTC',
    });
    expect(periods.map((p) => [p.start, p.entered, ...p.stages.map((s) => s.customers)])).toEqual([
      [new Date(T0).toISOString(), 6, 6, 5, 3, 3],
    ]);
  });

  it('is the whole journey without a range', async () => {
    const funnel = await queryStageFunnel(client, { ...range('reached'), stages: undefined });
    // Entered by first staged touchpoint in the day: all but discovered_before and considered_before.
    expect(funnel.entered).toBe(6);
    expect(funnel.stages).toHaveLength(7);
  });

  it('refuses a range that does not run forwards', async () => {
    await expect(
      queryStageFunnel(client, { ...range('reached'), stages: { from: 5, to: 2 } }),
    ).rejects.toThrow(/stage range/);
  });
});
