import { seededRandom } from '@waymark/cli';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';

/*
 * KPIs and retention cohorts against figures computed here, from the generated events, with calendar
 * periods taken by JavaScript's own time-zone rules (Intl) rather than the database's.
 */

const stack = usePipeline();
let project: TestProject;
const ZONE = 'Europe/Berlin';
const START = Date.parse('2025-01-01T00:00:00Z');
const END = Date.parse('2026-03-31T00:00:00Z');

interface Touch {
  at: number;
  order?: number;
}
interface Person {
  key: string;
  touches: Touch[];
  channel: string;
}

function generate(count: number): { people: Person[]; events: Record<string, unknown>[] } {
  const random = seededRandom(3);
  const events: Record<string, unknown>[] = [];
  let message = 0;
  const people = Array.from({ length: count }, (_, i): Person => {
    const userId = random() < 0.4 ? `user-${i}` : undefined;
    const devices = userId && random() < 0.3 ? [`anon-${i}`, `phone-${i}`] : [`anon-${i}`];
    const touches: Touch[] = [];
    const first = START + Math.floor(random() * (END - START) * 0.8);
    for (let n = 1 + Math.floor(random() * 8); n > 0; n--) {
      // Some touches land within an hour of a UTC midnight, which is the next or same day in Berlin.
      const day = first + Math.floor(random() * 120) * 86_400_000;
      const at =
        random() < 0.3 ? day - (day % 86_400_000) - 1_800_000 : day + Math.floor(random() * 86_400_000);
      if (at < END)
        touches.push({ at, ...(random() < 0.3 ? { order: 10 + Math.floor(random() * 90) } : {}) });
    }
    touches.sort((a, b) => a.at - b.at);
    // The acquisition channel is the first touchpoint's: a campaign link, or none (direct).
    const channel = random() < 0.5 && touches[0]?.order === undefined ? 'email' : 'direct';
    touches.forEach((touch, n) => {
      const anonymousId = devices[n % devices.length];
      const base = { anonymousId, messageId: `k${message++}`, timestamp: new Date(touch.at) };
      if (touch.order !== undefined) {
        events.push({
          ...base,
          type: 'track',
          event: 'Order Completed',
          userId,
          properties: { revenue: touch.order },
        });
      } else {
        const campaign = n === 0 && channel === 'email' ? '?utm_source=news&utm_medium=email' : '';
        events.push({
          ...base,
          type: 'page',
          context: { page: { url: `https://shop.example/${campaign}` } },
        });
      }
    });
    if (userId) {
      // Each device identifies a minute after its first touch: one customer, touches of both devices.
      for (const anonymousId of devices) {
        const own = touches.filter((_, n) => devices[n % devices.length] === anonymousId)[0];
        if (own === undefined) continue;
        const at = own.at + 60_000;
        touches.push({ at });
        events.push({
          type: 'identify',
          anonymousId,
          userId,
          messageId: `k${message++}`,
          timestamp: new Date(at),
        });
      }
    }
    return { key: userId ? `u:${userId}` : `a:anon-${i}`, touches, channel };
  });
  return { people: people.filter((p) => p.touches.length > 0), events };
}

const { people, events } = generate(260);

const monthOf = (at: number, zone = ZONE) => {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value;
  return `${part('year')}-${part('month')}`;
};
const addMonths = (month: string, n: number) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
};

/** The KPIs of a month, by the definitions of docs/analytics/kpis.md. */
function expectedKpis(month: string) {
  const active = people.filter((p) => p.touches.some((t) => monthOf(t.at) === month));
  const activeBefore = people.filter((p) => p.touches.some((t) => monthOf(t.at) === addMonths(month, -1)));
  const isNew = (p: Person) => monthOf(Math.min(...p.touches.map((t) => t.at))) === month;
  const orders = people.flatMap((p) =>
    p.touches.filter((t) => t.order !== undefined && monthOf(t.at) === month),
  );
  const purchasers = people.filter((p) =>
    p.touches.some((t) => t.order !== undefined && monthOf(t.at) === month),
  );
  const repeat = purchasers.filter(
    (p) => p.touches.filter((t) => t.order !== undefined && monthOf(t.at) <= month).length >= 2,
  );
  const revenue = orders.reduce((sum, t) => sum + (t.order ?? 0), 0);
  const newCustomers = active.filter(isNew).length;
  return {
    activeCustomers: active.length,
    newCustomers,
    purchasers: purchasers.length,
    orders: orders.length,
    revenue,
    orderRevenue: revenue,
    repeatPurchasers: repeat.length,
    averageOrderValue: orders.length === 0 ? null : revenue / orders.length,
    conversionRate: active.length === 0 ? null : purchasers.length / active.length,
    retentionRate: activeBefore.length === 0 ? null : (active.length - newCustomers) / activeBefore.length,
    repeatPurchaseRate: purchasers.length === 0 ? null : repeat.length / purchasers.length,
  };
}

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse);
  for (let i = 0; i < events.length; i += 400) {
    const answer = await postBatch(stack.collectorUrl, project.writeKey, { batch: events.slice(i, i + 400) });
    expect(answer.status).toBe(200);
    expect(answer.body.rejected).toEqual([]);
  }
  await eventually(
    async () => {
      const r = await queryApi<{ customers: unknown[] }>(
        stack.queryUrl,
        project,
        'GET',
        '/customers?limit=1000',
      );
      expect(r.body.customers).toHaveLength(people.length);
    },
    { timeoutMs: 60_000 },
  );
});

describe('KPIs by calendar period', () => {
  it('matches independently computed monthly KPIs, vs the month before and the same month last year', async () => {
    const r = await queryApi<{
      periods: Array<
        Record<string, { start: string; kpis: Record<string, number> }> & {
          start: string;
          end: string;
          kpis: Record<string, number>;
        }
      >;
    }>(
      stack.queryUrl,
      project,
      'GET',
      `/kpis?from=2026-01-15&to=2026-03-01T00:00:00%2B01:00&interval=month&timezone=${encodeURIComponent(ZONE)}`,
    );
    expect(r.status).toBe(200);
    // Periods are whole months in Berlin: 2026-01-01T00:00+01:00 is 2025-12-31T23:00Z.
    expect(r.body.periods.map((p) => [p.start, p.end])).toEqual([
      ['2025-12-31T23:00:00.000Z', '2026-01-31T23:00:00.000Z'],
      ['2026-01-31T23:00:00.000Z', '2026-02-28T23:00:00.000Z'],
    ]);
    const [january, february] = r.body.periods;
    for (const [period, month] of [
      [january, '2026-01'],
      [february, '2026-02'],
    ] as const) {
      expect(period?.kpis).toEqual(expectedKpis(month));
      expect(period?.previousPeriod?.kpis).toEqual(expectedKpis(addMonths(month, -1)));
      expect(period?.samePeriodLastYear?.kpis).toEqual(expectedKpis(addMonths(month, -12)));
    }
    expect(january?.samePeriodLastYear?.start).toBe('2024-12-31T23:00:00.000Z');
    // Enough activity that every figure is exercised.
    expect(expectedKpis('2026-01').repeatPurchasers).toBeGreaterThan(0);
    expect(expectedKpis('2025-01').orders).toBeGreaterThan(0);
  });

  it('cuts weeks Monday to Monday and compares with 52 weeks before', async () => {
    const r = await queryApi<{ periods: Array<{ start: string; samePeriodLastYear: { start: string } }> }>(
      stack.queryUrl,
      project,
      'GET',
      '/kpis?from=2026-02-04&to=2026-02-17&interval=week',
    );
    expect(r.status).toBe(200);
    expect(r.body.periods.map((p) => p.start)).toEqual([
      '2026-02-02T00:00:00.000Z',
      '2026-02-09T00:00:00.000Z',
      '2026-02-16T00:00:00.000Z',
    ]);
    expect(r.body.periods[0]?.samePeriodLastYear.start).toBe('2025-02-03T00:00:00.000Z');
  });

  it('answers an empty range with empty periods, and refuses bad parameters', async () => {
    const empty = await queryApi<{ periods: Array<{ kpis: Record<string, unknown> }> }>(
      stack.queryUrl,
      project,
      'GET',
      '/kpis?from=2020-01-01&to=2020-02-01',
    );
    expect(empty.status).toBe(200);
    expect(empty.body.periods[0]?.kpis).toMatchObject({
      activeCustomers: 0,
      orders: 0,
      conversionRate: null,
    });
    for (const [path, field] of [
      ['/kpis?from=2026-01-01&to=2027-06-01&interval=day', 'interval'],
      ['/kpis?from=2026-01-01&to=2026-02-01&interval=fortnight', 'interval'],
      ['/kpis?from=2026-01-01&to=2026-02-01&timezone=Mars/Olympus', 'timezone'],
      ['/kpis?from=2026-01-01&to=2026-02-01&timezone=UTC%27)--', 'timezone'],
      ['/kpis?from=2026-02-01&to=2026-01-01', 'to'],
      [`/kpis?from=${'9'.repeat(5000)}&to=2026-01-01`, 'from'],
      ['/retention?from=2026-01-01&to=2026-02-01&periods=53', 'periods'],
      ['/retention?from=2026-01-01&to=2026-02-01&interval=year', 'interval'],
      ['/retention?from=2026-01-01&to=2026-02-01&breakdown=shoe', 'breakdown'],
    ] as const) {
      const bad = await queryApi(stack.queryUrl, project, 'GET', path);
      expect(bad.status, path).toBe(400);
      expect(
        (bad.body.errors as { field: string }[]).map((e) => e.field),
        path,
      ).toContain(field);
    }
  });
});

describe('retention cohorts', () => {
  const cohortsOf = (zone: string, segment?: string) => {
    const cohorts: Record<string, { customers: number; retained: number[] }> = {};
    for (const month of ['2025-01', '2025-02', '2025-03']) {
      const members = people.filter(
        (p) =>
          monthOf(Math.min(...p.touches.map((t) => t.at)), zone) === month &&
          (segment === undefined || p.channel === segment),
      );
      if (members.length === 0) continue;
      cohorts[month] = {
        customers: members.length,
        retained: [0, 1, 2, 3].map(
          (k) =>
            members.filter((p) => p.touches.some((t) => monthOf(t.at, zone) === addMonths(month, k))).length,
        ),
      };
    }
    return cohorts;
  };

  it('follows each monthly cohort for the periods after its first touchpoint', async () => {
    const r = await queryApi<{
      cohorts: Array<{ start: string; customers: number; retained: number[]; rates: number[] }>;
    }>(stack.queryUrl, project, 'GET', '/retention?from=2025-01-01&to=2025-04-01&interval=month&periods=3');
    expect(r.status).toBe(200);
    const got = Object.fromEntries(
      r.body.cohorts.map((c) => [c.start.slice(0, 7), { customers: c.customers, retained: c.retained }]),
    );
    expect(got).toEqual(cohortsOf('UTC'));
    const first = r.body.cohorts[0];
    expect(first?.rates[0]).toBe(1);
    expect(first?.rates[1]).toBeCloseTo((first?.retained[1] ?? 0) / (first?.customers ?? 1));
  });

  it('splits cohorts by acquisition channel, in a time zone', async () => {
    const r = await queryApi<{
      cohorts: Array<{ start: string; segment: string; customers: number; retained: number[] }>;
    }>(
      stack.queryUrl,
      project,
      'GET',
      `/retention?from=2025-01-01&to=2025-03-31T22:00:00Z&interval=month&periods=3&breakdown=channel&timezone=${encodeURIComponent(ZONE)}`,
    );
    expect(r.status).toBe(200);
    for (const channel of ['email', 'direct']) {
      const got = Object.fromEntries(
        r.body.cohorts
          .filter((c) => c.segment === channel)
          .map((c) => [monthOf(Date.parse(c.start)), { customers: c.customers, retained: c.retained }]),
      );
      expect(got, channel).toEqual(cohortsOf(ZONE, channel));
    }
  });
});
