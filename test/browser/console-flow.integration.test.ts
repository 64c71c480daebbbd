/// <reference lib="dom" />

import type { getBottlenecks, RouteResponse } from '@waymark/api-contract';
import { seededRandom } from '@waymark/cli';
import { STAGE_NAMES, type StageFunnelMode } from '@waymark/journey';
import { type ReferenceFunnel, type ReferenceTouchpoint, referenceStageFunnel } from '@waymark/testing';
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
import { DAY, MINUTE, STAGE_EVENTS } from '../support/population.ts';
import {
  expectCleanPage,
  launchConsoleBrowser,
  openPage as openRecordedPage,
  poll,
  screenshot,
  seriousViolations,
  signIn as signInAs,
} from './support/console-page.ts';

/*
 * The Flow and Bottlenecks screens in a real Chromium against the whole pipeline. A generated population of
 * anonymous shoppers (no identities, one copy of each message, never two touchpoints in the same
 * millisecond) goes through the collector; the tables must show the stage flow and the bottlenecks as
 * computed here from what was sent: the flow by a direct reading of docs/analytics/flow-and-drilldown.md,
 * the bottlenecks from the reference stage funnel (@waymark/testing) of both periods.
 */

const stack = usePipeline();
let project: TestProject;
let browser: Browser;

const T0 = Date.UTC(2025, 4, 1);
const FROM = '2025-05-01';
const TO = '2025-05-08';

/**
 * Two cohorts: shoppers entering in the week before FROM (most of them go on to consideration) and in the
 * week from FROM (fewer do), so the step into consideration changes significantly. Then a walk that
 * progresses, skips, regresses or stops; some paths run past the period's end or start before it.
 */
function generate(seed: number) {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const events: Record<string, unknown>[] = [];
  const touchpoints: ReferenceTouchpoint[] = [];
  for (const [cohort, start, toConsideration] of [
    ['then', T0 - 7 * DAY, 0.9],
    ['now', T0, 0.4],
  ] as const) {
    for (let i = 0; i < 60; i++) {
      const anonymousId = `${cohort}-${i}`;
      // Whole minutes apart: no two touchpoints of a shopper share a millisecond.
      let at = start + Math.floor((random() * 6 * DAY) / MINUTE) * MINUTE;
      const stages = [1];
      if (random() < toConsideration) {
        stages.push(2);
        for (let stage = 2; stages.length < 9; ) {
          const move = random();
          if (move >= 0.85) break;
          stage =
            move < 0.55
              ? Math.min(7, stage + 1)
              : move < 0.7
                ? Math.min(7, stage + 2)
                : Math.max(1, stage - 1);
          stages.push(stage);
        }
      }
      stages.forEach((stage, s) => {
        const messageId = `${anonymousId}-${s}`;
        events.push({
          type: 'track',
          event: STAGE_EVENTS[stage],
          anonymousId,
          messageId,
          timestamp: new Date(at).toISOString(),
        });
        touchpoints.push({ projectId: '', messageId, rawKey: `a:${anonymousId}`, timestamp: at, stage });
        at += pick([1, 20, 3 * 60, 2 * 24 * 60]) * MINUTE;
      });
    }
  }
  return { events, touchpoints };
}

const sent = generate(7);

// ---- the stage flow, by its definition ----------------------------------------------------------------

const node = (index: number) =>
  index === 0 ? 'entry' : index === 8 ? 'exit' : (STAGE_NAMES[index - 1] as string);

/**
 * Each link's [source, target, kind, transitions, customers] for [from, to) as the table shows them: a
 * shopper's path starts at its stage before `from` (or entry) and moves at every change of stage; it exits
 * at its last stage of the period unless a staged touchpoint follows within `exitAfter` (the period is long
 * past, so every exit is known).
 */
function referenceFlowRows(
  from: number,
  to: number,
  exitAfterMs: number,
  only: (customer: string) => boolean = () => true,
): string[][] {
  const links = new Map<string, { source: number; target: number; value: number; customers: Set<string> }>();
  const add = (customer: string, source: number, target: number) => {
    const link = links.get(`${source}>${target}`) ?? { source, target, value: 0, customers: new Set() };
    link.value += 1;
    link.customers.add(customer);
    links.set(`${source}>${target}`, link);
  };
  for (const customer of new Set(sent.touchpoints.map((t) => t.rawKey))) {
    if (!only(customer)) continue;
    const all = sent.touchpoints
      .filter((t) => t.rawKey === customer)
      .sort((a, b) => a.timestamp - b.timestamp);
    const inPeriod = all.filter((t) => t.timestamp >= from && t.timestamp < to);
    const last = inPeriod.at(-1);
    if (last === undefined) continue;
    const before = all.filter((t) => t.timestamp < from).at(-1)?.stage ?? 0;
    const stages = [before, ...inPeriod.map((t) => t.stage)];
    for (let i = 1; i < stages.length; i++) {
      if (stages[i] !== stages[i - 1]) add(customer, stages[i - 1] as number, stages[i] as number);
    }
    const next = all.find((t) => t.timestamp >= to);
    if (next === undefined || next.timestamp - last.timestamp > exitAfterMs) add(customer, last.stage, 8);
  }
  return [...links.values()]
    .sort((a, b) => a.source - b.source || a.target - b.target)
    .map((l) => [
      node(l.source),
      node(l.target),
      l.source === 0 ? 'entry' : l.target === 8 ? 'exit' : l.target > l.source ? 'progression' : 'regression',
      String(l.value),
      String(l.customers.size),
    ]);
}

// ---- the bottlenecks, from the reference funnels of both periods --------------------------------------

const funnel = (from: number, to: number, mode: StageFunnelMode): ReferenceFunnel =>
  referenceStageFunnel(sent.touchpoints, [], { projectId: '', from, to, windowMs: 30 * DAY, mode });

/** erfc by Numerical Recipes' Chebyshev fit (relative error below 1.2e-7): enough for three decimals. */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const coefficients = [
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
    -0.82215223, 0.17087277,
  ];
  const poly = coefficients.reduceRight((sum, c) => c + t * sum, 0);
  const value = t * Math.exp(-x * x + poly);
  return x >= 0 ? value : 2 - value;
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const signed = (text: string, x: number) => `${x > 0 ? '+' : ''}${text}`;

/** Each step's row as the Bottlenecks table shows it, ranked by drop-off or by change. */
function referenceBottleneckRows(rank: 'dropOff' | 'change', mode: StageFunnelMode = 'reached'): string[][] {
  const [now, then] = [funnel(T0, T0 + 7 * DAY, mode), funnel(T0 - 7 * DAY, T0, mode)];
  const steps = [2, 3, 4, 5, 6, 7].map((k) => {
    const [n, m] = [now.stages, then.stages].map((s) => ({
      from: (s[k - 2] as { customers: number }).customers,
      ...(s[k - 1] as ReferenceFunnel['stages'][number]),
    })) as [
      ReferenceFunnel['stages'][number] & { from: number },
      ReferenceFunnel['stages'][number] & { from: number },
    ];
    const comparable = n.from > 0 && m.from > 0;
    const points = comparable ? (n.conversionFromPrevious - m.conversionFromPrevious) * 100 : null;
    const relative =
      comparable && m.conversionFromPrevious > 0
        ? n.conversionFromPrevious / m.conversionFromPrevious - 1
        : null;
    const pooled = (n.customers + m.customers) / (n.from + m.from);
    const error = Math.sqrt(pooled * (1 - pooled) * (1 / n.from + 1 / m.from));
    const z = comparable && error > 0 ? (n.customers / n.from - m.customers / m.from) / error : null;
    const p = z === null ? null : Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
    const enough = [n.from, m.from].every((size) => size * pooled >= 5 && size * (1 - pooled) >= 5);
    const row = [
      `${k}. ${STAGE_NAMES[k - 1]}`,
      String(n.from),
      String(n.customers),
      String(n.from - n.customers),
      percent(n.dropOff),
      n.medianSecondsFromPrevious === null ? '—' : `PT${Math.round(n.medianSecondsFromPrevious)}S`,
      percent(m.dropOff),
      points === null ? '—' : signed(`${points.toFixed(1)} pp`, points),
      relative === null ? '—' : signed(percent(relative), relative),
      p === null ? '—' : p < 0.001 ? '< 0.001' : p.toFixed(3),
      p !== null && p < 0.05 && enough ? 'yes' : 'no',
    ];
    return { k, lost: n.from - n.customers, dropOff: n.dropOff, points, z, row };
  });
  const ranked =
    rank === 'dropOff'
      ? steps.sort((a, b) => b.dropOff - a.dropOff || b.lost - a.lost || a.k - b.k)
      : steps.sort((a, b) =>
          a.points === null || b.points === null
            ? Number(a.points === null) - Number(b.points === null) || a.k - b.k
            : a.points - b.points || (a.z ?? 0) - (b.z ?? 0) || a.k - b.k,
        );
  return ranked.map((s) => s.row);
}

/** A table's body as shown, the row header included; a duration by its machine-readable `datetime`. */
function rowsOf(page: Page, table: string): Promise<string[][]> {
  return page.$$eval(`${table} tbody tr`, (rows) =>
    rows.map((row) =>
      Array.from(row.querySelectorAll('th, td')).map(
        (cell) => cell.querySelector('time')?.getAttribute('datetime') ?? cell.textContent ?? '',
      ),
    ),
  );
}

const openPage = () => openRecordedPage(browser, stack.queryUrl);
const signIn = (page: Page) => signInAs(page, project);
const flowRows = (page: Page) => rowsOf(page, '.flow table.figures');
const bottleneckRows = (page: Page) => rowsOf(page, '.bottlenecks table.figures');

beforeAll(async () => {
  browser = await launchConsoleBrowser();
  project = await createTestProject(stack.clickhouse, 'console_flow');
  await eventually(async () => {
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch: sent.events })).status).toBe(200);
  });
  await eventually(
    async () => {
      // Every touchpoint stored: the flow of the whole time sent has one entry per shopper.
      const { body } = await queryApi<{ nodes: { id: string; customers: number }[] }>(
        stack.queryUrl,
        project,
        'GET',
        `/flow/stages?from=2025-04-01&to=2025-07-01`,
      );
      const transitions = referenceFlowRows(Date.UTC(2025, 3, 1), Date.UTC(2025, 6, 1), 30 * DAY);
      expect(body.nodes.find((n) => n.id === 'entry')?.customers).toBe(120);
      expect(transitions.find((row) => row[0] === 'entry')?.[4]).toBe('120');
    },
    { timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await browser?.close();
});

describe('the Flow screen', () => {
  it('shows every link of the stage flow as computed from what was sent, its controls in the URL', async () => {
    const expected = referenceFlowRows(T0, T0 + 7 * DAY, DAY);
    // The population covers what the screen must draw: entries, regressions, stages held before FROM, exits.
    expect(new Set(expected.map((row) => row[2]))).toEqual(
      new Set(['entry', 'progression', 'regression', 'exit']),
    );
    expect(expected.some((row) => row[0] !== 'entry' && row[2] !== 'entry')).toBe(true);

    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/flow?from=${FROM}&to=${TO}&exitAfter=1d`);
    await signIn(page);
    await poll(() => flowRows(page)).toEqual(expected);
    await page.locator('.chart svg').waitFor();
    // The regressions are drawn into their "back to" nodes: ECharts drew the Sankey, no cycle refused.
    const regression = expected.find((row) => row[2] === 'regression') as string[];
    await poll(() => page.locator('.chart svg').textContent()).toContain(`back to ${regression[1]}`);
    await screenshot(page, 'flow');
    expect(await seriousViolations(page)).toEqual([]);

    // A longer exit delay: shoppers who came back after `to` within 30 days no longer exit.
    const longer = referenceFlowRows(T0, T0 + 7 * DAY, 30 * DAY);
    expect(longer).not.toEqual(expected);
    await page.getByLabel('Exit after').fill('30d');
    await poll(() => new URL(page.url()).searchParams.get('exitAfter')).toBe('30d');
    await poll(() => flowRows(page)).toEqual(longer);

    // The URL is the view: a shorter range, opened afresh.
    await page.goto(`${stack.queryUrl}/flow?from=2025-05-03&to=2025-05-05&exitAfter=1d`);
    await poll(() => flowRows(page)).toEqual(referenceFlowRows(T0 + 2 * DAY, T0 + 4 * DAY, DAY));

    // A breakdown by orders (touchpoints staged purchase, ever): the flow of the shoppers with none.
    await page.getByLabel('Breakdown').selectOption('orders');
    await poll(() => new URL(page.url()).searchParams.get('breakdown')).toBe('orders');
    await poll(() => page.getByLabel('Segment').locator('option[value="0"]').count()).toBe(1);
    await page.getByLabel('Segment').selectOption('0');
    await poll(() => new URL(page.url()).searchParams.get('segment')).toBe('0');
    const buyers = new Set(sent.touchpoints.filter((t) => t.stage === 5).map((t) => t.rawKey));
    expect(buyers.size).toBeGreaterThan(0);
    await poll(() => flowRows(page)).toEqual(
      referenceFlowRows(T0 + 2 * DAY, T0 + 4 * DAY, DAY, (customer) => !buyers.has(customer)),
    );

    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('says so for an empty range, and shows the API problem for hostile URL state', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/flow?from=2020-01-01&to=2020-02-01`);
    await signIn(page);
    await page.getByRole('heading', { name: 'No customer moved between stages in this range' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    const problem = page.getByRole('alert');
    await page.goto(`${stack.queryUrl}/flow?from=${TO}&to=${FROM}`);
    await poll(() => problem.getByRole('heading').textContent()).toBe('The request is invalid');
    await poll(() => problem.locator('p').textContent()).toMatch(/^to: /);

    await page.goto(
      `${stack.queryUrl}/flow?from=${FROM}&to=${TO}&exitAfter=%3Cscript%3Ealert(1)%3C%2Fscript%3E`,
    );
    await poll(() => problem.locator('p').textContent()).toMatch(/^exitAfter: /);
    await page.goto(
      `${stack.queryUrl}/flow?from=${FROM}&to=${TO}&breakdown=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E`,
    );
    await poll(() => problem.locator('p').textContent()).toMatch(/^breakdown: /);
    await screenshot(page, 'flow-error');
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${stack.queryUrl}/flow?from=${FROM}&to=${TO}&breakdown=type&segment=%3Cscript%3E`);
    await poll(() => problem.getByRole('heading').textContent()).toBe('No such segment');
    expect(seen.dialogs).toEqual([]);
    expect(seen.errors.filter((e) => !e.includes('400'))).toEqual([]);
    await page.context().close();
  });
});

describe('the Bottlenecks screen', () => {
  it('ranks the steps by drop-off and by change with its significance, as the reference funnels give', async () => {
    const byChange = referenceBottleneckRows('change');
    // The step into consideration fell, significantly (0.4 against 0.9 of 60 shoppers each).
    expect(byChange[0]?.[0]).toBe('2. consideration');
    expect(byChange[0]?.[10]).toBe('yes');

    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/bottlenecks?from=${FROM}&to=${TO}`);
    await signIn(page);
    await poll(() => bottleneckRows(page)).toEqual(referenceBottleneckRows('dropOff'));
    await page.locator('.chart svg').waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel('Rank by').selectOption('change');
    await poll(() => new URL(page.url()).searchParams.get('rank')).toBe('change');
    await poll(() => bottleneckRows(page)).toEqual(byChange);
    await page.locator('.chart svg').waitFor();
    await screenshot(page, 'bottlenecks');
    expect(await seriousViolations(page)).toEqual([]);

    // Without the comparison: the figures of the period only, and nothing to rank by change.
    await page.getByLabel('Compare').selectOption('none');
    await poll(() => new URL(page.url()).searchParams.get('compare')).toBe('none');
    await page.getByRole('heading', { name: 'No comparison' }).waitFor();
    await page.getByLabel('Rank by').selectOption('dropOff');
    await poll(() => bottleneckRows(page)).toEqual(
      referenceBottleneckRows('dropOff').map((row) => row.slice(0, 6)),
    );

    // On a phone, in dark mode, both screens: the same figures, still readable (axe checks the contrast).
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.queryUrl}/bottlenecks?from=${FROM}&to=${TO}&rank=change`);
    await poll(() => bottleneckRows(page)).toEqual(byChange);
    await page.locator('.chart svg').waitFor();
    await screenshot(page, 'bottlenecks-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);
    await page.goto(`${stack.queryUrl}/flow?from=${FROM}&to=${TO}&exitAfter=1d`);
    await poll(() => flowRows(page)).toEqual(referenceFlowRows(T0, T0 + 7 * DAY, DAY));
    await page.locator('.chart svg').waitFor();
    await screenshot(page, 'flow-phone-dark');
    expect(await seriousViolations(page)).toEqual([]);

    expectCleanPage(seen, project);
    await page.context().close();
  });

  it("ranks the steps of the funnel's mode and stage range", async () => {
    const ordered = referenceBottleneckRows('dropOff', 'ordered');
    // Ordered counts are not reached ones: a screen that ignored the mode would show the others.
    expect(ordered).not.toEqual(referenceBottleneckRows('dropOff'));
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/bottlenecks?from=${FROM}&to=${TO}`);
    await signIn(page);
    await poll(() => bottleneckRows(page)).toEqual(referenceBottleneckRows('dropOff'));
    await page.getByLabel('Mode').selectOption('ordered');
    await poll(() => new URL(page.url()).searchParams.get('mode')).toBe('ordered');
    await poll(() => bottleneckRows(page)).toEqual(ordered);
    expect(await page.locator('.bottlenecks p.summary').textContent()).toContain('Steps of the ordered-mode');

    // From evaluation: its steps only, as the API counts that cohort (entry at evaluation or later).
    await page.getByLabel('From stage').selectOption('evaluation');
    await poll(() => new URL(page.url()).searchParams.get('fromStage')).toBe('evaluation');
    const { body } = await queryApi<RouteResponse<typeof getBottlenecks>>(
      stack.queryUrl,
      project,
      'GET',
      `/bottlenecks?from=${FROM}&to=${TO}&mode=ordered&fromStage=evaluation&compare=previous`,
    );
    expect(body.byDropOff.map((b) => b.index).sort()).toEqual([4, 5, 6, 7]);
    await poll(async () => (await bottleneckRows(page)).map((row) => row.slice(0, 5))).toEqual(
      body.byDropOff.map((b) => [
        `${b.index}. ${b.stage}`,
        String(b.from),
        String(b.customers),
        String(b.lost),
        percent(b.dropOff),
      ]),
    );
    expect(await page.locator('.bottlenecks p.summary').textContent()).toContain(
      'from evaluation to advocacy',
    );
    await screenshot(page, 'bottlenecks-stage-range');
    expect(await seriousViolations(page)).toEqual([]);
    expectCleanPage(seen, project);
    await page.context().close();
  });

  it('says so for an empty range, and shows the API problem for hostile URL state', async () => {
    const { page, seen } = await openPage();
    await page.goto(`${stack.queryUrl}/bottlenecks?from=2020-01-01&to=2020-02-01`);
    await signIn(page);
    await page.getByRole('heading', { name: 'No customers entered the journey in this range' }).waitFor();

    const problem = page.getByRole('alert');
    await page.goto(
      `${stack.queryUrl}/bottlenecks?from=${FROM}&to=${TO}&compare=%3Cscript%3Ealert(1)%3C%2Fscript%3E`,
    );
    await poll(() => problem.getByRole('heading').textContent()).toBe('The request is invalid');
    await poll(() => problem.locator('p').textContent()).toBe('compare: compare must be "previous"');
    await page.goto(`${stack.queryUrl}/bottlenecks?from=not-a-date&to=${TO}&window=400d`);
    await poll(() => problem.locator('p').textContent()).toMatch(/from/);
    expect(await problem.locator('p').textContent()).toMatch(/window/);
    await screenshot(page, 'bottlenecks-error');
    await page.goto(`${stack.queryUrl}/bottlenecks?from=${FROM}&to=${TO}&rank=%3Cscript%3E`);
    await poll(() => problem.getByRole('heading').textContent()).toBe('Unknown ranking');
    expect(await seriousViolations(page)).toEqual([]);
    expect(seen.dialogs).toEqual([]);
    expect(seen.errors.filter((e) => !e.includes('400'))).toEqual([]);
    await page.context().close();
  });
});
