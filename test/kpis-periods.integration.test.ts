import { seededRandom } from '@waymark/cli';
import {
  hashApiKey,
  insertTouchpoints,
  PERIOD_INTERVALS,
  type PeriodInterval,
  type StoredTouchpoint,
  upsertProject,
} from '@waymark/clickhouse';
import { touchpointOf } from '@waymark/events';
import { buildQueryApp, loadQueryEnv, webhooksFromEnv } from '@waymark/query';
import {
  openTestClickHouse,
  TEST_WEBHOOK_ENV,
  type TestClickHouse,
  testLogger,
  uniqueProjectId,
} from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * KPI periods for every interval, in zones with odd offsets (Kathmandu +5:45, Chatham +12:45/+13:45 with
 * DST, Los Angeles and Berlin with DST), across year boundaries: the periods and their figures against
 * ones computed here from the generated touchpoints, with calendar fields taken from JavaScript's own
 * time-zone rules (Intl) rather than the database's.
 */

let ch: TestClickHouse;
let app: ReturnType<typeof buildQueryApp>;
const projectId = uniqueProjectId('periods');
const API_KEY = 'sk_periods_secret';
const ZONES = ['UTC', 'Europe/Berlin', 'America/Los_Angeles', 'Asia/Kathmandu', 'Pacific/Chatham'];
const HOUR = 3_600_000;

interface Touch {
  customer: string;
  at: number;
  revenue: number | null;
}

/** Touches crowd the New Year of 2026 and 2027 (±36 h), where every zone's calendar disagrees with UTC's. */
function generate(): Touch[] {
  const random = seededRandom(10);
  const boundaries = [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z')];
  const touches: Touch[] = [];
  for (let c = 0; c < 80; c++) {
    for (let n = 1 + Math.floor(random() * 5); n > 0; n--) {
      const near = boundaries[Math.floor(random() * boundaries.length)] ?? 0;
      const at =
        random() < 0.7
          ? near + Math.floor((random() - 0.5) * 72 * HOUR)
          : Date.parse('2025-10-01T00:00:00Z') + Math.floor(random() * 500 * 24 * HOUR);
      touches.push({
        customer: `c${c}`,
        at,
        revenue: random() < 0.3 ? 1 + Math.floor(random() * 100) : null,
      });
    }
  }
  return touches;
}

const touches = generate();

function localDate(at: number, zone: string): { y: number; m: number; d: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { y: part('year'), m: part('month'), d: part('day') };
}

/** The first calendar day of the period holding `at`, as days since 1970-01-01 (a civil date, no zone). */
function periodKey(interval: PeriodInterval, at: number, zone: string): number {
  const { y, m, d } = localDate(at, zone);
  const day = (yy: number, mm: number, dd: number) => Date.UTC(yy, mm - 1, dd) / 86_400_000;
  switch (interval) {
    case 'day':
      return day(y, m, d);
    case 'week':
      // 1970-01-01 was a Thursday: Monday-based weekday = (days + 3) mod 7.
      return day(y, m, d) - ((((day(y, m, d) + 3) % 7) + 7) % 7);
    case 'month':
      return day(y, m, 1);
    case 'quarter':
      return day(y, 3 * Math.ceil(m / 3) - 2, 1);
    case 'year':
      return day(y, 1, 1);
  }
}

function nextKey(interval: PeriodInterval, key: number): number {
  const date = new Date(key * 86_400_000);
  const [y, m] = [date.getUTCFullYear(), date.getUTCMonth()];
  const months = { month: 1, quarter: 3, year: 12 } as const;
  if (interval === 'day') return key + 1;
  if (interval === 'week') return key + 7;
  return Date.UTC(y, m + months[interval], 1) / 86_400_000;
}

/** The instant a civil day begins in a zone: midnight there (offsets settle after two corrections). */
function midnight(key: number, zone: string): number {
  const civil = key * 86_400_000;
  let guess = civil;
  for (let i = 0; i < 3; i++) {
    const { y, m, d } = localDate(guess, zone);
    const hours = Number(
      new Intl.DateTimeFormat('en-GB', {
        timeZone: zone,
        hour: 'numeric',
        minute: 'numeric',
        hourCycle: 'h23',
      })
        .format(guess)
        .replace(':', '.'),
    );
    const localMs = Date.UTC(y, m - 1, d) + Math.floor(hours) * HOUR + Math.round((hours % 1) * 100) * 60_000;
    guess -= localMs - civil;
  }
  return guess;
}

interface Expected {
  start: string;
  end: string;
  activeCustomers: number;
  newCustomers: number;
  orders: number;
  revenue: number;
}

function expectedPeriods(interval: PeriodInterval, zone: string, from: number, to: number): Expected[] {
  const first = periodKey(interval, from, zone);
  const last = periodKey(interval, to - 1, zone);
  const firstSeen = new Map<string, number>();
  for (const t of touches) firstSeen.set(t.customer, Math.min(firstSeen.get(t.customer) ?? t.at, t.at));
  const periods: Expected[] = [];
  for (let key = first; key <= last; key = nextKey(interval, key)) {
    const inPeriod = touches.filter((t) => periodKey(interval, t.at, zone) === key);
    const active = new Set(inPeriod.map((t) => t.customer));
    const orders = inPeriod.filter((t) => t.revenue !== null);
    periods.push({
      start: new Date(midnight(key, zone)).toISOString(),
      end: new Date(midnight(nextKey(interval, key), zone)).toISOString(),
      activeCustomers: active.size,
      newCustomers: [...active].filter((c) => periodKey(interval, firstSeen.get(c) ?? 0, zone) === key)
        .length,
      orders: orders.length,
      revenue: orders.reduce((sum, t) => sum + (t.revenue ?? 0), 0),
    });
  }
  return periods;
}

beforeAll(async () => {
  ch = await openTestClickHouse();
  await upsertProject(ch.client, {
    projectId,
    name: projectId,
    writeKey: `wk_${projectId}`,
    apiKeyHash: hashApiKey(API_KEY),
    allowedOrigins: [],
  });
  const owners = [{ projectId, apiKeyHash: hashApiKey(API_KEY) }];
  app = buildQueryApp({
    logger: testLogger(),
    clickhouse: ch.client,
    webhooks: webhooksFromEnv(loadQueryEnv(TEST_WEBHOOK_ENV)),
    apiKeyOwners: () => owners,
  });
  const rows: StoredTouchpoint[] = touches.map((t, i) => ({
    touchpoint: touchpointOf({
      messageId: `p${i}`,
      projectId,
      type: 'track',
      event: t.revenue === null ? 'Product Viewed' : 'Order Completed',
      userId: t.customer,
      timestamp: t.at,
      receivedAt: t.at,
    }),
    rawKey: `u:${t.customer}`,
    stage: t.revenue === null ? 2 : 5,
    complaint: false,
    revenue: t.revenue ?? 0,
    currency: t.revenue === null ? '' : 'EUR',
    rulesetVersion: 1,
    channel: '',
  }));
  await insertTouchpoints(ch.client, rows);
});

afterAll(async () => {
  await app?.close();
  await ch?.close();
});

const kpis = async (query: string) => {
  const answer = await app.inject({
    method: 'GET',
    url: `/v1/projects/${projectId}/kpis?${query}`,
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  expect(answer.statusCode, answer.body.slice(0, 300)).toBe(200);
  return answer.json() as {
    periods: Array<{ start: string; end: string; kpis: Record<string, number | null> }>;
  };
};

describe('KPI periods', () => {
  it('answers one yearly and four quarterly periods for a calendar year, not a run from 1970', async () => {
    const year = await kpis('from=2026-01-01&to=2027-01-01&interval=year');
    expect(year.periods.map((p) => [p.start, p.end])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ]);
    const quarters = await kpis('from=2026-01-01&to=2027-01-01&interval=quarter');
    expect(quarters.periods.map((p) => p.start)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-04-01T00:00:00.000Z',
      '2026-07-01T00:00:00.000Z',
      '2026-10-01T00:00:00.000Z',
    ]);
  });

  it('reaches the end of the store: years up to 2299, by year and by quarter', async () => {
    const years = await kpis('from=2200-06-01&to=2300-01-01&interval=year');
    expect(years.periods).toHaveLength(100);
    expect(years.periods.at(-1)?.end).toBe('2300-01-01T00:00:00.000Z');
    const quarters = await kpis('from=2250-02-01&to=2300-01-01&interval=quarter');
    expect(quarters.periods).toHaveLength(200);
    expect(quarters.periods[0]?.start).toBe('2250-01-01T00:00:00.000Z');
  });

  const ranges: Record<PeriodInterval, [string, string]> = {
    day: ['2025-12-29T00:00:00Z', '2026-01-04T00:00:00Z'],
    week: ['2025-12-01T00:00:00Z', '2026-02-01T00:00:00Z'],
    month: ['2025-10-15T00:00:00Z', '2027-02-15T00:00:00Z'],
    quarter: ['2025-10-01T00:00:00Z', '2027-03-01T00:00:00Z'],
    year: ['2025-06-01T00:00:00Z', '2027-06-01T00:00:00Z'],
  };
  for (const zone of ZONES) {
    it(`cuts every interval in ${zone} as its calendar does, across New Year`, async () => {
      for (const interval of PERIOD_INTERVALS) {
        const [from, to] = ranges[interval];
        const answer = await kpis(`from=${from}&to=${to}&interval=${interval}&timezone=${zone}`);
        const got = answer.periods.map((p) => ({
          start: p.start,
          end: p.end,
          activeCustomers: p.kpis.activeCustomers,
          newCustomers: p.kpis.newCustomers,
          orders: p.kpis.orders,
          revenue: p.kpis.revenue,
        }));
        expect(got, `${interval} in ${zone}`).toEqual(
          expectedPeriods(interval, zone, Date.parse(from), Date.parse(to)),
        );
      }
    });
  }

  it('answers odd valid time zones and refuses unknown ones with a 400 problem, for KPIs and retention', async () => {
    const odd = [
      'Australia/Lord_Howe',
      'America/St_Johns',
      'Etc/GMT-14',
      'Etc/GMT+12',
      'Asia/Calcutta',
      'EST5EDT',
      'UCT',
      'etc/utc',
      'utc',
      'europe/berlin',
    ];
    const unknown = ['Mars/Olympus', 'UTC+5', '../../etc/passwd', 'Europe/', ''];
    for (const path of ['kpis?interval=quarter&', 'retention?interval=month&']) {
      for (const zone of [...odd, ...unknown]) {
        const answer = await app.inject({
          method: 'GET',
          url: `/v1/projects/${projectId}/${path}from=2026-01-01&to=2027-01-01&timezone=${encodeURIComponent(zone)}`,
          headers: { authorization: `Bearer ${API_KEY}` },
        });
        const what = `${path} ${zone}: ${answer.body.slice(0, 200)}`;
        if (odd.includes(zone)) expect(answer.statusCode, what).toBe(200);
        else
          expect([answer.statusCode, answer.headers['content-type']], what).toEqual([
            400,
            expect.stringContaining('problem+json'),
          ]);
      }
    }
  });
});
