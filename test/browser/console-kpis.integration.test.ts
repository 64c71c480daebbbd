/// <reference lib="dom" />

import { seededRandom } from '@waymark/cli';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  type TestProject,
  usePipeline,
} from '../support/pipeline.ts';
import { DAY, HOUR, MINUTE } from '../support/population.ts';
import {
  expectCleanPage,
  launchConsoleBrowser,
  openPage as openRecordedPage,
  poll,
  screenshot,
  seriousViolations,
  shownRows,
  signIn as signInAs,
} from './support/console-page.ts';

/*
 * The KPIs and Retention screens in a real Chromium against the whole pipeline. Every figure shown is
 * checked against one computed here from the events sent, by a plain reading of docs/analytics/kpis.md,
 * with calendar periods cut by JavaScript's own time-zone rules (Intl). A few customers touch the shop at
 * 23:30 UTC on a month's last day, which is the next month in Europe/Berlin, so the time zone picker
 * changes the figures.
 */

const stack = usePipeline();
let project: TestProject;
let browser: Browser;

const BERLIN = 'Europe/Berlin';
const NOW = Date.now();
const HISTORY_FROM = Date.parse('2024-10-01T00:00:00Z');
/** No generated touch falls in the last days of 2025, so 2025-12-30 is empty and 2025-12-31 is new. */
const QUIET_FROM = Date.parse('2025-12-20T00:00:00Z');
const QUIET_TO = Date.parse('2026-01-02T00:00:00Z');

interface Touch {
  readonly at: number;
  readonly order?: number;
}
interface Person {
  readonly key: string;
  readonly channel: 'email' | 'direct';
  readonly touches: Touch[];
}

/** Customers over 18 months, a few at a Berlin month boundary, and a few in the last two months. */
function generate(): { people: Person[]; events: Record<string, unknown>[] } {
  const random = seededRandom(13);
  const people: Person[] = [];
  const history = (from: number, to: number, later: (first: number) => number) => {
    const first = from + Math.floor(random() * (to - from));
    const touches: Touch[] = [{ at: first }];
    for (let n = Math.floor(random() * 7); n > 0; n--) {
      const at = later(first);
      if ((at >= QUIET_FROM && at < QUIET_TO) || at >= NOW - HOUR) continue;
      touches.push({ at, ...(random() < 0.4 ? { order: 5 + Math.floor(random() * 245) } : {}) });
    }
    return touches.sort((a, b) => a.at - b.at);
  };
  for (let i = 0; i < 150; i++) {
    const touches = history(HISTORY_FROM, QUIET_FROM, (first) => {
      const day = first + Math.floor(random() * 150) * DAY;
      // Some touches at 23:30 UTC: the next day (and on a month's last day, the next month) in Berlin.
      return random() < 0.3 ? day - (day % DAY) + 23 * HOUR + 30 * MINUTE : day;
    });
    people.push({ key: `a:shopper-${i}`, channel: random() < 0.5 ? 'email' : 'direct', touches });
  }
  // November in UTC, December in Berlin; two of them order at once.
  for (let i = 0; i < 4; i++) {
    const at = Date.parse('2025-11-30T23:30:00Z');
    people.push({
      key: `a:midnight-${i}`,
      channel: 'direct',
      touches: [{ at }, ...(i < 2 ? [{ at: at + 10 * MINUTE, order: 40 + i }] : [])],
    });
  }
  // The last day of 2025 in both zones, one of them back at 23:30 UTC (New Year's Day in Berlin).
  for (let i = 0; i < 3; i++) {
    const at = Date.parse('2025-12-31T10:00:00Z');
    const touches: Touch[] = [{ at }, { at: at + HOUR, order: 100 + 10 * i }];
    if (i === 0) touches.push({ at: Date.parse('2025-12-31T23:30:00Z'), order: 70 });
    people.push({ key: `a:new-year-${i}`, channel: 'email', touches });
  }
  // First seen last month or this month (UTC): their cohorts' later periods have not begun.
  const thisMonth = new Date(NOW);
  const lastMonth = Date.UTC(thisMonth.getUTCFullYear(), thisMonth.getUTCMonth() - 1, 1);
  for (let i = 0; i < 12; i++) {
    const touches = history(lastMonth, NOW - 2 * HOUR, (first) => first + random() * (NOW - HOUR - first));
    people.push({ key: `a:recent-${i}`, channel: i % 2 === 0 ? 'email' : 'direct', touches });
  }

  let message = 0;
  const events = people.flatMap((person) =>
    person.touches.map((touch, n): Record<string, unknown> => {
      const base = {
        anonymousId: person.key.slice(2),
        messageId: `kpi-${message++}`,
        timestamp: new Date(touch.at).toISOString(),
      };
      if (touch.order !== undefined) {
        return { ...base, type: 'track', event: 'Order Completed', properties: { revenue: touch.order } };
      }
      // The acquisition channel is the first touchpoint's: an email campaign's link, or none (direct).
      const campaign = n === 0 && person.channel === 'email' ? '?utm_source=news&utm_medium=email' : '';
      return { ...base, type: 'page', context: { page: { url: `https://shop.example/${campaign}` } } };
    }),
  );
  return { people, events };
}

const { people, events } = generate();

type Interval = 'day' | 'month' | 'quarter';

/** A period's number: consecutive periods differ by one (days are counted from 1970-01-01). */
function periodOf(at: number, zone: string, interval: Interval): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(at);
  const field = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const [year, month, day] = [field('year'), field('month'), field('day')];
  if (interval === 'month') return year * 12 + month - 1;
  if (interval === 'quarter') return year * 4 + Math.floor((month - 1) / 3);
  return Date.UTC(year, month - 1, day) / DAY;
}

/** The same period a calendar year before (docs/analytics/kpis.md). */
function yearBefore(period: number, interval: Interval): number {
  if (interval === 'month') return period - 12;
  if (interval === 'quarter') return period - 4;
  const date = new Date(period * DAY);
  return Date.UTC(date.getUTCFullYear() - 1, date.getUTCMonth(), date.getUTCDate()) / DAY;
}

type Kpis = ReturnType<typeof expectedKpis>;

/** A period's KPIs, by the definitions of docs/analytics/kpis.md. */
function expectedKpis(period: number, zone: string, interval: Interval) {
  const of = (t: Touch) => periodOf(t.at, zone, interval);
  const active = people.filter((p) => p.touches.some((t) => of(t) === period));
  const activeBefore = people.filter((p) => p.touches.some((t) => of(t) === period - 1));
  const newCustomers = active.filter((p) => of(p.touches[0] as Touch) === period).length;
  const orders = people.flatMap((p) => p.touches.filter((t) => t.order !== undefined && of(t) === period));
  const purchasers = people.filter((p) => p.touches.some((t) => t.order !== undefined && of(t) === period));
  const repeat = purchasers.filter(
    (p) => p.touches.filter((t) => t.order !== undefined && of(t) <= period).length >= 2,
  );
  const revenue = orders.reduce((sum, t) => sum + (t.order ?? 0), 0);
  return {
    conversionRate: active.length === 0 ? null : purchasers.length / active.length,
    orders: orders.length,
    revenue,
    averageOrderValue: orders.length === 0 ? null : revenue / orders.length,
    activeCustomers: active.length,
    newCustomers,
    retentionRate: activeBefore.length === 0 ? null : (active.length - newCustomers) / activeBefore.length,
    repeatPurchaseRate: purchasers.length === 0 ? null : repeat.length / purchasers.length,
  };
}

// The screen's wording, as a user reads it.
const KINDS = {
  conversionRate: 'rate',
  orders: 'count',
  revenue: 'money',
  averageOrderValue: 'money',
  activeCustomers: 'count',
  newCustomers: 'count',
  retentionRate: 'rate',
  repeatPurchaseRate: 'rate',
} as const satisfies Record<keyof Kpis, string>;
const NO_VALUE = {
  conversionRate: 'no active customers',
  averageOrderValue: 'no orders',
  retentionRate: 'no customers the period before',
  repeatPurchaseRate: 'no purchasers',
} as Partial<Record<keyof Kpis, string>>;
const count = (n: number) => n.toLocaleString('en-US');
const money = (n: number) =>
  n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;
const shown = (key: keyof Kpis, value: number) =>
  KINDS[key] === 'count' ? count(value) : KINDS[key] === 'money' ? money(value) : percent(value);
const signed = (value: number, format: (size: number) => string) =>
  `${value > 0 ? '+' : value < 0 ? '−' : '±'}${format(Math.abs(value))}`;

/** A change as the card states it: arrow, direction in words, absolute, relative ("new" against 0). */
function changeText(key: keyof Kpis, current: number | null, base: number | null): string {
  if (current === null || base === null) return 'not comparable';
  const absolute = current - base;
  const [arrow, word] = absolute > 0 ? ['▲', 'up'] : absolute < 0 ? ['▼', 'down'] : ['▶', 'unchanged'];
  const delta = signed(absolute, (size) =>
    KINDS[key] === 'rate' ? `${(size * 100).toFixed(1)} pp` : shown(key, size),
  );
  const relative = base !== 0 ? ` (${signed(current / base - 1, percent)})` : absolute !== 0 ? ' (new)' : '';
  return `${arrow} ${word} ${delta}${relative}`;
}

/** The cards of a period: KPI, value, change vs the period before, change vs the same period last year. */
function expectedCards(period: number, zone: string, interval: Interval): string[][] {
  const now = expectedKpis(period, zone, interval);
  const before = expectedKpis(period - 1, zone, interval);
  const lastYear = expectedKpis(yearBefore(period, interval), zone, interval);
  return (Object.keys(KINDS) as Array<keyof Kpis>).map((key) => {
    const value = now[key];
    return [
      key,
      value === null ? `No value: ${NO_VALUE[key] ?? ''}` : shown(key, value),
      changeText(key, value, before[key]),
      changeText(key, value, lastYear[key]),
    ];
  });
}

/** The table's rows for periods `first` … `last`: each KPI's value, — for none. */
function expectedTable(first: number, last: number, zone: string, interval: Interval): string[][] {
  const rows: string[][] = [];
  for (let period = first; period <= last; period++) {
    const kpis = expectedKpis(period, zone, interval);
    rows.push(
      (Object.keys(KINDS) as Array<keyof Kpis>).map((key) => {
        const value = kpis[key];
        return value === null ? '—' : shown(key, value);
      }),
    );
  }
  return rows;
}

/** Monthly cohorts `first` … `last` followed for `periods` months; null for a month not begun. */
function expectedCohorts(first: number, last: number, periods: number, zone: string, split: boolean) {
  const current = periodOf(NOW, zone, 'month');
  const rows: string[][] = [];
  for (let cohort = first; cohort <= last; cohort++) {
    for (const segment of split ? (['email', 'direct'] as const) : [undefined]) {
      const members = people.filter(
        (p) =>
          periodOf(p.touches[0]?.at ?? 0, zone, 'month') === cohort &&
          (segment === undefined || p.channel === segment),
      );
      if (members.length === 0) continue;
      const cells = Array.from({ length: periods + 1 }, (_, k) => {
        if (cohort + k > current) return null;
        return members.filter((p) => p.touches.some((t) => periodOf(t.at, zone, 'month') === cohort + k))
          .length;
      });
      const month = `${Math.floor(cohort / 12)}-${String((cohort % 12) + 1).padStart(2, '0')}-01`;
      rows.push([
        month,
        ...(segment ? [segment] : []),
        count(members.length),
        ...cells.map((n) => (n === null ? '' : `${count(n)} · ${percent(n / members.length)}`)),
      ]);
    }
  }
  return rows;
}

const openPage = (viewport?: { width: number; height: number }) =>
  openRecordedPage(browser, stack.queryUrl, viewport);
const signIn = (page: Page) => signInAs(page, project);
const shownCards = (page: Page) =>
  page.$$eval('.kpi-card', (cards) =>
    cards.map((card) => [
      card.getAttribute('data-kpi') ?? '',
      card.querySelector('.kpi-value')?.textContent ?? '',
      ...Array.from(card.querySelectorAll('dd')).map((dd) => dd.textContent ?? ''),
    ]),
  );
/** The retention table as shown: the cohort's first day, then every cell. */
const shownCohorts = (page: Page) =>
  page.$$eval('table.retention-figures tbody tr', (rows) =>
    rows.map((row) => [
      row.querySelector('th')?.textContent ?? '',
      ...Array.from(row.querySelectorAll('td')).map((cell) => cell.textContent ?? ''),
    ]),
  );
const search = (page: Page, name: string) => new URL(page.url()).searchParams.get(name);
const alertOf = async (page: Page) => {
  const alert = page.getByRole('alert');
  await alert.waitFor();
  return alert.textContent();
};

const DEC_2025 = 2025 * 12 + 11;

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  project = await createTestProject(stack.clickhouse, 'console-kpis');
  for (let i = 0; i < events.length; i += 400) {
    await eventually(async () => {
      const answer = await postBatch(stack.collectorUrl, project.writeKey, {
        batch: events.slice(i, i + 400),
      });
      expect(answer.status).toBe(200);
      expect(answer.body.rejected).toEqual([]);
    });
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

afterAll(async () => {
  await browser?.close();
});

describe('the KPIs screen', () => {
  it('shows the last period’s KPIs with their changes and lines, and every period in the table', async () => {
    // The data set exercises what the cards must state: the Berlin boundary moves customers between months.
    expect(expectedKpis(DEC_2025, BERLIN, 'month')).not.toEqual(expectedKpis(DEC_2025, 'UTC', 'month'));
    expect(expectedKpis(DEC_2025 - 1, BERLIN, 'month').orders).toBeGreaterThan(0);
    expect(expectedKpis(DEC_2025 - 12, BERLIN, 'month').orders).toBeGreaterThan(0);

    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/kpis?from=2025-10-01&to=2026-01-01&interval=month&timezone=${BERLIN}`);
    await signIn(page);
    await poll(() => shownCards(page)).toEqual(expectedCards(DEC_2025, BERLIN, 'month'));
    expect(await shownRows(page, 'table.kpi-figures')).toEqual(
      expectedTable(DEC_2025 - 2, DEC_2025, BERLIN, 'month'),
    );
    expect(
      await page.$$eval('table.kpi-figures tbody th time', (cells) => cells.map((c) => c.textContent)),
    ).toEqual(['2025-10-01', '2025-11-01', '2025-12-01']);
    await poll(() => page.locator('.sparkline svg').count()).toBe(8);
    await screenshot(page, 'kpis');
    expect(await seriousViolations(page)).toEqual([]);

    // The interval picker: the URL and the figures follow.
    await page.locator('select[name="interval"]').selectOption('quarter');
    await poll(() => search(page, 'interval')).toBe('quarter');
    const q4 = 2025 * 4 + 3;
    await poll(() => shownCards(page)).toEqual(expectedCards(q4, BERLIN, 'quarter'));
    expect(await shownRows(page, 'table.kpi-figures')).toEqual(expectedTable(q4, q4, BERLIN, 'quarter'));

    // Day by day the last day is 2025-12-31, after a day without touchpoints: against 0 it is "new".
    await page.locator('select[name="interval"]').selectOption('day');
    await poll(() => search(page, 'interval')).toBe('day');
    const newYearsEve = Date.UTC(2025, 11, 31) / DAY;
    const dayCards = expectedCards(newYearsEve, BERLIN, 'day');
    expect(dayCards.find(([key]) => key === 'orders')?.[2]).toMatch(/^▲ up \+\d+ \(new\)$/);
    await poll(() => shownCards(page)).toEqual(dayCards);
    expect(await shownRows(page, 'table.kpi-figures')).toEqual(
      expectedTable(Date.UTC(2025, 9, 1) / DAY, newYearsEve, BERLIN, 'day'),
    );

    // The time zone: in UTC the 23:30 touches are the month before's.
    await page.locator('select[name="interval"]').selectOption('month');
    await page.locator('input[name="timezone"]').fill('UTC');
    await poll(() => search(page, 'timezone')).toBe('UTC');
    expect(search(page, 'interval')).toBe('month');
    await poll(() => shownCards(page)).toEqual(expectedCards(DEC_2025, 'UTC', 'month'));
    expect(await shownRows(page, 'table.kpi-figures')).toEqual(
      expectedTable(DEC_2025 - 2, DEC_2025, 'UTC', 'month'),
    );

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await poll(() => shownCards(page)).toEqual(expectedCards(DEC_2025, 'UTC', 'month'));
    await screenshot(page, 'kpis-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('says plainly when a range has no data, and names the field of a bad setting', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/kpis?from=2020-01-01&to=2020-03-01&interval=month&timezone=UTC`);
    await signIn(page);
    await page.getByRole('heading', { name: /No touchpoints in this range/ }).waitFor();
    expect(await page.locator('.kpi-card').count()).toBe(0);

    await page.goto(`${stack.queryUrl}/kpis?from=2025-10-01&to=2026-01-01&interval=fortnight`);
    expect(await alertOf(page)).toContain('interval');
    await page.goto(`${stack.queryUrl}/kpis?from=2025-10-01&to=2026-01-01&timezone=Mars%2FOlympus`);
    expect(await alertOf(page)).toContain('timezone');
    await page.goto(`${stack.queryUrl}/kpis?from=%3Cscript%3E&to=2026-01-01&timezone=UTC`);
    expect(await alertOf(page)).toContain('from');
    await page.goto(`${stack.queryUrl}/retention?from=2025-10-01&to=2026-01-01&periods=99`);
    expect(await alertOf(page)).toContain('periods');
    await page.goto(`${stack.queryUrl}/retention?from=2025-10-01&to=2026-01-01&breakdown=shoe`);
    expect(await alertOf(page)).toContain('breakdown');
    expect(await seriousViolations(page)).toEqual([]);
    expect(seen.dialogs).toEqual([]);
    expect(seen.errors.filter((e) => !e.includes('400'))).toEqual([]);
    await page.context().close();
  });
});

describe('the Retention screen', () => {
  it('shows monthly cohorts as a heatmap and a table, split by acquisition channel', async () => {
    const { page, seen } = await openPage();
    await page.goto(
      `${stack.queryUrl}/retention?from=2025-10-01&to=2026-01-01&interval=month&periods=3&timezone=${BERLIN}`,
    );
    await signIn(page);
    const expected = expectedCohorts(DEC_2025 - 2, DEC_2025, 3, BERLIN, false);
    // The customers first seen at 23:30 UTC on 30 November are December's cohort in Berlin.
    expect(expected).not.toEqual(expectedCohorts(DEC_2025 - 2, DEC_2025, 3, 'UTC', false));
    await poll(() => shownCohorts(page)).toEqual(expected);
    // The heatmap labels every cell the table has, as a percentage.
    const labels = await page.$$eval('.retention-chart svg text', (texts) => texts.map((t) => t.textContent));
    const percents = expected.flatMap((row) =>
      row.slice(2).flatMap((cell) => (cell === '' ? [] : [cell.split(' · ')[1]])),
    );
    expect(labels).toEqual(expect.arrayContaining(percents));
    await screenshot(page, 'retention');
    expect(await seriousViolations(page)).toEqual([]);

    await page.locator('select[name="breakdown"]').selectOption('channel');
    await poll(() => search(page, 'breakdown')).toBe('channel');
    const split = expectedCohorts(DEC_2025 - 2, DEC_2025, 3, BERLIN, true);
    await poll(async () => (await shownCohorts(page)).sort()).toEqual(split.sort());
    await screenshot(page, 'retention-by-channel');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('leaves the periods that have not begun blank', async () => {
    const current = periodOf(NOW, 'UTC', 'month');
    const date = (month: number) =>
      `${Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}-01`;
    const expected = expectedCohorts(current - 1, current, 3, 'UTC', false);
    expect(expected.flat()).toContain('');
    const { page, seen } = await openPage();
    await page.goto(
      `${stack.queryUrl}/retention?from=${date(current - 1)}&to=${date(current + 1)}&interval=month&periods=3&timezone=UTC`,
    );
    await signIn(page);
    await poll(() => shownCohorts(page)).toEqual(expected);
    await screenshot(page, 'retention-not-begun');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, project);
    await page.context().close();
  });
});
