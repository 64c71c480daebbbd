import { seededRandom } from '@waymark/cli';
import type { StageFunnelMode } from '@waymark/journey';
import { expectFunnelMatches, type ReferenceTouchpoint, referenceStageFunnel } from '@waymark/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';
import { DAY, HOUR, MINUTE, STAGE_EVENTS } from './support/population.ts';

/*
 * Conversion over time (GET /funnel/stages/trend) against the reference stage funnel of each period's
 * cohort, computed from what was sent: each period must read exactly as the stage funnel of the customers
 * who entered in it.
 */

const stack = usePipeline();
let project: TestProject;

/** A Wednesday, so weeks (Monday to Sunday) cut the range. */
const T0 = Date.UTC(2025, 4, 7);
const RANGE_DAYS = 12;

function generate(shoppers: number, seed: number) {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const events: Record<string, unknown>[] = [];
  const touchpoints: ReferenceTouchpoint[] = [];
  for (let i = 0; i < shoppers; i++) {
    // Entries over the range and a day either side, so the edges' partial periods are exercised.
    let at = T0 - DAY + Math.floor(random() * (RANGE_DAYS + 2) * DAY);
    let stage = random() < 0.85 ? 1 : pick([2, 3]);
    const steps = 1 + Math.floor(random() * 8);
    for (let s = 0; s < steps; s++) {
      const messageId = `trend-${seed}-${i}-${s}`;
      events.push({
        type: 'track',
        event: STAGE_EVENTS[stage],
        anonymousId: `visitor-${i}`,
        messageId,
        timestamp: new Date(at).toISOString(),
      });
      touchpoints.push({ projectId: '', messageId, rawKey: `a:visitor-${i}`, timestamp: at, stage });
      at += pick([1000, 30 * MINUTE, 5 * HOUR, 2 * DAY]);
      stage =
        random() < 0.7 ? Math.min(7, Math.max(stage, 1) + 1) : random() < 0.5 ? Math.max(1, stage - 1) : 0;
    }
  }
  return { events, touchpoints };
}

const sent = generate(160, 7);
const iso = (ms: number) => new Date(ms).toISOString();

interface TrendAnswer {
  interval: string;
  timezone: string;
  periods: Array<{ start: string; entered: number; stages: Array<Record<string, unknown>> }>;
}

const trend = (query: string) =>
  queryApi<TrendAnswer>(stack.queryUrl, project, 'GET', `/funnel/stages/trend?${query}`);

/** Each period's cohort through the reference: entries in [period start, next start) ∩ [from, to). */
function expectPeriodsMatch(
  body: TrendAnswer,
  starts: number[],
  range: { from: number; to: number },
  mode: StageFunnelMode,
  windowMs: number,
) {
  expect(body.periods.map((p) => p.start)).toEqual(starts.map(iso));
  body.periods.forEach((period, i) => {
    const from = Math.max(range.from, starts[i] as number);
    const to = Math.min(range.to, starts[i + 1] ?? range.to);
    const expected = referenceStageFunnel(sent.touchpoints, [], { projectId: '', from, to, windowMs, mode });
    expectFunnelMatches(period, expected, `${mode} ${period.start}`);
  });
}

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse, 'trend');
  for (let i = 0; i < sent.events.length; i += 200) {
    const batch = sent.events.slice(i, i + 200);
    await eventually(async () => {
      expect((await postBatch(stack.collectorUrl, project.writeKey, { batch })).status).toBe(200);
    });
  }
  const everyone = referenceStageFunnel(sent.touchpoints, [], {
    projectId: '',
    from: T0 - 2 * DAY,
    to: T0 + (RANGE_DAYS + 2) * DAY,
    windowMs: 30 * DAY,
    mode: 'reached',
  });
  await eventually(
    async () => {
      const { body } = await queryApi<{ entered: number; stages: Array<{ customers: number }> }>(
        stack.queryUrl,
        project,
        'GET',
        `/funnel/stages?from=${iso(T0 - 2 * DAY)}&to=${iso(T0 + (RANGE_DAYS + 2) * DAY)}`,
      );
      expect(body.stages.map((s) => s.customers)).toEqual(everyone.stages.map((s) => s.customers));
    },
    { timeoutMs: 60_000 },
  );
});

describe('GET /funnel/stages/trend', () => {
  it('gives each day of entry the stage funnel of the customers who entered that day, in every mode', async () => {
    const range = { from: T0, to: T0 + RANGE_DAYS * DAY };
    const starts = Array.from({ length: RANGE_DAYS }, (_, d) => T0 + d * DAY);
    for (const mode of ['reached', 'ordered', 'strict'] as const) {
      const { status, body } = await trend(
        `from=${iso(range.from)}&to=${iso(range.to)}&interval=day&mode=${mode}`,
      );
      expect(status).toBe(200);
      expect(body).toMatchObject({ interval: 'day', timezone: 'UTC' });
      expectPeriodsMatch(body, starts, range, mode, 30 * DAY);
    }
  });

  it('cuts weeks on Mondays in the time zone, partial at the edges, and applies the window', async () => {
    // 2025-05-07 10:00 to 2025-05-19 10:00 in New York (UTC−4 in May): the weeks of May 5, 12 and 19.
    const range = { from: T0 + 14 * HOUR, to: T0 + RANGE_DAYS * DAY + 14 * HOUR };
    const monday = (day: number) => Date.UTC(2025, 4, day, 4);
    const { status, body } = await trend(
      `from=${iso(range.from)}&to=${iso(range.to)}&interval=week&timezone=America/New_York&window=1d`,
    );
    expect(status).toBe(200);
    expectPeriodsMatch(body, [monday(5), monday(12), monday(19)], range, 'reached', DAY);
    expect(body.periods.reduce((n, p) => n + p.entered, 0)).toBeGreaterThan(100);
  });

  it('lists a period nobody entered in with zero customers and no times', async () => {
    const { status, body } = await trend('from=2020-01-01&to=2020-01-03&interval=day');
    expect(status).toBe(200);
    expect(body.periods).toHaveLength(2);
    for (const period of body.periods) {
      expect(period.entered).toBe(0);
      expect(period.stages.map((s) => s.customers)).toEqual([0, 0, 0, 0, 0, 0, 0]);
      expect(period.stages[1]).toMatchObject({
        medianSecondsFromPrevious: null,
        p90SecondsFromPrevious: null,
      });
    }
  });

  it('refuses malformed, oversized and hostile parameters with a 400 problem naming them', async () => {
    const cases: Array<[string, string]> = [
      ['from=2025-01-01&to=2026-03-01&interval=day', 'interval'],
      ['from=2025-01-01&to=2025-02-01&interval=hour', 'interval'],
      ['from=2025-01-01&to=2025-02-01&timezone=Mars/Olympus', 'timezone'],
      ['from=2025-01-01&to=2025-02-01&timezone=%3Cscript%3E', 'timezone'],
      ['from=2025-02-01&to=2025-01-01', 'to'],
      ['from=2025-01-01&to=2025-02-01&breakdown=country', 'breakdown'],
      ['from=2025-01-01&to=2025-02-01&__proto__=x', '__proto__'],
      [`from=2025-01-01&to=2025-02-01&country=${'x'.repeat(201)}`, 'country.0'],
    ];
    for (const [query, field] of cases) {
      const { status, body } = await queryApi<{ code: string; errors: Array<{ field: string }> }>(
        stack.queryUrl,
        project,
        'GET',
        `/funnel/stages/trend?${query}`,
      );
      expect(status, query).toBe(400);
      expect(body.code, query).toBe('INVALID_REQUEST');
      expect(
        body.errors.map((e) => e.field),
        query,
      ).toContain(field);
    }
  });
});
