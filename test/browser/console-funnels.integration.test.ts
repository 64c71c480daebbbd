/// <reference lib="dom" />

import type { postCustomFunnelWhyDrop, RouteResponse } from '@waymark/api-contract';
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
 * The custom funnel screen in a real Chromium against the whole pipeline. The funnel is built through the
 * builder, its event names picked from the catalog the screen lists; every figure checked is computed here
 * from what the test sent, by a plain reading of docs/analytics/custom-funnels.md for the ordered mode:
 * the cohort is the customers whose first step-1 touchpoint is in [from, to); step k is the earliest
 * step-k touchpoint at or after step k−1, within the window after that entry.
 */

const stack = usePipeline();
let project: TestProject;
let browser: Browser;

const T0 = Date.UTC(2025, 5, 2);
const FROM = '2025-06-02';
const TO = '2025-06-09';
const WINDOW_MS = 30 * DAY;
const STEPS = ['Product Viewed', 'Added to Cart', 'Order Completed'] as const;
const NOISE = 'Newsletter Opened';

interface Sent {
  readonly key: string;
  readonly at: number;
  readonly event: string;
  readonly plan: string;
}

function generate(shoppers: number, seed: number) {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const sent: Sent[] = [];
  for (let i = 0; i < shoppers; i++) {
    const key = `a:shopper-${String(i).padStart(2, '0')}`;
    const plan = i % 3 === 0 ? 'pro' : 'free';
    // Every tenth shopper first looks before the range: outside the cohort, though later touchpoints are in it.
    let at = i % 10 === 9 ? T0 - 2 * DAY : T0 + Math.floor(random() * 6 * DAY);
    const track = (event: string) => {
      sent.push({ key, at, event, plan });
      at += pick([1000, 20 * MINUTE, 3 * HOUR, DAY]);
    };
    const journey = [
      ...Array.from({ length: 1 + Math.floor(random() * 3) }, () => STEPS[0]),
      ...(random() < 0.2 ? [STEPS[2]] : []), // an order before any cart: not step 3 in ordered mode
      ...(random() < 0.65 ? [STEPS[1]] : []),
      ...(random() < 0.55 ? [STEPS[2]] : []),
    ];
    for (const event of journey) {
      track(event);
      if (random() < 0.3) track(NOISE);
    }
  }
  return sent;
}

const SENT = generate(36, 11);
const EVENTS = SENT.map((s, n) => ({
  type: 'track',
  event: s.event,
  anonymousId: s.key.slice(2),
  messageId: `f-${n}`,
  timestamp: new Date(s.at).toISOString(),
  properties: { plan: s.plan },
}));

/** Per customer of the cohort: when it reached each step (null once it stops), by the ordered reading. */
function orderedFunnel(steps: readonly string[]): Map<string, Array<number | null>> {
  const byCustomer = new Map<string, Sent[]>();
  for (const s of SENT) byCustomer.set(s.key, [...(byCustomer.get(s.key) ?? []), s]);
  const reached = new Map<string, Array<number | null>>();
  for (const [key, touchpoints] of byCustomer) {
    const ordered = [...touchpoints].sort((a, b) => a.at - b.at);
    const entry = ordered.find((t) => t.event === steps[0])?.at;
    if (entry === undefined || entry < T0 || entry >= T0 + 7 * DAY) continue;
    const times: Array<number | null> = [entry];
    let previous: number | null = entry;
    for (const step of steps.slice(1)) {
      const at: number | null =
        previous === null
          ? null
          : (ordered.find(
              (t) => t.event === step && t.at >= (previous as number) && t.at <= entry + WINDOW_MS,
            )?.at ?? null);
      times.push(at);
      previous = at;
    }
    reached.set(key, times);
  }
  return reached;
}

const FUNNEL = orderedFunnel(STEPS);
const reachedAt = (k: number) =>
  [...FUNNEL]
    .filter(([, t]) => t[k - 1] !== null)
    .map(([key]) => key)
    .sort();
const droppedAt = (k: number) =>
  [...FUNNEL]
    .filter(([, t]) => t[k - 2] !== null && t[k - 1] === null)
    .map(([key]) => key)
    .sort();
const COUNTS = STEPS.map((_, i) => reachedAt(i + 1).length);
const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

/** The catalog as the test reads what it sent: each event's distinct customers in [FROM, TO). */
function catalogCustomers(event: string): number {
  return new Set(SENT.filter((s) => s.event === event && s.at >= T0 && s.at < T0 + 7 * DAY).map((s) => s.key))
    .size;
}

const openPage = (viewport?: { width: number; height: number }) =>
  openRecordedPage(browser, stack.queryUrl, viewport);
const signIn = (page: Page) => signInAs(page, project);
/** The ordered funnel of STEPS opened from its link, signed in, its table shown. */
async function openStepsFunnel() {
  const opened = await openPage();
  const funnel = {
    steps: STEPS.map((value) => ({ kind: 'event', value, properties: [] })),
    order: 'ordered',
    window: '30d',
    exclusions: [],
    breakdown: '',
  };
  await opened.page.goto(
    `${stack.queryUrl}/funnels?${new URLSearchParams({ from: FROM, to: TO, funnel: JSON.stringify(funnel) })}`,
  );
  await signIn(opened.page);
  await poll(() => shownRows(opened.page, 'table.funnel-figures')).toHaveLength(3);
  return opened;
}
const step = (page: Page, n: number) => page.getByRole('group', { name: `Step ${n}`, exact: true });
const listedKeys = (page: Page) =>
  page.$$eval('.funnel-drill tbody th a', (links) => links.map((a) => a.textContent ?? ''));
const urlFunnel = (page: Page) =>
  JSON.parse(new URL(page.url()).searchParams.get('funnel') ?? 'null') as {
    steps: Array<{ value: string }>;
    breakdown: string;
  } | null;

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  project = await createTestProject(stack.clickhouse, 'console-funnels');
  await eventually(async () => {
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch: EVENTS })).status).toBe(200);
  });
  const inRange = SENT.filter((s) => s.at >= T0 && s.at < T0 + 7 * DAY).length;
  await eventually(
    async () => {
      const { body } = await queryApi<{ events: Array<{ touchpoints: number }> }>(
        stack.queryUrl,
        project,
        'GET',
        `/events?from=${FROM}&to=${TO}`,
      );
      expect(body.events.reduce((sum, e) => sum + e.touchpoints, 0)).toBe(inRange);
    },
    { timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await browser?.close();
});

describe('the custom funnel screen', () => {
  it('builds a funnel from the event catalog and shows the figures and who reached or dropped', async () => {
    expect(COUNTS[0]).toBeGreaterThan(10);
    expect(COUNTS[2]).toBeGreaterThan(2);
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/funnels?from=${FROM}&to=${TO}`);
    await signIn(page);

    // The catalog lists each event with its customers in the range, as the test counts them.
    const firstEvent = step(page, 1).locator('select[name="event"]');
    for (const event of [...STEPS, NOISE]) {
      await poll(() => firstEvent.locator(`option[value="${event}"]`).textContent()).toBe(
        `${event} (${catalogCustomers(event)} customers)`,
      );
    }
    await firstEvent.selectOption(STEPS[0]);
    await step(page, 2).locator('select[name="event"]').selectOption(STEPS[2]);
    await page.getByRole('button', { name: 'Add step' }).click();
    // Typing narrows the catalog to the names starting with it.
    await step(page, 3).locator('input[name="eventPrefix"]').fill('add');
    await poll(() =>
      step(page, 3)
        .locator('select[name="event"] option')
        .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value)),
    ).toEqual(['', STEPS[1]]);
    await step(page, 3).locator('select[name="event"]').selectOption(STEPS[1]);
    // Reordering: the cart step moves before the order.
    await page.getByRole('button', { name: 'Move step 3 up' }).click();
    await page.getByRole('button', { name: 'Show funnel' }).click();
    await poll(() => urlFunnel(page)?.steps.map((s) => s.value)).toEqual([...STEPS]);

    await poll(() => shownRows(page, 'table.funnel-figures')).toHaveLength(3);
    const rows = await shownRows(page, 'table.funnel-figures');
    expect(rows.map((r) => r.slice(0, 4))).toEqual(
      COUNTS.map((n, i) => [
        String(n),
        percent(n / (COUNTS[0] as number)),
        percent(i === 0 ? 1 : n / (COUNTS[i - 1] as number)),
        percent(i === 0 ? 0 : 1 - n / (COUNTS[i - 1] as number)),
      ]),
    );
    await page.locator('.funnel-result .chart canvas, .funnel-result .chart svg').first().waitFor();
    await screenshot(page, 'funnels');
    expect(await seriousViolations(page)).toEqual([]);

    // Drill-down: who reached step 3, who dropped at step 2, each linking to the customer.
    await page.getByRole('link', { name: 'Who reached step 3' }).click();
    await poll(() => listedKeys(page)).toEqual(reachedAt(3));
    await page.getByRole('link', { name: 'Who dropped at step 2' }).click();
    await poll(() => new URL(page.url()).searchParams.get('drill')).toBe('2:dropped');
    await poll(() => listedKeys(page)).toEqual(droppedAt(2));
    await screenshot(page, 'funnels-dropped');
    expect(await seriousViolations(page)).toEqual([]);
    const key = droppedAt(2)[0] as string;
    await page.getByRole('link', { name: key, exact: true }).click();
    await poll(() => decodeURIComponent(new URL(page.url()).pathname)).toBe(`/customers/${key}`);

    // The link is the funnel: going back shows it again, built as it was.
    await page.goBack();
    await poll(() => listedKeys(page)).toEqual(droppedAt(2));
    expect(await step(page, 2).locator('select[name="event"]').inputValue()).toBe(STEPS[1]);
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('explains the drop between two steps with the API’s ranked factors', async () => {
    const { page, seen } = await openStepsFunnel();
    const asked = page.waitForRequest((request) => request.url().endsWith('/funnels/why-drop'));
    await page.getByRole('link', { name: 'Why did they drop at step 2' }).click();
    const body = (await asked).postDataJSON() as Record<string, unknown>;
    expect(body.step).toBe(1);
    expect(body).not.toHaveProperty('breakdown');
    const section = page.getByRole('region', { name: 'Why did they drop between step 1 and step 2?' });
    await section.waitFor();
    const { status, body: answer } = await queryApi<RouteResponse<typeof postCustomFunnelWhyDrop>>(
      stack.queryUrl,
      project,
      'POST',
      '/funnels/why-drop',
      { body },
    );
    expect(status).toBe(200);
    // The populations are the funnel's own: counted at step 1, and at step 2 or not, as the test reads them.
    expect([answer.converted, answer.dropped]).toEqual([
      COUNTS[1],
      (COUNTS[0] as number) - (COUNTS[1] as number),
    ]);
    await poll(() => section.locator('p.summary').first().textContent()).toContain(
      `Of the ${COUNTS[0]} customers counted at 1. ${STEPS[0]}, ${COUNTS[1]} went on to 2. ${STEPS[1]} and ${answer.dropped} dropped`,
    );
    // The funnel's own step events explain nothing: they are not factors.
    expect(answer.factors.length).toBeGreaterThan(0);
    expect(
      answer.factors.some((f) => f.factor.kind === 'event' && STEPS.includes(f.factor.name as never)),
    ).toBe(false);
    await poll(() =>
      shownRows(page, '.why-drop table.why-drop-factors').then((rows) => rows.map((r) => r.slice(0, 2))),
    ).toEqual(answer.factors.map((f) => [String(f.droppedWith), String(f.convertedWith)]));
    await screenshot(page, 'funnels-why-drop');
    expect(await seriousViolations(page)).toEqual([]);

    // No customer dimension and a higher support: the request carries them, the table is the API's answer.
    const controls = section.getByRole('form', { name: 'What is tested' });
    await controls.locator('summary').click();
    for (const box of await controls.locator('input[name="dimensions"]').all()) await box.setChecked(false);
    const support = Math.max(2, Math.min(...answer.factors.map((f) => f.convertedWith + f.droppedWith)) + 1);
    await controls.getByLabel('Minimum customers per factor').fill(String(support));
    const narrowedAsked = page.waitForRequest((request) => request.url().endsWith('/funnels/why-drop'));
    await controls.getByRole('button', { name: 'Apply' }).click();
    const narrowedBody = (await narrowedAsked).postDataJSON() as Record<string, unknown>;
    expect([narrowedBody.dimensions, narrowedBody.minSupport]).toEqual([[], support]);
    const { body: narrowed } = await queryApi<RouteResponse<typeof postCustomFunnelWhyDrop>>(
      stack.queryUrl,
      project,
      'POST',
      '/funnels/why-drop',
      { body: narrowedBody },
    );
    expect(narrowed.testedFactors).toBeLessThan(answer.testedFactors);
    expect(
      narrowed.factors.every(
        (f) => f.factor.kind !== 'customer' && f.convertedWith + f.droppedWith >= support,
      ),
    ).toBe(true);
    await poll(() =>
      shownRows(page, '.why-drop table.why-drop-factors').then((rows) => rows.map((r) => r.slice(0, 2))),
    ).toEqual(narrowed.factors.map((f) => [String(f.droppedWith), String(f.convertedWith)]));
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('breaks the funnel down by a step-1 property', async () => {
    const { page, seen } = await openStepsFunnel();
    await page.locator('select[name="breakdown"]').selectOption('property:plan');
    await page.getByRole('button', { name: 'Show funnel' }).click();
    await poll(() => urlFunnel(page)?.breakdown).toBe('property:plan');
    const planOf = new Map(SENT.map((s) => [s.key, s.plan]));
    const expected = ['free', 'pro']
      .map((plan) => [
        plan,
        ...STEPS.map((_, i) => {
          const inPlan = [...FUNNEL].filter(([key]) => planOf.get(key) === plan);
          const reached = inPlan.filter(([, t]) => t[i] !== null).length;
          return `${reached} · ${percent(reached / inPlan.length)}`;
        }),
      ])
      .sort((a, b) => Number.parseInt(b[1] as string, 10) - Number.parseInt(a[1] as string, 10));
    const segmentRows = () =>
      page.$$eval('table[data-dimension="property:plan"] tbody tr', (trs) =>
        trs.map((tr) => [
          tr.querySelector('th')?.textContent ?? '',
          ...Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? ''),
        ]),
      );
    await poll(segmentRows).toEqual(expected);
    await screenshot(page, 'funnels-breakdown');
    expect(await seriousViolations(page)).toEqual([]);

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await poll(segmentRows).toEqual(expected);
    await screenshot(page, 'funnels-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);

    // A property filter on step 1, its key and value offered by the catalog: the pro shoppers' funnel.
    await step(page, 1).getByRole('button', { name: 'Add property filter' }).click();
    await step(page, 1).locator('select[name="property"]').selectOption('plan');
    await poll(() =>
      step(page, 1)
        .locator('datalist option')
        .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value).sort()),
    ).toEqual(['free', 'pro']);
    await step(page, 1).locator('input[name="value"]').fill('pro');
    await page.getByRole('button', { name: 'Show funnel' }).click();
    const pro = expected.find((row) => row[0] === 'pro')?.slice(1) ?? [];
    await poll(async () => (await shownRows(page, 'table.funnel-figures')).map((r) => r[0])).toEqual(
      pro.map((cell) => cell.split(' · ')[0]),
    );

    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('shows what the API refuses by the field, and an unreadable link as such', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/funnels?from=${FROM}&to=${TO}`);
    await signIn(page);
    await step(page, 1).locator('select[name="event"]').selectOption(STEPS[0]);
    // Step 2 left without an event, and a window the API cannot read.
    await page.locator('input[name="window"]').fill('40x');
    await page.getByRole('button', { name: 'Show funnel' }).click();
    const windowError = page
      .locator('label', { has: page.locator('input[name="window"]') })
      .locator('.field-error');
    await poll(() => windowError.textContent()).toContain('expected seconds or <n>s');
    expect(await page.locator('input[name="window"]').getAttribute('aria-invalid')).toBe('true');
    const eventError = step(page, 2).locator('.field-error');
    await poll(() => eventError.count()).toBeGreaterThan(0);
    expect(await step(page, 1).locator('.field-error').count()).toBe(0);
    await page.getByRole('alert').waitFor();
    await screenshot(page, 'funnels-invalid');
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${stack.queryUrl}/funnels?from=${FROM}&to=${TO}&funnel=%3Cscript%3E`);
    await poll(() => page.getByRole('alert').locator('h2').textContent()).toBe(
      'The funnel in this link cannot be read',
    );
    expect(seen.dialogs).toEqual([]);
    expect(seen.errors.filter((e) => !e.includes('400'))).toEqual([]);
    expect(seen.outside).toEqual([]);
    await page.context().close();
  });
});
