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
  downloadCsv,
  expectCleanPage,
  launchConsoleBrowser,
  openPage as openRecordedPage,
  poll,
  readCsv,
  screenshot,
  seriousViolations,
  shownRows,
  signIn,
} from './support/console-page.ts';

/*
 * The Experiments screen in a real Chromium against the whole pipeline. Exposures and orders are sent
 * through the collector; what each variant shows is computed here from what was sent, by a plain reading of
 * docs/analytics/experiments.md: a customer's variant is its first exposure's, customers who saw two
 * variants are left out, a conversion is an order within the window after the first exposure, and the
 * statistics are the textbook pooled z-test and unpooled Wald interval (the normal CDF by numerical
 * integration, apart from packages/journey's erfc).
 */

const stack = usePipeline();
let project: TestProject;
let browser: Browser;

const T0 = Date.UTC(2025, 5, 2);
const FROM = '2025-06-02';
const TO = '2025-06-09';
const WINDOW_MS = 7 * DAY;
const EXPOSURE = 'Experiment Viewed';
const ORDER = 'Order Completed';
const VARIANT_KEY = 'arm';
const MINIMUM_SAMPLE = 100;

interface Touchpoint {
  readonly customer: string;
  readonly event: string;
  readonly at: number;
  readonly properties?: Record<string, string>;
}

/**
 * checkout-v2: control and treatment (about 150 each, converting ~12% and ~40%), a few customers exposed to
 * both, some exposed before the range, orders before exposure and after the window; pricing-test: two
 * groups of 14, below the minimum sample.
 */
function population(): Touchpoint[] {
  const random = seededRandom(13);
  const sent: Touchpoint[] = [];
  const expose = (customer: string, at: number, experiment: string, variant: string) =>
    sent.push({ customer, event: EXPOSURE, at, properties: { experiment, [VARIANT_KEY]: variant } });
  const group = (
    experiment: string,
    variant: string,
    customers: number,
    rate: number,
    start = T0,
    tag = '',
  ) => {
    for (let i = 0; i < customers; i++) {
      const customer = `${experiment}-${variant}-${tag}${i}`;
      const at = start + Math.floor(random() * 6 * DAY);
      sent.push({ customer, event: 'Product Viewed', at: at - HOUR });
      expose(customer, at, experiment, variant);
      if (random() < 0.3) expose(customer, at + 2 * HOUR, experiment, variant); // seen again: same variant
      const roll = random();
      if (roll < rate)
        sent.push({ customer, event: ORDER, at: at + MINUTE + Math.floor(random() * 6 * DAY) });
      else if (roll < rate + 0.1) sent.push({ customer, event: ORDER, at: at + WINDOW_MS + DAY });
      else if (roll < rate + 0.2) sent.push({ customer, event: ORDER, at: at - 2 * HOUR });
    }
  };
  group('checkout-v2', 'control', 150, 0.12);
  group('checkout-v2', 'treatment', 155, 0.4);
  group('checkout-v2', 'treatment', 6, 0.5, T0 - 7 * DAY, 'early-'); // first exposed before the range
  for (let i = 0; i < 5; i++) {
    const customer = `checkout-v2-both-${i}`;
    expose(customer, T0 + i * HOUR, 'checkout-v2', 'control');
    expose(customer, T0 + DAY + i * HOUR, 'checkout-v2', 'treatment');
    sent.push({ customer, event: ORDER, at: T0 + 2 * DAY });
  }
  group('pricing-test', 'a', 14, 0.3);
  group('pricing-test', 'b', 14, 0.4);
  return sent;
}

const sent = population();
const batch = sent.map((t, i) => ({
  type: 'track',
  event: t.event,
  anonymousId: t.customer,
  messageId: `x-${i}`,
  timestamp: new Date(t.at).toISOString(),
  ...(t.properties && { properties: t.properties }),
}));

/** Φ(z) − ½ = ∫₀ᶻ φ by Simpson's rule: plain, and accurate to far below the figures shown. */
function normalCdf(z: number): number {
  const steps = 20_000;
  const h = Math.abs(z) / steps;
  const phi = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  let sum = phi(0) + phi(Math.abs(z));
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * phi(i * h);
  const half = (sum * h) / 3;
  return z >= 0 ? 0.5 + half : 0.5 - half;
}

interface Expected {
  variant: string;
  exposed: number;
  converted: number;
  rate: number;
  comparison: null | {
    lift: number;
    relative: number | null;
    lower: number;
    upper: number;
    pValue: number | null;
    verdict: string;
  };
}

function expectedExperiment(experiment: string): { multiple: number; variants: Expected[] } {
  const from = Date.parse(FROM);
  const to = Date.parse(TO);
  const byCustomer = new Map<string, Touchpoint[]>();
  for (const t of sent) byCustomer.set(t.customer, [...(byCustomer.get(t.customer) ?? []), t]);
  const groups = new Map<string, { exposed: number; converted: number }>();
  let multiple = 0;
  for (const touchpoints of byCustomer.values()) {
    const exposures = touchpoints
      .filter((t) => t.event === EXPOSURE && t.properties?.experiment === experiment)
      .sort((a, b) => a.at - b.at);
    const first = exposures[0];
    if (!first || first.at < from || first.at >= to) continue;
    if (new Set(exposures.map((t) => t.properties?.[VARIANT_KEY])).size > 1) {
      multiple++;
      continue;
    }
    const variant = first.properties?.[VARIANT_KEY] as string;
    const group = groups.get(variant) ?? { exposed: 0, converted: 0 };
    group.exposed++;
    if (touchpoints.some((t) => t.event === ORDER && t.at >= first.at && t.at <= first.at + WINDOW_MS))
      group.converted++;
    groups.set(variant, group);
  }
  const names = [...groups.keys()].sort();
  const control = groups.get(names[0] as string) as { exposed: number; converted: number };
  const pc = control.converted / control.exposed;
  const enough = (g: { exposed: number; converted: number }) =>
    g.exposed >= MINIMUM_SAMPLE && g.converted >= 5 && g.exposed - g.converted >= 5;
  const variants = names.map((variant, i): Expected => {
    const g = groups.get(variant) as { exposed: number; converted: number };
    const pv = g.converted / g.exposed;
    if (i === 0) return { variant, ...g, rate: pv, comparison: null };
    const lift = pv - pc;
    const pooled = (control.converted + g.converted) / (control.exposed + g.exposed);
    const z = lift / Math.sqrt(pooled * (1 - pooled) * (1 / control.exposed + 1 / g.exposed));
    const pValue = 2 * (1 - normalCdf(Math.abs(z)));
    const half = 1.959964 * Math.sqrt((pc * (1 - pc)) / control.exposed + (pv * (1 - pv)) / g.exposed);
    const verdict = !(enough(control) && enough(g))
      ? 'Not enough data'
      : pValue < 0.05
        ? lift > 0
          ? 'Better than the control'
          : 'Worse than the control'
        : 'No significant difference';
    return {
      variant,
      ...g,
      rate: pv,
      comparison: {
        lift,
        relative: pc === 0 ? null : lift / pc,
        lower: lift - half,
        upper: lift + half,
        pValue,
        verdict,
      },
    };
  });
  return { multiple, variants };
}

const checkout = expectedExperiment('checkout-v2');
const pricing = expectedExperiment('pricing-test');

// The console's display: counts en-US, fractions as one-decimal percentages, lifts signed.
const count = (n: number) => n.toLocaleString('en-US');
const percent = (f: number) => `${(f * 100).toFixed(1)}%`;
const signed = (f: number) => `${f > 0 ? '+' : ''}${percent(f)}`;
const shownP = (p: number | null) => (p === null ? '—' : p < 0.001 ? '< 0.001' : p.toFixed(3));

/** The catalog as the test reads what it sent: touchpoints in [FROM, TO). */
const inRange = sent.filter((t) => t.at >= Date.parse(FROM) && t.at < Date.parse(TO));
const distinct = (touchpoints: readonly Touchpoint[]) => new Set(touchpoints.map((t) => t.customer)).size;
/** Each event name with its distinct customers in the range. */
const catalogEvents = () =>
  new Map(
    [...new Set(inRange.map((t) => t.event))].map((event) => [
      event,
      distinct(inRange.filter((t) => t.event === event)),
    ]),
  );
const exposures = inRange.filter((t) => t.event === EXPOSURE);
/** The exposure touchpoints' property keys with their distinct customers. */
const exposureKeys = () =>
  [...new Set(exposures.flatMap((t) => Object.keys(t.properties ?? {})))].map(
    (key) => [key, distinct(exposures.filter((t) => t.properties?.[key] !== undefined))] as const,
  );
/** A key's values on the exposure touchpoints with their touchpoints, by value. */
const exposureValues = (key: string) =>
  [...new Set(exposures.map((t) => t.properties?.[key] as string))]
    .sort()
    .map((value) => [value, exposures.filter((t) => t.properties?.[key] === value).length] as const);

/** The variants table as the screen must show it. */
const shownVariants = (variants: Expected[]) =>
  variants.map((v) => [
    count(v.exposed),
    count(v.converted),
    percent(v.rate),
    ...(v.comparison === null
      ? ['—', '—', '—', '—', '—', '—']
      : [
          signed(v.comparison.lift),
          v.comparison.relative === null ? '—' : signed(v.comparison.relative),
          signed(v.comparison.lower),
          signed(v.comparison.upper),
          shownP(v.comparison.pValue),
          v.comparison.verdict,
        ]),
  ]);

const openPage = (viewport?: { width: number; height: number }) =>
  openRecordedPage(browser, stack.queryUrl, viewport);
const variantNames = (page: Page) =>
  page.$$eval('table.experiment-figures tbody th', (cells) => cells.map((c) => c.textContent ?? ''));
const screenHref = (experiment: string) =>
  `${stack.queryUrl}/experiments?${new URLSearchParams({
    from: FROM,
    to: TO,
    window: '7d',
    experiment,
    exposureEvent: EXPOSURE,
    variantProperty: VARIANT_KEY,
    conversion: 'event',
    goal: ORDER,
  })}`;

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  project = await createTestProject(stack.clickhouse, 'console-experiments');
  await eventually(async () => {
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch })).status).toBe(200);
  });
  await eventually(
    async () => {
      const { body } = await queryApi<{ customers: Array<{ touchpoints: number }> }>(
        stack.queryUrl,
        project,
        'GET',
        '/customers?limit=1000',
      );
      expect(body.customers.reduce((sum, c) => sum + c.touchpoints, 0)).toBe(batch.length);
    },
    { timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await browser?.close();
});

describe('the Experiments screen', () => {
  it('the population is what the test means it to be', () => {
    expect(checkout.variants.map((v) => v.variant)).toEqual(['control', 'treatment']);
    expect(checkout.variants.every((v) => v.exposed >= MINIMUM_SAMPLE)).toBe(true);
    expect(checkout.multiple).toBe(5);
    expect(checkout.variants[1]?.comparison?.verdict).toBe('Better than the control');
    expect(
      pricing.variants.every((v) => v.comparison === null || v.comparison.verdict === 'Not enough data'),
    ).toBe(true);
  });

  it('shows each variant against the control as computed from what was sent, set up through the form', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/experiments`);
    await signIn(page, project);
    await page
      .getByRole('navigation', { name: 'Screens' })
      .getByRole('link', { name: 'Experiments' })
      .waitFor();
    // The range first: the catalog offers what was seen in it.
    await page.getByLabel('From').fill(FROM);
    await page.getByLabel('To (exclusive)').fill(TO);

    // Each event with its customers in the range, as the test counts them.
    const exposure = page.locator('select[name="exposureEvent"]');
    for (const [event, customers] of catalogEvents()) {
      await poll(() => exposure.locator(`option[value="${event}"]`).textContent()).toBe(
        `${event} (${count(customers)} customers)`,
      );
    }
    expect(await exposure.locator('option[value=""]').textContent()).toBe('Any touchpoint');
    await exposure.selectOption(EXPOSURE);

    // The exposure's property keys, each with its customers; the experiment's values with their touchpoints.
    const variantProperty = page.locator('select[name="variantProperty"]');
    for (const [key, customers] of exposureKeys()) {
      await poll(() => variantProperty.locator(`option[value="${key}"]`).textContent()).toBe(
        `${key} (${count(customers)} customers)`,
      );
    }
    expect(await page.locator('select[name="experimentProperty"]').inputValue()).toBe('experiment');
    await variantProperty.selectOption(VARIANT_KEY);
    // The values the input suggests: the options of its datalist.
    const suggested = (name: string) =>
      page.locator(`input[name="${name}"]`).evaluate((input) =>
        Array.from((input as HTMLInputElement).list?.options ?? [])
          .map((o) => [o.value, o.textContent] as const)
          .sort(([a], [b]) => (a < b ? -1 : 1)),
      );
    await poll(() => suggested('experiment')).toEqual(
      exposureValues('experiment').map(([value, n]) => [value, `${count(n)} touchpoints`]),
    );
    await page.getByLabel('Experiment', { exact: true }).fill('checkout-v2');
    await poll(() => suggested('control')).toEqual(
      exposureValues(VARIANT_KEY).map(([value, n]) => [value, `${count(n)} touchpoints`]),
    );
    await page.getByLabel('Converts on').selectOption('event');
    const goal = page.locator('select[name="goal"]');
    await poll(() => goal.locator(`option[value="${ORDER}"]`).textContent()).toBe(
      `${ORDER} (${count(catalogEvents().get(ORDER) as number)} customers)`,
    );
    await goal.selectOption(ORDER);
    await page.getByLabel('Window').fill('7d');

    await poll(() => shownRows(page, 'table.experiment-figures')).toEqual(shownVariants(checkout.variants));
    expect(await variantNames(page)).toEqual(['control (control)', 'treatment']);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({
      experiment: 'checkout-v2',
      exposureEvent: EXPOSURE,
      variantProperty: VARIANT_KEY,
      conversion: 'event',
      goal: ORDER,
      from: FROM,
      to: TO,
      window: '7d',
    });
    expect(await page.locator('[data-field="multipleVariantCustomers"]').textContent()).toContain(
      `${checkout.multiple} customers saw more than one variant and are left out`,
    );
    await page.locator('.experiment-chart svg').waitFor();
    await screenshot(page, 'experiments');
    expect(await seriousViolations(page)).toEqual([]);

    // The CSV has the exact figures behind the rounded ones.
    const csv = await downloadCsv(page, 'Variants table');
    expect(csv.name).toBe('experiments-variants-table.csv');
    const [header, ...rows] = readCsv(csv.text);
    expect(header?.[0]).toBe('Variant');
    expect(rows).toHaveLength(checkout.variants.length);
    checkout.variants.forEach((v, i) => {
      const row = rows[i] as string[];
      expect(row.slice(1, 3).map(Number)).toEqual([v.exposed, v.converted]);
      expect(Number(row[3])).toBeCloseTo(v.rate, 12);
      if (v.comparison === null) return;
      expect(Number(row[4])).toBeCloseTo(v.comparison.lift, 12);
      expect(Number(row[5])).toBeCloseTo(v.comparison.relative as number, 12);
      expect(Number(row[6])).toBeCloseTo(v.comparison.lower, 6);
      expect(Number(row[7])).toBeCloseTo(v.comparison.upper, 6);
      expect(Number(row[8])).toBeCloseTo(v.comparison.pValue as number, 8);
      expect(row[9]).toBe(v.comparison.verdict);
    });

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await poll(() => shownRows(page, 'table.experiment-figures')).toEqual(shownVariants(checkout.variants));
    await page.locator('.experiment-chart svg').waitFor();
    await screenshot(page, 'experiments-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('says plainly when an experiment has not enough data for a verdict', async () => {
    const { page, seen } = await openPage();
    await page.goto(screenHref('pricing-test'));
    await signIn(page, project);
    await poll(() => shownRows(page, 'table.experiment-figures')).toEqual(shownVariants(pricing.variants));
    expect(await page.getByRole('note').textContent()).toContain('Not enough data for a verdict on b');
    await screenshot(page, 'experiments-not-enough-data');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('shows a hint before an experiment is named, an empty answer plainly, and the API problem for hostile settings', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/experiments`);
    await signIn(page, project);
    await page.getByText('Name the experiment').waitFor();
    await page.goto(screenHref('nobody-runs-this'));
    await page.getByText('Nobody was first exposed to nobody-runs-this in this range').waitFor();

    const hostile = new URL(screenHref('checkout-v2'));
    hostile.searchParams.set('variantProperty', '<script>alert(1)</script>');
    await page.goto(hostile.href);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('variantProperty');

    hostile.searchParams.set('variantProperty', VARIANT_KEY);
    hostile.searchParams.set('goal', 'x'.repeat(5000));
    await page.goto(hostile.href);
    await poll(() => page.getByRole('alert').textContent()).toContain('steps');
    await screenshot(page, 'experiments-hostile');
    expect(await seriousViolations(page)).toEqual([]);
    expect(seen.dialogs).toEqual([]);
    expect(seen.errors.filter((e) => !e.includes('400'))).toEqual([]);
    await page.context().close();
  });
});
