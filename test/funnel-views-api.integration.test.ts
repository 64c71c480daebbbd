import { hashApiKey, insertTouchpoints, type StoredTouchpoint, upsertProject } from '@waymark/clickhouse';
import { touchpointOf } from '@waymark/events';
import { rawKeyOf } from '@waymark/journey';
import { buildQueryApp, loadQueryEnv, webhooksFromEnv } from '@waymark/query';
import { openTestClickHouse, TEST_WEBHOOK_ENV, type TestClickHouse, testLogger } from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The funnel views of decision 0034 through the HTTP API: several breakdowns, the time-to-convert
 * histogram, the custom funnel per period and the stage range, answered from a few touchpoints, and every
 * malformed, oversized or hostile value of their new fields refused with a 400 naming the field.
 */

let ch: TestClickHouse;
let app: ReturnType<typeof buildQueryApp>;
const PROJECT = 'funnel_views';
const API_KEY = 'sk_funnel_views_secret';
const T0 = Date.UTC(2026, 2, 2, 10);
const HOUR = 3_600_000;

function stored(
  customer: string,
  at: number,
  event: string,
  stage: number,
  source?: string,
): StoredTouchpoint {
  const ids = { anonymousId: customer, userId: null };
  return {
    touchpoint: touchpointOf({
      messageId: `${customer}-${at}-${event}`,
      projectId: PROJECT,
      type: 'track',
      event,
      ...ids,
      timestamp: at,
      receivedAt: at + 50,
      campaignSource: source ?? null,
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
  ch = await openTestClickHouse();
  await upsertProject(ch.client, {
    projectId: PROJECT,
    name: PROJECT,
    writeKey: 'wk_funnel_views',
    apiKeyHash: hashApiKey(API_KEY),
    allowedOrigins: [],
  });
  await insertTouchpoints(ch.client, [
    stored('a', T0, 'Viewed', 2, 'google'),
    stored('a', T0 + HOUR, 'Bought', 5),
    stored('b', T0, 'Viewed', 2, 'google'),
    stored('c', T0 + 25 * HOUR, 'Viewed', 2),
    stored('c', T0 + 25 * HOUR + 90_000, 'Bought', 5),
  ]);
  app = buildQueryApp({
    logger: testLogger(),
    clickhouse: ch.client,
    webhooks: webhooksFromEnv(loadQueryEnv(TEST_WEBHOOK_ENV)),
    apiKeyOwners: () => [{ projectId: PROJECT, apiKeyHash: hashApiKey(API_KEY) }],
  });
});

afterAll(async () => {
  await app?.close();
  await ch?.close();
});

const headers = { authorization: `Bearer ${API_KEY}` };
const post = (path: string, body: unknown) =>
  app.inject({ method: 'POST', url: `/v1/projects/${PROJECT}${path}`, headers, payload: body as object });
const get = (path: string) => app.inject({ method: 'GET', url: `/v1/projects/${PROJECT}${path}`, headers });
const funnel = {
  from: '2026-03-02',
  to: '2026-03-04',
  window: '1d',
  steps: [{ event: 'Viewed' }, { event: 'Bought' }],
};
const fieldsOf = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);

describe('several breakdowns', () => {
  it('answers the combinations with their values, and one name as before', async () => {
    const several = await post('/funnels', { ...funnel, breakdown: ['utm_source', 'step1_device'] });
    expect(several.statusCode).toBe(200);
    expect(several.json().breakdown).toMatchObject({
      dimension: 'utm_source / step1_device',
      dimensions: ['utm_source', 'step1_device'],
      truncated: false,
    });
    expect(
      several
        .json()
        .breakdown.segments.map((s: { value: string; values: string[]; steps: { customers: number }[] }) => [
          s.value,
          s.values,
          s.steps.map((step) => step.customers),
        ]),
    ).toEqual([
      ['google / ', ['google', ''], [2, 1]],
      [' / ', ['', ''], [1, 1]],
    ]);
    const one = await post('/funnels', { ...funnel, breakdown: 'utm_source' });
    expect(one.json().breakdown).toMatchObject({ dimension: 'utm_source', dimensions: ['utm_source'] });
    expect(one.json().breakdown.segments[0]).toMatchObject({ value: 'google', values: ['google'] });
  });

  it('refuses too many, repeated, unknown, empty and non-string dimensions, naming the field', async () => {
    for (const breakdown of [
      ['utm_source', 'utm_medium', 'utm_campaign', 'country'],
      ['utm_source', 'utm_source'],
      ['utm_source', "country'; DROP TABLE touchpoints --"],
      ['utm_source', 'x'.repeat(100_000)],
      [],
      [1, 2],
      { dimension: 'utm_source' },
    ]) {
      const r = await post('/funnels', { ...funnel, breakdown });
      expect(r.statusCode, JSON.stringify(breakdown).slice(0, 60)).toBe(400);
      expect(fieldsOf(r.json())[0], JSON.stringify(breakdown).slice(0, 60)).toMatch(/^breakdown/);
    }
  });
});

describe('the time-to-convert histogram', () => {
  it('answers every bucket of the window per step, adding up to its customers', async () => {
    const r = await post('/funnels', funnel);
    const [first, second] = r.json().steps;
    expect(first.timeToConvert).toBeNull();
    // a: 1 h (the [1 h, 6 h) bucket); c: 90 s ([1 m, 5 m)).
    expect(second.customers).toBe(2);
    expect(second.timeToConvert.map((b: { customers: number }) => b.customers)).toEqual([0, 1, 0, 0, 1, 0]);
    expect(second.timeToConvert.at(-1)).toEqual({ fromSeconds: 21_600, toSeconds: 86_400, customers: 0 });
  });
});

describe('POST /funnels/trend', () => {
  it('answers the funnel per day of entry in the zone', async () => {
    const r = await post('/funnels/trend', { ...funnel, interval: 'day', timezone: 'Europe/Berlin' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ interval: 'day', timezone: 'Europe/Berlin', order: 'ordered' });
    // [2026-03-02T00:00Z, 2026-03-04T00:00Z) touches three Berlin days (01:00 Berlin on each side).
    expect(
      r
        .json()
        .periods.map((p: { start: string; steps: { customers: number }[] }) => [
          p.start,
          ...p.steps.map((s) => s.customers),
        ]),
    ).toEqual([
      ['2026-03-01T23:00:00.000Z', 2, 1],
      ['2026-03-02T23:00:00.000Z', 1, 1],
      ['2026-03-03T23:00:00.000Z', 0, 0],
    ]);
  });

  it('refuses a bad interval, an unknown or hostile zone, a breakdown and too many periods', async () => {
    const cases: Array<[body: Record<string, unknown>, field: string]> = [
      [{ interval: 'hour' }, 'interval'],
      [{ interval: ['day'] }, 'interval'],
      [{ timezone: 'Mars/Olympus_Mons' }, 'timezone'],
      [{ timezone: "UTC'); DROP TABLE touchpoints --" }, 'timezone'],
      [{ timezone: 'Europe/'.repeat(1000) }, 'timezone'],
      // Refused as a key of the body the route does not know.
      [{ breakdown: 'utm_source' }, ''],
      [{ from: '2020-01-01', to: '2026-01-01', interval: 'day' }, 'interval'],
    ];
    for (const [extra, field] of cases) {
      const r = await post('/funnels/trend', { ...funnel, ...extra });
      expect(r.statusCode, JSON.stringify(extra).slice(0, 60)).toBe(400);
      expect(fieldsOf(r.json()), JSON.stringify(extra).slice(0, 60)).toContain(field);
    }
  });
});

describe('a stage funnel between two stages', () => {
  it('answers only the stages of the range, named in the answer', async () => {
    const r = await get('/funnel/stages?from=2026-03-02&to=2026-03-04&fromStage=consideration&toStage=5');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ fromStage: 'consideration', toStage: 'purchase', entered: 3 });
    expect(r.json().stages.map((s: { stage: string; customers: number }) => [s.stage, s.customers])).toEqual([
      ['consideration', 3],
      ['evaluation', 2],
      ['selection', 2],
      ['purchase', 2],
    ]);
    const trend = await get(
      '/funnel/stages/trend?from=2026-03-02&to=2026-03-04&fromStage=2&toStage=purchase&interval=day',
    );
    expect(trend.statusCode).toBe(200);
    expect(
      trend.json().periods.map((p: { entered: number; stages: unknown[] }) => [p.entered, p.stages.length]),
    ).toEqual([
      [2, 4],
      [1, 4],
    ]);
    const whole = await get('/funnel/stages?from=2026-03-02&to=2026-03-04');
    expect(whole.json()).toMatchObject({ fromStage: 'discovery', toStage: 'advocacy' });
    expect(whole.json().stages).toHaveLength(7);
  });

  it('refuses a range that does not run forwards, unknown stages and repeated parameters', async () => {
    for (const [query, field] of [
      ['fromStage=purchase&toStage=consideration', 'toStage'],
      ['fromStage=purchase&toStage=purchase', 'toStage'],
      ['fromStage=7', 'toStage'],
      ['fromStage=0', 'fromStage'],
      ['fromStage=8', 'fromStage'],
      ['toStage=Purchase', 'toStage'],
      ['fromStage=2.0', 'fromStage'],
      ["fromStage=consideration'--", 'fromStage'],
      ['fromStage=2&fromStage=3', 'fromStage'],
      [`toStage=${'5'.repeat(10_000)}`, 'toStage'],
    ] as const) {
      const r = await get(`/funnel/stages?from=2026-03-02&to=2026-03-04&${query}`);
      expect(r.statusCode, query.slice(0, 60)).toBe(400);
      expect(fieldsOf(r.json()), query.slice(0, 60)).toContain(field);
    }
  });
});
