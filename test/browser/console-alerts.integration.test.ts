/// <reference lib="dom" />

import { loadAlerterEnv, type RunningAlerter, startAlerter } from '@waymark/alerter';
import { TEST_WEBHOOK_ENV, testKafka, testLogger, uniqueProjectId } from '@waymark/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  storedMessageIds,
  type TestProject,
  usePipeline,
} from '../support/pipeline.ts';
import { HOUR, MINUTE } from '../support/population.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import {
  expectCleanPage,
  launchConsoleBrowser,
  openPage,
  poll,
  screenshot,
  seriousViolations,
  shownRows,
  signIn,
} from './support/console-page.ts';

/*
 * The Alerts screens in a real Chromium against the whole pipeline. A population with a planted drop goes
 * through the collector; the rule is created through the form (invalid first: errors by field, nothing
 * saved); its backtest is checked slot by slot against this test's own reading of docs/alerting.md
 * (cohorts, baseline median, relative drop, z-test, minimum sample, state machine). The alerter runs
 * beside the stack with an injected clock (usePipeline starts none), so the incident, its webhook
 * delivery, the snooze and the resolve are the real services' doing.
 */

const stack = usePipeline();
let project: TestProject;
let browser: Browser;
let receiver: WebhookReceiver;
let alerter: RunningAlerter;
let now = 0;

const DESKTOP =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const SECRET = 'whsec_0123456789abcdef';
const T0 = Date.UTC(2026, 10, 2);
const HOURS = 20;
/** Hours whose selection → purchase conversion drops from 40% to 5%. */
const DROP_HOURS = new Set([12, 13]);
const PER_HOUR = 60;
const ORDER_AFTER = 5 * MINUTE;

// The rule the form is filled with, and its figures as the test reads them.
const WINDOW = HOUR;
// A conversion window of whole hours keeps every judged window on the hours the population is cut in.
const CONVERSION_WINDOW = HOUR;
const EVERY = HOUR;
const TRAILING = 6;
const MIN_SAMPLE = 50;
const MIN_RELATIVE_DROP = 0.25;
const RESOLVE_AFTER = 2;
/** Φ⁻¹(1 − 0.0001 / 2): the default significance, Bonferroni-divided over the overall group and one device. */
const Z_CRITICAL = 3.8906;
// From the first slot whose baseline (hour 0) has enough customers.
const FROM = T0 + 3 * HOUR;
const TO = T0 + HOURS * HOUR;
const local = (ms: number) => new Date(ms).toISOString().slice(0, 16);

interface Entry {
  readonly at: number;
  readonly convertedAt: number | null;
}

function population() {
  const events: Record<string, unknown>[] = [];
  const entries: Entry[] = [];
  for (let h = 0; h < HOURS; h++) {
    for (let i = 0; i < PER_HOUR; i++) {
      const at = T0 + h * HOUR + i * 50_000;
      const userId = `h${h}-c${i}`;
      const context = { userAgent: DESKTOP };
      events.push({
        type: 'track',
        event: 'Product Added',
        userId,
        messageId: `${userId}-add`,
        timestamp: new Date(at).toISOString(),
        context,
      });
      const converts = DROP_HOURS.has(h) ? i % 20 === 0 : i % 5 < 2;
      if (converts) {
        events.push({
          type: 'track',
          event: 'Order Completed',
          userId,
          messageId: `${userId}-order`,
          timestamp: new Date(at + ORDER_AFTER).toISOString(),
          properties: { revenue: 30 },
          context,
        });
      }
      entries.push({ at, convertedAt: converts ? at + ORDER_AFTER : null });
    }
  }
  return { events, entries };
}
const sent = population();

/** A window's cohort (entries at selection in it) and how many converted within the conversion window. */
function cohort(startMs: number, endMs: number) {
  const inWindow = sent.entries.filter((e) => e.at >= startMs && e.at < endMs);
  const converted = inWindow.filter(
    (e) => e.convertedAt !== null && e.convertedAt - e.at <= CONVERSION_WINDOW,
  ).length;
  return { customers: inWindow.length, converted };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Each slot of the backtest as docs/alerting.md defines it: status, current rate, baseline rate. */
function expectedTimeline() {
  const slots: Array<{ at: number; status: string; current: number; baseline: number }> = [];
  for (let slot = FROM; slot <= TO; slot += EVERY) {
    const end = slot - CONVERSION_WINDOW;
    const current = cohort(end - WINDOW, end);
    const baselines = Array.from({ length: TRAILING }, (_, i) =>
      cohort(end - (i + 2) * WINDOW, end - (i + 1) * WINDOW),
    ).filter((c) => c.customers > 0);
    const baselineCustomers = baselines.reduce((sum, c) => sum + c.customers, 0);
    const baseline = median(baselines.map((c) => c.converted / c.customers));
    const rate = current.converted / current.customers;
    const pooled =
      (current.converted + baseline * baselineCustomers) / (current.customers + baselineCustomers);
    const z =
      (baseline - rate) / Math.sqrt(pooled * (1 - pooled) * (1 / current.customers + 1 / baselineCustomers));
    const sufficient = current.customers >= MIN_SAMPLE && baselineCustomers >= MIN_SAMPLE;
    // The planted drop is far from the edge: no judged slot's z is near the critical value.
    if (sufficient) expect(Math.abs(z - Z_CRITICAL)).toBeGreaterThan(0.5);
    const breach = sufficient && (baseline - rate) / baseline >= MIN_RELATIVE_DROP && z > Z_CRITICAL;
    slots.push({
      at: slot,
      status: !sufficient ? 'insufficient' : breach ? 'breach' : 'clear',
      current: rate,
      baseline,
    });
  }
  return slots;
}

/** The incidents the state machine (docs/alerting.md, "State") opens from those slots. */
function expectedIncidents(timeline: ReturnType<typeof expectedTimeline>) {
  const incidents: Array<{ firedAt: number; resolvedAt: number | null }> = [];
  let clear = 0;
  for (const slot of timeline) {
    const open = incidents.at(-1);
    if (open === undefined || open.resolvedAt !== null) {
      // The one-hour cooldown never matters here: the drop is one run of breaches.
      if (slot.status === 'breach') incidents.push({ firedAt: slot.at, resolvedAt: null });
    } else if (slot.status === 'breach') clear = 0;
    else if (slot.status === 'clear' && ++clear >= RESOLVE_AFTER) {
      open.resolvedAt = slot.at;
      clear = 0;
    }
  }
  return incidents;
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  receiver = await startWebhookReceiver(() => now);
  project = await createTestProject(stack.clickhouse, 'console-alerts');
  alerter = await startAlerter({
    env: loadAlerterEnv({
      ...TEST_WEBHOOK_ENV,
      LOG_LEVEL: 'warn',
      ALERTER_PORT: '0',
      ALERTER_GROUP_ID: uniqueProjectId('alerter'),
      // Passes come from tick() only: the test moves the alerter's clock.
      ALERTER_TICK: '1h',
      ALERTER_TRIGGER_DEBOUNCE: '1h',
      ALERTER_PUBLIC_QUERY_URL: stack.queryUrl,
    }),
    logger: testLogger('alerter'),
    kafka: testKafka({ clientId: 'console-alerts' }),
    clickhouse: stack.clickhouse,
    clock: () => now,
  });
  expect((await postBatch(stack.collectorUrl, project.writeKey, { batch: sent.events })).status).toBe(200);
  await eventually(
    async () =>
      expect(await storedMessageIds(stack.clickhouse, project.projectId)).toHaveLength(sent.events.length),
    { timeoutMs: 60_000 },
  );
  await eventually(async () => expect(alerter.isReady()).toBe(true));
});

afterAll(async () => {
  await alerter?.close();
  await receiver?.close();
  await browser?.close();
});

const fieldError = (page: Page, field: string) =>
  page.locator(`.rule-form [data-field="${field}"] .field-error`).textContent({ timeout: 30_000 });
const savedRules = async () =>
  (await queryApi<{ rules: Array<{ id: string }> }>(stack.queryUrl, project, 'GET', '/alert-rules')).body
    .rules;
const stateShown = (page: Page) => page.locator('.rule-state .alert-status').textContent();

describe('the Alerts screens', () => {
  let page: Page;
  let seen: Awaited<ReturnType<typeof openPage>>['seen'];
  let ruleId: string;
  const timeline = expectedTimeline();
  const incidents = expectedIncidents(timeline);

  it('plants a drop the definition says fires once and resolves', () => {
    expect(timeline.filter((s) => s.status === 'breach').length).toBeGreaterThan(0);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.resolvedAt).not.toBeNull();
  });

  it('shows invalid input by field and saves nothing, then creates the rule', async () => {
    ({ page, seen } = await openPage(browser, stack.queryUrl));
    await page.goto(`${stack.queryUrl}/alerts/new?from=${local(FROM)}&to=${local(TO)}`);
    await signIn(page, project);
    await page.locator('[name="name"]').fill('Checkout conversion');
    await page.locator('[name="window"]').fill('5s');
    await page.locator('[name="minRelativeDrop"]').fill('3');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.locator('[name="notify.0.url"]').fill('ftp://hooks.example/x');
    await page.locator('[name="notify.0.secret"]').fill('short');
    // Checked as typed (the backtest route's answer), before any save.
    expect(await fieldError(page, 'window')).toMatch(/1m and 90d/);
    expect(await fieldError(page, 'minRelativeDrop')).toBeTruthy();
    expect(await fieldError(page, 'notify.0.url')).toMatch(/http/);
    expect(await fieldError(page, 'notify.0.secret')).toMatch(/16 characters/);
    await expect(page.locator('[name="window"]').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await poll(() => page.locator('.rule-form [role="alert"]').count()).toBe(1);
    expect(new URL(page.url()).pathname).toBe('/alerts/new');
    expect(await savedRules()).toEqual([]);
    await screenshot(page, 'alert-rule-invalid');
    expect(await seriousViolations(page)).toEqual([]);

    await page.locator('[name="window"]').fill('1h');
    await page.locator('[name="conversionWindow"]').fill('1h');
    await page.locator('[name="evaluateEvery"]').fill('1h');
    await page.locator('[name="resolveAfter"]').fill(String(RESOLVE_AFTER));
    await page.locator('[name="baseline.type"]').selectOption('trailing');
    await page.locator('[name="baseline.windows"]').fill(String(TRAILING));
    await page.locator('[name="minRelativeDrop"]').fill(String(MIN_RELATIVE_DROP));
    await page.locator('[name="minSample"]').fill(String(MIN_SAMPLE));
    await page.locator('[name="breakdown"]').selectOption('device');
    await page.locator('[name="notify.0.url"]').fill(receiver.url);
    await page.locator('[name="notify.0.secret"]').fill(SECRET);
    await poll(() => page.locator('.field-error').count()).toBe(0);
    await poll(() => page.locator('table.backtest-timeline tbody tr').count()).toBe(timeline.length);
    await page.getByRole('button', { name: 'Create rule' }).click();
    await poll(() => new URL(page.url()).pathname).toMatch(/^\/alerts\/ar_/);
    ruleId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2] ?? '');
    expect((await savedRules()).map((r) => r.id)).toEqual([ruleId]);
    // The secret is never shown back: the field is empty, the placeholder says one is stored.
    await poll(() => page.locator('[name="notify.0.secret"]').getAttribute('placeholder')).toMatch(/stored/);
    expect(await page.locator('[name="notify.0.secret"]').inputValue()).toBe('');
    expect(await page.content()).not.toContain(SECRET);
  });

  it('backtests the rule over the planted drop where the definition says, chart and table', async () => {
    await poll(() => page.locator('table.backtest-timeline tbody tr').count()).toBe(timeline.length);
    const rows = await page.$$eval('table.backtest-timeline tbody tr', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-at'), tr.getAttribute('data-status')]),
    );
    expect(rows).toEqual(timeline.map((s) => [iso(s.at), s.status]));
    const figures = await shownRows(page, 'table.backtest-timeline');
    expect(figures).toEqual(timeline.map((s) => [s.status, percent(s.current), percent(s.baseline)]));
    const shownIncidents = await page.$$eval('table.backtest-incidents tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('time')).map((t) => t.getAttribute('datetime'))),
    );
    expect(shownIncidents).toEqual(
      incidents.map((i) => [iso(i.firedAt), i.resolvedAt === null ? undefined : iso(i.resolvedAt)]),
    );
    expect(await page.locator('table.backtest-incidents .root-cause').textContent()).toContain('desktop');
    // The chart is drawn: its SVG has the breach markers and the shaded incident.
    expect(await page.locator('.backtest-chart svg path').count()).toBeGreaterThan(10);
    await screenshot(page, 'alert-rule-backtest');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('lists the rule, fires through the alerter with a delivered webhook, snoozes and un-snoozes', async () => {
    const first = incidents[0]?.firedAt ?? 0;
    now = first;
    await alerter.tick();
    await page.goto(`${stack.queryUrl}/alerts`);
    const row = page.locator(`table.alert-rules tr[data-rule="${ruleId}"]`);
    await poll(() => row.locator('.alert-status').textContent()).toBe('firing');
    expect(await row.locator('th a').textContent()).toBe('Checkout conversion');
    expect(await row.locator('time').first().getAttribute('datetime')).toBe(iso(first));
    const firing = page.locator(`table.alert-events tr[data-event="${ruleId}.1.firing"]`);
    await poll(() => firing.locator('.deliveries').textContent()).toBe(
      `${new URL(receiver.url).host}: delivered, 1 attempt`,
    );
    expect(await firing.locator('.root-cause').textContent()).toContain('desktop');
    expect(receiver.accepted().map((r) => r.headers['x-waymark-idempotency-key'])).toEqual([
      `${ruleId}.1.firing`,
    ]);
    await screenshot(page, 'alerts');
    expect(await seriousViolations(page)).toEqual([]);

    await row.locator('th a').click();
    await poll(() => stateShown(page)).toBe('firing');
    await page.locator('[name="snoozeUntil"]').fill('2030-01-01T00:00');
    await page.getByRole('button', { name: 'Snooze', exact: true }).click();
    await poll(() => page.locator('.rule-state time[datetime="2030-01-01T00:00:00Z"]').count()).toBe(1);
    await page.goto(`${stack.queryUrl}/alerts`);
    await poll(() => row.locator('time[datetime="2030-01-01T00:00:00Z"]').count()).toBe(1);
    await row.locator('th a').click();
    await page.getByRole('button', { name: 'Un-snooze' }).click();
    await poll(() => page.locator('.rule-state').textContent()).toContain('not snoozed');
    const saved = await queryApi<{ version: number; rule: { snoozedUntil: string | null } }>(
      stack.queryUrl,
      project,
      'GET',
      `/alert-rules/${ruleId}`,
    );
    expect(saved.body).toMatchObject({ version: 3, rule: { snoozedUntil: null } });
  });

  it('resolves the incident by hand: state, history and its delivery change', async () => {
    await page.getByRole('button', { name: 'Resolve incident #1' }).click();
    await poll(() => stateShown(page)).toBe('resolved');
    const resolved = page.locator(`table.alert-events tr[data-event="${ruleId}.1.resolved"]`);
    await poll(() => resolved.locator('.summary').textContent()).toBe('resolved by hand');
    // The resolve's notification waits in the outbox for the rule's alerter.
    now = Date.now() + MINUTE;
    await alerter.tick();
    await page.reload();
    await poll(() => resolved.locator('.deliveries').textContent()).toBe(
      `${new URL(receiver.url).host}: delivered, 1 attempt`,
    );
    expect(receiver.accepted().map((r) => r.headers['x-waymark-idempotency-key'])).toEqual([
      `${ruleId}.1.firing`,
      `${ruleId}.1.resolved`,
    ]);
    await screenshot(page, 'alert-rule');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('deletes the rule; its history stays', async () => {
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: 'Delete rule' }).click();
    await poll(() => new URL(page.url()).pathname).toBe('/alerts');
    await poll(() => page.locator('.empty').first().textContent()).toMatch(/No alert rules yet/);
    await poll(() => page.locator('table.alert-events tbody tr').count()).toBe(2);
    expect(await savedRules()).toEqual([]);
    // Chromium logs every 4xx answer: the 400s are the server checking the rule as it was typed (the one
    // validator), the 404 the deleted rule's screen asking for it once more before it leaves.
    const expected = /Failed to load resource: the server responded with a status of (400|404)/;
    expectCleanPage({ ...seen, errors: seen.errors.filter((e) => !expected.test(e)) }, project);
  });
});
