/// <reference lib="dom" />

import { DEFAULT_CUSTOMER_MODEL, DEFAULT_STAGE_RULESET, STAGE_NAMES } from '@waymark/journey';
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
import { DAY, STAGE_EVENTS } from '../support/population.ts';
import {
  launchConsoleBrowser,
  openPage as openRecordedPage,
  poll,
  screenshot,
  seriousViolations,
  shownRows,
  signIn as signInAs,
} from './support/console-page.ts';

/*
 * The Journey settings screen in a real Chromium against the whole pipeline: the stage ruleset editor
 * (checked as typed by the server's dry run, saved with its version) and the customer-model thresholds.
 * What the dry run shows is checked against this test's own reading of what it sent: every event but one
 * is in population.ts's STAGE_EVENTS, whose index is the stage the default ruleset gives it; "Quote
 * Requested" is unknown to the default (no stage) and the rule the test adds makes it evaluation.
 */

// The processor reads a saved ruleset within this interval, so the test need not wait 5 s.
const stack = usePipeline({ PROCESSOR_RULESET_REFRESH: '200ms' });
let project: TestProject;
let browser: Browser;

const QUOTE = 'Quote Requested';
const EVALUATION = 3;
/** Every touchpoint is this old: past at risk (30 days), not yet lost (90) under the default model. */
const AGE_DAYS = 60;
const SENT_AT = Date.now() - AGE_DAYS * DAY;

const shoppers = Array.from({ length: 10 }, (_, i) => {
  const events = ['Product Viewed', i % 2 === 0 ? QUOTE : 'Products Compared'];
  if (i % 3 === 0) events.push('Order Completed');
  return { key: `a:shopper-${String(i).padStart(2, '0')}`, events };
});
const sent = shoppers.flatMap(({ key, events }, i) =>
  events.map((event, e) => ({
    type: 'track',
    event,
    anonymousId: key.slice(2),
    messageId: `set-${i}-${e}`,
    timestamp: new Date(SENT_AT + i * 60_000 + e * 1000).toISOString(),
  })),
);

/** The default ruleset's stage of an event this test sends (0: none). */
const defaultStage = (event: string) =>
  Math.max(0, STAGE_EVENTS.indexOf(event as (typeof STAGE_EVENTS)[number]));
const quotes = sent.filter((t) => t.event === QUOTE);

/** The dry run's table for the added rule: per stage (none first), the count now and under the draft. */
function expectedDryRun(): string[][] {
  return ['none', ...STAGE_NAMES].map((_, stage) => {
    const now = sent.filter((t) => defaultStage(t.event) === stage).length;
    const moved = stage === 0 ? -quotes.length : stage === EVALUATION ? quotes.length : 0;
    return [String(now), String(now + moved)];
  });
}

const openPage = () => openRecordedPage(browser, stack.queryUrl);
const signIn = (page: Page) => signInAs(page, project);
const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
  queryApi<T>(stack.queryUrl, project, method, path, { body });
type Ruleset = { version: number; source: string; ruleset: typeof DEFAULT_STAGE_RULESET };
type Model = { version: number; source: string; model: typeof DEFAULT_CUSTOMER_MODEL };

const ruleCards = (page: Page) => page.locator('ol[data-list="rules"] fieldset');
const ruleCard = (page: Page, i: number) => page.locator(`ol[data-list="rules"] fieldset[data-rule="${i}"]`);
const errorsOf = (scope: ReturnType<Page['locator']>) => scope.locator('.field-errors li').allTextContents();
const rulesetForm = (page: Page) => page.getByRole('form', { name: 'Stage ruleset' });
const checkStatus = (page: Page) => rulesetForm(page).locator('.check');
const threshold = (page: Page, path: string) => page.locator(`.threshold[data-field="${path}"]`);
/** Console errors other than the 400 and 409 answers the test provokes on purpose. */
const unexpectedErrors = (errors: readonly string[]) =>
  errors.filter((e) => !e.includes('400') && !e.includes('409'));

async function openSettings(page: Page, rules: number) {
  await page.goto(`${stack.queryUrl}/settings`);
  await signIn(page);
  await poll(() => ruleCards(page).count()).toBe(rules);
  await poll(() => checkStatus(page).textContent()).toBe('No changes.');
}

async function typeMatch(page: Page, i: number, match: string) {
  await ruleCard(page, i).locator('textarea[name="match"]').fill(match);
}

async function lostCustomers(): Promise<string[]> {
  const { body } = await api<{ customers: Array<{ customer: string }> }>(
    'GET',
    '/customers?type=lost&limit=100',
  );
  return body.customers.map((c) => c.customer).sort();
}

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  project = await createTestProject(stack.clickhouse, 'console-settings');
  await eventually(async () => {
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch: sent })).status).toBe(200);
  });
  await eventually(
    async () => {
      const { body } = await api<{ customers: Array<{ touchpoints: number }> }>(
        'GET',
        '/customers?limit=100',
      );
      expect(body.customers.reduce((sum, c) => sum + c.touchpoints, 0)).toBe(sent.length);
    },
    { timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await browser?.close();
});

describe('the journey settings screen', () => {
  it('shows invalid rules inline, by rule and field, as they are typed, and saves nothing', async () => {
    const { page, seen } = await openPage();
    await openSettings(page, DEFAULT_STAGE_RULESET.rules.length);
    // The stage names are the console's own copy: in @waymark/journey's order.
    expect(await ruleCard(page, 0).locator('select[name="stage"] option').allTextContents()).toEqual(
      STAGE_NAMES.map((name, i) => `${i + 1}. ${name}`),
    );

    // A misspelt condition, a glob that cannot match a path, and a match that is not JSON.
    await typeMatch(page, 0, '{ "type": "track", "evnet": "Product Reviewed" }');
    await typeMatch(page, 7, '{ "type": "page", "pagePath": "pricing" }');
    await poll(() => errorsOf(ruleCard(page, 0))).toEqual([expect.stringContaining('evnet')]);
    await poll(() => errorsOf(ruleCard(page, 7))).toEqual([
      expect.stringMatching(/^match\.pagePath\[0\]: .*starts with "\/" or "\*"/),
    ]);
    expect(await errorsOf(ruleCard(page, 1))).toEqual([]);
    await typeMatch(page, 1, '{ "type": "track", ');
    await poll(() => errorsOf(ruleCard(page, 1))).toEqual([expect.stringMatching(/^match: not JSON: /)]);
    expect(await checkStatus(page).textContent()).toBe('Fix the errors shown to save.');
    expect(await rulesetForm(page).getByRole('button', { name: 'Save as version 2' }).isDisabled()).toBe(
      true,
    );
    await screenshot(page, 'settings-invalid');
    expect(await seriousViolations(page)).toEqual([]);

    // Fixed as typed: the errors go; a rule added empty says what it lacks.
    await typeMatch(page, 1, JSON.stringify(DEFAULT_STAGE_RULESET.rules[1]?.match));
    await poll(() => errorsOf(ruleCard(page, 1))).toEqual([]);
    await rulesetForm(page).getByRole('button', { name: 'Add a rule', exact: true }).click();
    const added = DEFAULT_STAGE_RULESET.rules.length;
    await poll(() => errorsOf(ruleCard(page, added))).toEqual([
      expect.stringMatching(/^match\.event\[0\]: /),
    ]);

    // Hostile text is shown as text; an oversized draft (over the 1 MB body limit) gets the server's
    // problem, not a crash.
    await ruleCard(page, 2).locator('input[name="description"]').fill('<img src=x onerror=alert(1)>');
    await typeMatch(page, 3, JSON.stringify({ type: 'track', event: 'x'.repeat(2_000_000) }));
    const check = page.getByRole('complementary', { name: 'Check and save' });
    await poll(() => check.getByRole('alert').locator('h2').textContent()).toBe('The request is invalid');
    expect(await rulesetForm(page).getByRole('button', { name: 'Save as version 2' }).isDisabled()).toBe(
      true,
    );
    expect(await page.locator('img[src="x"]').count()).toBe(0);

    const stored = await api<Ruleset>('GET', '/stage-rules');
    expect(stored.body).toMatchObject({ version: 1, source: 'default' });
    expect(seen.dialogs).toEqual([]);
    expect(unexpectedErrors(seen.errors)).toEqual([]);
    await page.context().close();
  });

  it('dry-runs a valid rule on the latest touchpoints, saves it, and stages new touchpoints by it', async () => {
    const { page, seen } = await openPage();
    await openSettings(page, DEFAULT_STAGE_RULESET.rules.length);
    await rulesetForm(page).getByRole('button', { name: 'Add a rule', exact: true }).click();
    const added = DEFAULT_STAGE_RULESET.rules.length;
    await ruleCard(page, added).locator('select[name="stage"]').selectOption(String(EVALUATION));
    await ruleCard(page, added).locator('input[name="description"]').fill('A B2B quote');
    await typeMatch(page, added, JSON.stringify({ type: 'track', event: QUOTE }));

    await poll(() => shownRows(page, 'table.dry-run-stages')).toEqual(expectedDryRun());
    const examples = await shownRows(page, 'table.dry-run-examples');
    const exampleIds = await page.$$eval('table.dry-run-examples tbody th', (cells) =>
      cells.map((c) => c.textContent ?? ''),
    );
    expect(exampleIds.sort()).toEqual(quotes.map((t) => t.messageId).sort());
    expect(examples).toEqual(quotes.map(() => [QUOTE, 'no stage → evaluation']));
    await poll(() => checkStatus(page).textContent()).toBe('The draft is valid.');
    await screenshot(page, 'settings-dry-run');
    expect(await seriousViolations(page)).toEqual([]);

    await rulesetForm(page).getByRole('button', { name: 'Save as version 2' }).click();
    await poll(() => checkStatus(page).textContent()).toBe('Saved version 2.');
    const saved = await api<Ruleset>('GET', '/stage-rules');
    expect(saved.body).toMatchObject({ version: 2, source: 'project' });
    expect(saved.body.ruleset.rules.at(-1)).toEqual({
      stage: EVALUATION,
      description: 'A B2B quote',
      match: { type: ['track'], event: [QUOTE] },
    });
    expect(saved.body.ruleset.rules.slice(0, -1)).toEqual(DEFAULT_STAGE_RULESET.rules);

    // Touchpoints processed from now on get the new rule's stage; stored ones keep theirs.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const late = { type: 'track', event: QUOTE, anonymousId: 'late-quoter', messageId: 'set-late' };
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch: [late] })).status).toBe(200);
    await eventually(
      async () => {
        const { body } = await api<{ touchpoints: Array<{ messageId: string; stage: string | null }> }>(
          'GET',
          '/customers/a%3Alate-quoter/timeline',
        );
        expect(body.touchpoints.map((t) => [t.messageId, t.stage])).toEqual([['set-late', 'evaluation']]);
      },
      { timeoutMs: 30_000 },
    );
    const earlier = await api<{ touchpoints: Array<{ messageId: string; stage: string | null }> }>(
      'GET',
      `/customers/${encodeURIComponent(shoppers[0]?.key ?? '')}/timeline`,
    );
    expect(earlier.body.touchpoints.find((t) => t.messageId === quotes[0]?.messageId)?.stage).toBeNull();

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await poll(() => ruleCards(page).count()).toBe(added + 1);
    await poll(async () => (await shownRows(page, 'table.dry-run-stages')).length).toBe(8);
    await screenshot(page, 'settings-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);
    expect(unexpectedErrors(seen.errors)).toEqual([]);
    await page.context().close();
  });

  it('reports a save made meanwhile elsewhere instead of overwriting it, and overwrites only when asked', async () => {
    const { page, seen } = await openPage();
    const rules = DEFAULT_STAGE_RULESET.rules.length + 1;
    await openSettings(page, rules);
    await ruleCard(page, 0).locator('input[name="description"]').fill('Mine: a good review');
    await poll(() => checkStatus(page).textContent()).toBe('The draft is valid.');

    // A second tab saves version 3 behind the page's back.
    const current = (await api<Ruleset>('GET', '/stage-rules')).body;
    const theirs = {
      ...current.ruleset,
      version: 3,
      rules: [
        { stage: 'evaluation', match: { type: 'track', event: 'Demo Booked' } },
        ...current.ruleset.rules,
      ],
    };
    expect((await api('PUT', '/stage-rules', theirs)).status).toBe(200);

    await rulesetForm(page).getByRole('button', { name: 'Save as version 3' }).click();
    const conflict = rulesetForm(page).getByRole('alert');
    await conflict.waitFor();
    await poll(() => conflict.locator('p').first().textContent()).toContain('Version 3 was saved');
    // Theirs inserted a rule at the top; mine changed the first rule's description.
    const reviewMatch = JSON.stringify(DEFAULT_STAGE_RULESET.rules[0]?.match);
    const onlyIn = (i: number) => conflict.locator('ul.rules-only-in').nth(i).locator('li').allTextContents();
    expect(await onlyIn(0)).toEqual([
      'Rule 1: evaluation {"type":["track"],"event":["Demo Booked"]}',
      `Rule 2: advocacy "A good review" ${reviewMatch}`,
    ]);
    expect(await onlyIn(1)).toEqual([`Rule 1: advocacy "Mine: a good review" ${reviewMatch}`]);
    expect((await api<Ruleset>('GET', '/stage-rules')).body.ruleset.rules[0]?.match).toEqual({
      type: ['track'],
      event: ['Demo Booked'],
    });
    await screenshot(page, 'settings-conflict');
    expect(await seriousViolations(page)).toEqual([]);

    await conflict.getByRole('button', { name: 'Save mine over theirs' }).click();
    await poll(() => checkStatus(page).textContent()).toBe('Saved version 4.');
    const saved = (await api<Ruleset>('GET', '/stage-rules')).body;
    expect(saved.version).toBe(4);
    expect(saved.ruleset.rules).toHaveLength(rules);
    expect(saved.ruleset.rules[0]?.description).toBe('Mine: a good review');
    expect(unexpectedErrors(seen.errors)).toEqual([]);
    await page.context().close();
  });

  it('saves customer-model thresholds, refusing invalid ones at their field, and reports a conflict', async () => {
    const ordered = shoppers
      .filter((s) => s.events.includes('Order Completed'))
      .map((s) => s.key)
      .sort();
    // Under the default model (lost after 90 days) nobody is lost yet.
    expect(await lostCustomers()).toEqual([]);

    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/settings`);
    await signIn(page);
    const form = page.getByRole('form', { name: 'Customer model' });
    await poll(() => threshold(page, 'lostAfterDays').locator('input').inputValue()).toBe('90');

    await threshold(page, 'atRiskAfterDays').locator('input').fill('soon');
    await threshold(page, 'loyal.minOrders').locator('input').fill('1');
    await form.getByRole('button', { name: 'Save as version 2' }).click();
    await poll(() => errorsOf(threshold(page, 'atRiskAfterDays'))).toEqual([
      expect.stringContaining('number'),
    ]);
    expect(await errorsOf(threshold(page, 'loyal.minOrders'))).toEqual([expect.stringContaining('2')]);
    expect(await errorsOf(threshold(page, 'lostAfterDays'))).toEqual([]);
    await screenshot(page, 'settings-customer-model-invalid');
    expect(await seriousViolations(page)).toEqual([]);
    expect((await api<Model>('GET', '/customer-model')).body).toMatchObject({
      version: 1,
      source: 'default',
    });

    // Lost after 45 days: every shopper with an order, silent for 60, is lost.
    await threshold(page, 'atRiskAfterDays').locator('input').fill('30');
    await threshold(page, 'loyal.minOrders').locator('input').fill('3');
    await threshold(page, 'lostAfterDays').locator('input').fill('45');
    await form.getByRole('button', { name: 'Save as version 2' }).click();
    await poll(() => form.locator('.check').textContent()).toBe('Saved version 2.');
    expect((await api<Model>('GET', '/customer-model')).body).toEqual({
      version: 2,
      source: 'project',
      model: { ...DEFAULT_CUSTOMER_MODEL, lostAfterDays: 45 },
    });
    expect(await lostCustomers()).toEqual(ordered);

    // A second tab saves version 3; this page's save of version 3 is refused and says so.
    const theirs = { ...DEFAULT_CUSTOMER_MODEL, lostAfterDays: 45, complainingWithinDays: 10 };
    expect((await api('PUT', '/customer-model', { version: 3, model: theirs })).status).toBe(200);
    await threshold(page, 'advocateWithinDays').locator('input').fill('60');
    await form.getByRole('button', { name: 'Save as version 3' }).click();
    const conflict = form.getByRole('alert');
    await poll(() => conflict.locator('tbody tr').count()).toBe(2);
    expect(await conflict.locator('tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/^Complaining.*\t10\t30$/),
      expect.stringMatching(/^Advocate.*\t90\t60$/),
    ]);
    await screenshot(page, 'settings-customer-model-conflict');
    expect(await seriousViolations(page)).toEqual([]);
    await conflict.getByRole('button', { name: 'Discard mine, load theirs' }).click();
    await poll(() => threshold(page, 'complainingWithinDays').locator('input').inputValue()).toBe('10');
    expect(await threshold(page, 'advocateWithinDays').locator('input').inputValue()).toBe('90');
    expect((await api<Model>('GET', '/customer-model')).body).toMatchObject({ version: 3, model: theirs });

    // Back to the documented defaults, as a version of its own.
    await form.getByRole('button', { name: 'Reset to the defaults' }).click();
    await poll(() => form.locator('.check').textContent()).toBe('Saved version 4.');
    expect((await api<Model>('GET', '/customer-model')).body).toEqual({
      version: 4,
      source: 'project',
      model: DEFAULT_CUSTOMER_MODEL,
    });
    expect(await threshold(page, 'lostAfterDays').locator('input').inputValue()).toBe('90');
    expect(await lostCustomers()).toEqual([]);
    expect(seen.dialogs).toEqual([]);
    expect(unexpectedErrors(seen.errors)).toEqual([]);
    await page.context().close();
  });
});
