import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { touchpointOf } from '@waymark/events';
import {
  DEFAULT_CUSTOMER_MODEL,
  type FunnelOrder,
  type FunnelStepFigures,
  type PropertyFilter,
  rawKeyOf,
  type StepMatch,
} from '@waymark/journey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import {
  type CustomFunnelBreakdown,
  type CustomFunnelDefinition,
  type CustomFunnelResult,
  queryCustomFunnel,
} from './custom-funnel.query.ts';
import { type IdentityLink, insertIdentityLinks } from './identities.ts';
import { runMigrations } from './migrations.ts';
import { insertTouchpoints, type StoredTouchpoint } from './touchpoints.ts';

/*
 * Custom funnels against figures computed here, in plain TypeScript, by a direct reading of
 * docs/analytics/custom-funnels.md: step by step ("the earliest step-k touchpoint at or after step k−1"),
 * never by re-running the SQL's fold.
 */

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 2, 1);

let dir: string;
let client: ClickHouseClient;
let projectSeq = 0;
let messageSeq = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-custom-funnel-'));
  client = await createClickHouse({ dataDir: dir });
  await runMigrations(client);
});

afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

const newProject = () => `custom_funnel_${++projectSeq}`;

interface Tp {
  anonymousId?: string;
  userId?: string;
  at: number;
  type?: 'track' | 'page' | 'identify' | 'screen';
  event?: string;
  path?: string;
  stage?: number;
  properties?: Record<string, unknown>;
  source?: string;
  country?: string;
  messageId?: string;
}

function stored(projectId: string, tp: Tp): StoredTouchpoint {
  const ids = { anonymousId: tp.anonymousId ?? null, userId: tp.userId ?? null };
  return {
    touchpoint: touchpointOf({
      messageId: tp.messageId ?? `m${++messageSeq}`,
      projectId,
      type: tp.type ?? (tp.path === undefined ? 'track' : 'page'),
      event: tp.event ?? null,
      ...ids,
      timestamp: tp.at,
      receivedAt: tp.at + 80,
      pagePath: tp.path ?? null,
      campaignSource: tp.source ?? null,
      country: tp.country ?? null,
      properties: JSON.stringify(tp.properties ?? {}),
    }),
    rawKey: rawKeyOf(ids),
    stage: tp.stage ?? 0,
    complaint: false,
    revenue: 0,
    currency: '',
    rulesetVersion: 1,
    channel: '',
  };
}

const link = (projectId: string, aliasKey: string, customerKey: string, linkedAt: number): IdentityLink => ({
  projectId,
  aliasKey,
  customerKey,
  linkedAt,
  messageId: `link${++messageSeq}`,
});

// ---- the reference ------------------------------------------------------------------------------------

function propertyHolds(filter: PropertyFilter, properties: Record<string, unknown>): boolean {
  const present = Object.hasOwn(properties, filter.property);
  const value = present ? properties[filter.property] : undefined;
  const equals = (expected: unknown) => present && value === expected;
  const numeric =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value.trim()))
        ? Number(value.trim())
        : Number.NaN;
  if (filter.exists !== undefined && filter.exists !== (value !== undefined && value !== null)) return false;
  if (filter.eq !== undefined && !equals(filter.eq)) return false;
  if (filter.neq !== undefined && equals(filter.neq)) return false;
  if (filter.in !== undefined && !filter.in.some(equals)) return false;
  if (filter.gte !== undefined && !(numeric >= filter.gte)) return false;
  if (filter.lte !== undefined && !(numeric <= filter.lte)) return false;
  if (
    filter.contains !== undefined &&
    !(typeof value === 'string' && value.toLowerCase().includes(filter.contains.toLowerCase()))
  ) {
    return false;
  }
  return true;
}

function globHolds(glob: string, path: string): boolean {
  const pattern = glob
    .toLowerCase()
    .split('*')
    .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(path.toLowerCase());
}

function matches(step: StepMatch, t: StoredTouchpoint): boolean {
  const tp = t.touchpoint;
  const properties = JSON.parse(tp.properties) as Record<string, unknown>;
  return (
    (step.type === undefined || (step.type as string[]).includes(tp.type)) &&
    (step.event === undefined || (tp.event !== null && step.event.includes(tp.event))) &&
    (step.pagePath === undefined ||
      (!!tp.pagePath && step.pagePath.some((glob) => globHolds(glob, tp.pagePath as string)))) &&
    (step.stage === undefined || t.stage >= step.stage) &&
    (step.properties ?? []).every((filter) => propertyHolds(filter, properties))
  );
}

interface CustomerOutcome {
  customer: string;
  /** The counted attempt's start. */
  entry: number;
  /** The furthest step the counted attempt filled. */
  level: number;
  /** The steps it filled (1-based). */
  done: Set<number>;
  /** reached[k − 1]: when it filled step k, or for a skipped optional step when it filled the step before. */
  reached: number[];
  /** Every attempt was invalidated by an exclusion. */
  excluded: boolean;
  entryTouchpoint: StoredTouchpoint;
}

const NOT_ACTIONS = ['identify', 'alias', 'group'];

/**
 * Per cohort customer, read from docs/analytics/custom-funnels.md: every touchpoint that may start an attempt
 * does; an attempt walks the touchpoints after its start, each filling at most one step; the customer counts
 * at its best attempt that no exclusion invalidated.
 */
function referenceOutcomes(
  inserted: readonly StoredTouchpoint[],
  links: readonly IdentityLink[],
  funnel: CustomFunnelDefinition,
  from: number,
  to: number,
  windowMs: number,
): CustomerOutcome[] {
  // One copy per (raw key, message id): the last one stored, like ReplacingMergeTree.
  const copies = new Map<string, StoredTouchpoint>();
  for (const t of inserted) copies.set(`${t.rawKey}\u0000${t.touchpoint.messageId}`, t);
  const latest = new Map<string, IdentityLink>();
  for (const l of links) {
    const known = latest.get(l.aliasKey);
    if (!known || l.linkedAt >= known.linkedAt) latest.set(l.aliasKey, l);
  }
  const byCustomer = new Map<string, StoredTouchpoint[]>();
  for (const t of copies.values()) {
    const customer = latest.get(t.rawKey)?.customerKey ?? t.rawKey;
    byCustomer.set(customer, [...(byCustomer.get(customer) ?? []), t]);
  }
  const n = funnel.steps.length;
  const optional = (k: number) => funnel.steps[k - 1]?.optional === true;
  const time = (t: StoredTouchpoint) => t.touchpoint.timestamp;
  const outcomes: CustomerOutcome[] = [];
  for (const [customer, all] of byCustomer) {
    // Each touchpoint with the steps it matches, in the documented order: time, then within a millisecond
    // the lowest step matched, then the steps matched read as a binary number; no step last.
    const sequence = all
      .map((t) => {
        const own = funnel.steps.flatMap((step, position) => (matches(step, t) ? [position + 1] : []));
        const number = own.reduce((sum, k) => sum + 2 ** (k - 1), 0);
        return { t, at: time(t), own, number, lowest: own.length === 0 ? Infinity : Math.min(...own) };
      })
      .sort((x, y) => x.at - y.at || x.lowest - y.lowest || x.number - y.number);
    type Attempt = { start: number; level: number; done: Set<number>; reached: number[]; excluded: boolean };
    const attempts: Attempt[] = [];
    sequence.forEach((first, index) => {
      if (first.at < from || first.at >= to) return;
      if (funnel.order === 'unordered' ? first.own.length === 0 : !first.own.includes(1)) return;
      const deadline = first.at + windowMs;
      const done = new Set<number>();
      const reached: number[] = [];
      let level = 0;
      for (const next of sequence.slice(index)) {
        if (next.at > deadline) break;
        if (funnel.order === 'unordered') {
          const open = next.own.filter((k) => !done.has(k));
          if (open.length === 0) continue;
          done.add(Math.min(...open));
          level++;
          reached.push(next.at);
          continue;
        }
        // The steps it may fill: the next one and, past optional ones, up to the next that is not optional.
        const fillable: number[] = [];
        for (let k = level + 1; k <= n; k++) {
          fillable.push(k);
          if (!optional(k)) break;
        }
        const step = fillable.find((k) => next.own.includes(k));
        if (step !== undefined) {
          // Skipped optional steps take the time of the step before them.
          while (reached.length < step - 1) reached.push(reached.at(-1) as number);
          reached.push(next.at);
          done.add(step);
          level = step;
          continue;
        }
        if (funnel.order !== 'strict') continue;
        const repeat = level > 0 && next.own.includes(level);
        const notAnAction = next.own.length === 0 && NOT_ACTIONS.includes(next.t.touchpoint.type);
        if (!repeat && !notAnAction) break;
      }
      const excluded = funnel.exclusions.some(
        (exclusion) =>
          level >= exclusion.afterStep &&
          sequence.some(
            ({ t, at }) =>
              matches(exclusion, t) &&
              at > (reached[exclusion.afterStep - 1] as number) &&
              (level >= exclusion.beforeStep
                ? at < (reached[exclusion.beforeStep - 1] as number)
                : at <= deadline),
          ),
      );
      // Unordered, step i is "any i of the steps": counted at steps 1 … level.
      const counted =
        funnel.order === 'unordered' ? new Set(Array.from({ length: level }, (_, i) => i + 1)) : done;
      attempts.push({ start: index, level, done: counted, reached, excluded });
    });
    if (attempts.length === 0) continue;
    // The furthest valid attempt, the earliest of those; the first attempt when all were invalidated.
    const valid = attempts.filter((a) => !a.excluded);
    const best =
      valid.length === 0 ? (attempts[0] as Attempt) : valid.reduce((x, y) => (y.level > x.level ? y : x));
    const start = sequence[best.start] as (typeof sequence)[number];
    // Step-1 touchpoints of the start's millisecond must agree on the breakdown value: which one the query
    // takes among different values is only defined as "the same every time".
    const alike = sequence.filter((s) => s.at === start.at && s.number === start.number);
    const sources = new Set(alike.map((s) => s.t.touchpoint.campaignSource ?? ''));
    if (sources.size > 1) throw new Error(`the test data has an ambiguous entry for ${customer}`);
    outcomes.push({
      customer,
      entry: start.at,
      level: best.level,
      done: best.done,
      reached: best.reached,
      excluded: valid.length === 0,
      entryTouchpoint: start.t,
    });
  }
  return outcomes;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** numpy's default ("linear") percentile. */
function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = p * (sorted.length - 1);
  const low = sorted[Math.floor(position)] as number;
  return low + ((sorted[Math.ceil(position)] as number) - low) * (position - Math.floor(position));
}

function expectedSteps(
  outcomes: readonly CustomerOutcome[],
  funnel: Pick<CustomFunnelDefinition, 'steps'>,
): FunnelStepFigures[] {
  const stepCount = funnel.steps.length;
  const kept = outcomes.filter((o) => !o.excluded);
  const counts = Array.from({ length: stepCount }, (_, i) => kept.filter((o) => o.done.has(i + 1)).length);
  // Time from the step before (or, past a skipped optional step, from the last step done) to step k.
  const seconds = (k: number) =>
    kept
      .filter((o) => o.done.has(k))
      .map((o) => ((o.reached[k - 1] as number) - (o.reached[k - 2] as number)) / 1000);
  // Conversion from the nearest earlier step that is not optional.
  const previousOf = (k: number) => {
    let p = k - 1;
    while (p > 1 && funnel.steps[p - 1]?.optional === true) p--;
    return p;
  };
  return counts.map((customers, i) => {
    const k = i + 1;
    const previous = k === 1 ? customers : (counts[previousOf(k) - 1] as number);
    return {
      customers,
      conversionFromStart: counts[0] === 0 ? 0 : customers / (counts[0] as number),
      conversionFromPrevious: previous === 0 ? 0 : customers / previous,
      dropOff: previous === 0 ? 0 : 1 - customers / previous,
      medianSecondsFromPrevious: k === 1 ? null : percentile(seconds(k), 0.5),
      p90SecondsFromPrevious: k === 1 ? null : percentile(seconds(k), 0.9),
      medianSecondsToNext: k === stepCount ? null : percentile(seconds(k + 1), 0.5),
      p90SecondsToNext: k === stepCount ? null : percentile(seconds(k + 1), 0.9),
    };
  });
}

function expectSteps(
  actual: readonly FunnelStepFigures[],
  expected: readonly FunnelStepFigures[],
  what: string,
) {
  expect(
    actual.map((s) => s.customers),
    what,
  ).toEqual(expected.map((s) => s.customers));
  actual.forEach((step, i) => {
    const want = expected[i] as FunnelStepFigures;
    for (const key of Object.keys(want) as (keyof FunnelStepFigures)[]) {
      const a = step[key];
      const b = want[key];
      if (b === null) expect(a, `${what} step ${i + 1} ${key}`).toBeNull();
      else
        expect(Math.abs((a as number) - b), `${what} step ${i + 1} ${key}: ${a} vs ${b}`).toBeLessThanOrEqual(
          0.001,
        );
    }
  });
}

async function run(
  projectId: string,
  funnel: CustomFunnelDefinition,
  range: { from: number; to: number; windowMs: number },
  breakdown?: CustomFunnelBreakdown,
  oneValuePerCustomer = false,
): Promise<CustomFunnelResult> {
  return queryCustomFunnel(client, {
    projectId,
    from: new Date(range.from),
    to: new Date(range.to),
    windowSeconds: range.windowMs / 1000,
    funnel,
    ...(breakdown && { breakdown }),
    oneValuePerCustomer,
  });
}

const steps = (...events: string[]): StepMatch[] => events.map((event) => ({ event: [event] }));
const funnelOf = (
  order: FunnelOrder,
  stepMatches: CustomFunnelDefinition['steps'],
  exclusions: CustomFunnelDefinition['exclusions'] = [],
): CustomFunnelDefinition => ({ steps: stepMatches, order, exclusions });
const customersPerStep = (result: CustomFunnelCounts) => result.steps.map((s) => s.customers);
type CustomFunnelCounts = Pick<CustomFunnelResult, 'steps'>;

// ---- scenarios ------------------------------------------------------------------------------------------

describe('queryCustomFunnel', () => {
  const day = { from: T0, to: T0 + DAY, windowMs: DAY };

  it('follows the steps in order, the same millisecond counting as in order', async () => {
    const projectId = newProject();
    await insertTouchpoints(
      client,
      [
        // In order, with noise in between.
        { anonymousId: 'in-order', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'in-order', at: T0 + 2 * HOUR, event: 'noise' },
        { anonymousId: 'in-order', at: T0 + 3 * HOUR, event: 'B' },
        { anonymousId: 'in-order', at: T0 + 4 * HOUR, event: 'C' },
        // C before B: only A, B count in ordered mode.
        { anonymousId: 'c-first', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'c-first', at: T0 + 2 * HOUR, event: 'C' },
        { anonymousId: 'c-first', at: T0 + 3 * HOUR, event: 'B' },
        // B, C and A at one millisecond after A: simultaneous touchpoints fill consecutive steps.
        { anonymousId: 'same-ms', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'same-ms', at: T0 + 5 * HOUR, event: 'C' },
        { anonymousId: 'same-ms', at: T0 + 5 * HOUR, event: 'B' },
        // B before the entry never counts.
        { anonymousId: 'b-before', at: T0 + HOUR, event: 'B' },
        { anonymousId: 'b-before', at: T0 + 2 * HOUR, event: 'A' },
      ].map((tp) => stored(projectId, tp)),
    );
    const ordered = await run(projectId, funnelOf('ordered', steps('A', 'B', 'C')), day);
    expect(customersPerStep(ordered)).toEqual([4, 3, 2]);
    // A → B: 2 h (in-order), 2 h (c-first), 4 h (same-ms); B → C: 1 h and 0 s.
    expect(ordered.steps[1]).toMatchObject({ medianSecondsFromPrevious: 7200, conversionFromPrevious: 0.75 });
    expect(ordered.steps[2]).toMatchObject({ medianSecondsFromPrevious: 1800 });
    expect(ordered.steps[2]?.dropOff).toBeCloseTo(1 / 3, 12);
    // Unordered: c-first reaches C too, and b-before has done two of the steps (no step comes first).
    expect(customersPerStep(await run(projectId, funnelOf('unordered', steps('A', 'B', 'C')), day))).toEqual([
      4, 4, 3,
    ]);
  });

  it('counts a step at exactly entry + window, and not a millisecond later', async () => {
    const projectId = newProject();
    await insertTouchpoints(
      client,
      [
        { anonymousId: 'on-time', at: T0, event: 'A' },
        { anonymousId: 'on-time', at: T0 + DAY, event: 'B' },
        { anonymousId: 'late', at: T0, event: 'A' },
        { anonymousId: 'late', at: T0 + DAY + 1, event: 'B' },
        // A second A after `to` starts no attempt: the window runs from the one A in range.
        { anonymousId: 'again', at: T0, event: 'A' },
        { anonymousId: 'again', at: T0 + 20 * HOUR, event: 'A' },
        { anonymousId: 'again', at: T0 + 30 * HOUR, event: 'B' },
      ].map((tp) => stored(projectId, tp)),
    );
    const range = { from: T0, to: T0 + 1, windowMs: DAY };
    for (const order of ['ordered', 'strict', 'unordered'] as const) {
      expect(customersPerStep(await run(projectId, funnelOf(order, steps('A', 'B')), range)), order).toEqual([
        3, 1,
      ]);
    }
    // A window of 0 keeps only the entry's own millisecond.
    expect(
      customersPerStep(await run(projectId, funnelOf('ordered', steps('A', 'B')), { ...range, windowMs: 0 })),
    ).toEqual([3, 0]);
  });

  it('takes the cohort by any step-1 touchpoint in [from, to), after identity resolution', async () => {
    const projectId = newProject();
    const touchpoints = [
      { anonymousId: 'phone', at: T0 - HOUR, event: 'A' },
      { anonymousId: 'laptop', at: T0 + HOUR, event: 'A' },
      { userId: 'ada', at: T0 + 2 * HOUR, event: 'B' },
      { anonymousId: 'at-to', at: T0 + DAY, event: 'A' },
      { anonymousId: 'at-from', at: T0, event: 'A' },
    ].map((tp) => stored(projectId, tp));
    await insertTouchpoints(client, touchpoints);
    // Before the link, laptop and at-from are in the cohort; u:ada has no step 1.
    expect(customersPerStep(await run(projectId, funnelOf('ordered', steps('A', 'B')), day))).toEqual([2, 0]);
    await insertIdentityLinks(client, [link(projectId, 'a:laptop', 'u:ada', T0 + 2 * HOUR)]);
    expect(customersPerStep(await run(projectId, funnelOf('ordered', steps('A', 'B')), day))).toEqual([2, 1]);
    // The phone too: its A before `from` starts no attempt and changes nothing.
    await insertIdentityLinks(client, [link(projectId, 'a:phone', 'u:ada', T0 + 2 * HOUR)]);
    expect(customersPerStep(await run(projectId, funnelOf('ordered', steps('A', 'B')), day))).toEqual([2, 1]);
  });

  it('strict: any other touchpoint between two steps ends the attempt, but a repeat of the step reached', async () => {
    const projectId = newProject();
    await insertTouchpoints(
      client,
      [
        { anonymousId: 'clean', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'clean', at: T0 + 2 * HOUR, event: 'B' },
        { anonymousId: 'clean', at: T0 + 3 * HOUR, event: 'C' },
        { anonymousId: 'noise', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'noise', at: T0 + 2 * HOUR, event: 'B' },
        { anonymousId: 'noise', at: T0 + 150 * 60 * SECOND, event: 'noise' },
        { anonymousId: 'noise', at: T0 + 3 * HOUR, event: 'C' },
        // Repeats of the step reached keep the attempt (and its first time); an identify call is no action.
        { anonymousId: 'repeats', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'repeats', at: T0 + 2 * HOUR, event: 'B' },
        { anonymousId: 'repeats', at: T0 + 150 * 60 * SECOND, event: 'B' },
        { anonymousId: 'repeats', at: T0 + 160 * 60 * SECOND, type: 'identify' as const },
        { anonymousId: 'repeats', at: T0 + 5 * HOUR, event: 'C' },
        // A repeat of an earlier step ends the attempt; that A starts one of its own, which C then ends.
        { anonymousId: 'earlier', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'earlier', at: T0 + 2 * HOUR, event: 'B' },
        { anonymousId: 'earlier', at: T0 + 150 * 60 * SECOND, event: 'A' },
        { anonymousId: 'earlier', at: T0 + 3 * HOUR, event: 'C' },
        // C (a later step) before B ends it.
        { anonymousId: 'skip', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'skip', at: T0 + 2 * HOUR, event: 'C' },
        { anonymousId: 'skip', at: T0 + 3 * HOUR, event: 'B' },
        // Noise of B's millisecond is taken after B (touchpoints matching no step come last): between B and C.
        { anonymousId: 'same-ms', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'same-ms', at: T0 + 2 * HOUR, event: 'noise' },
        { anonymousId: 'same-ms', at: T0 + 2 * HOUR, event: 'B' },
        { anonymousId: 'same-ms', at: T0 + 3 * HOUR, event: 'C' },
        // The first attempt is ended by noise; the second A's attempt is clean.
        { anonymousId: 'second', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'second', at: T0 + 2 * HOUR, event: 'noise' },
        { anonymousId: 'second', at: T0 + 4 * HOUR, event: 'A' },
        { anonymousId: 'second', at: T0 + 5 * HOUR, event: 'B' },
        { anonymousId: 'second', at: T0 + 6 * HOUR, event: 'C' },
      ].map((tp) => stored(projectId, tp)),
    );
    const strict = await run(projectId, funnelOf('strict', steps('A', 'B', 'C')), day);
    // clean, repeats, second reach C; noise, earlier and same-ms stop at B; skip at A.
    expect(customersPerStep(strict)).toEqual([7, 6, 3]);
    // B → C: 1 h (clean), 3 h (repeats: from the first B), 1 h (second).
    expect(strict.steps[2]?.medianSecondsFromPrevious).toBe(3600);
    expect(strict.steps[2]?.p90SecondsFromPrevious).toBeCloseTo(3600 + 0.8 * 7200, 6);
    expect(customersPerStep(await run(projectId, funnelOf('ordered', steps('A', 'B', 'C')), day))).toEqual([
      7, 7, 6,
    ]);
  });

  it('fills each step with its own touchpoint, the same millisecond allowed for a different one', async () => {
    const projectId = newProject();
    await insertTouchpoints(
      client,
      [
        { anonymousId: 'one-view', at: T0 + HOUR, path: '/a' },
        { anonymousId: 'two-views', at: T0 + HOUR, path: '/a' },
        { anonymousId: 'two-views', at: T0 + 2 * HOUR, path: '/b' },
        { anonymousId: 'same-ms', at: T0 + HOUR, path: '/a' },
        { anonymousId: 'same-ms', at: T0 + HOUR, path: '/b' },
      ].map((tp) => stored(projectId, tp)),
    );
    const pageviews: StepMatch[] = [{ type: ['page'] }, { type: ['page'] }];
    for (const order of ['ordered', 'strict', 'unordered'] as const) {
      expect(customersPerStep(await run(projectId, funnelOf(order, pageviews), day)), order).toEqual([3, 2]);
    }
    // One touchpoint matching both of A, B counts once; B of the same millisecond fills the other step.
    const both = newProject();
    await insertTouchpoints(
      client,
      [
        { anonymousId: 'alone', at: T0 + HOUR, event: 'A', properties: { b: true } },
        { anonymousId: 'with-b', at: T0 + HOUR, event: 'A', properties: { b: true } },
        { anonymousId: 'with-b', at: T0 + HOUR, event: 'B' },
      ].map((tp) => stored(both, tp)),
    );
    const overlapping: StepMatch[] = [
      { event: ['A'] },
      { properties: [{ property: 'b', eq: true }] },
      { event: ['B'] },
    ];
    // with-b, ordered: A{1,2} fills 1, B{3} is no step 2 (the lowest step of a millisecond goes first).
    expect(customersPerStep(await run(both, funnelOf('ordered', overlapping), day))).toEqual([2, 0, 0]);
    // Unordered: A fills step 1 (its lowest), B another: two steps done.
    expect(customersPerStep(await run(both, funnelOf('unordered', overlapping), day))).toEqual([2, 1, 0]);
  });

  it('counts a customer at its best attempt, each with its own window', async () => {
    const projectId = newProject();
    const range = { from: T0, to: T0 + 2 * DAY, windowMs: DAY };
    await insertTouchpoints(
      client,
      [
        // The first attempt times out; the second converts in 1 h.
        { anonymousId: 'retry', at: T0 + HOUR, event: 'A', source: 'first' },
        { anonymousId: 'retry', at: T0 + 30 * HOUR, event: 'A', source: 'second' },
        { anonymousId: 'retry', at: T0 + 31 * HOUR, event: 'B' },
        // Both attempts convert: the earliest start counts (its 3 h, its source).
        { anonymousId: 'twice', at: T0 + HOUR, event: 'A', source: 'first' },
        { anonymousId: 'twice', at: T0 + 2 * HOUR, event: 'A', source: 'second' },
        { anonymousId: 'twice', at: T0 + 4 * HOUR, event: 'B' },
        // Exactly at the second attempt's start + window.
        { anonymousId: 'edge', at: T0 + HOUR, event: 'A', source: 'first' },
        { anonymousId: 'edge', at: T0 + 3 * HOUR, event: 'A', source: 'second' },
        { anonymousId: 'edge', at: T0 + 27 * HOUR, event: 'B' },
      ].map((tp) => stored(projectId, tp)),
    );
    const result = await run(projectId, funnelOf('ordered', steps('A', 'B')), range, {
      dimensions: [{ kind: 'touchpoint', dimension: 'utm_source' }],
      limit: 5,
    });
    expect(customersPerStep(result)).toEqual([3, 3]);
    // A → B: 1 h (retry), 3 h (twice), 24 h (edge).
    expect(result.steps[1]?.medianSecondsFromPrevious).toBe(3 * 3600);
    expect(result.segments?.map((s) => [s.value, ...customersPerStep(s)])).toEqual([
      ['second', 2, 2],
      ['first', 1, 1],
    ]);
    // One millisecond past the second attempt's window: edge drops.
    await insertTouchpoints(client, [
      stored(projectId, { anonymousId: 'late', at: T0 + HOUR, event: 'A' }),
      stored(projectId, { anonymousId: 'late', at: T0 + 3 * HOUR, event: 'A' }),
      stored(projectId, { anonymousId: 'late', at: T0 + 27 * HOUR + 1, event: 'B' }),
    ]);
    expect(customersPerStep(await run(projectId, funnelOf('ordered', steps('A', 'B')), range))).toEqual([
      4, 3,
    ]);
  });

  it('unordered: step i is any i of the steps within the window of the first of them', async () => {
    const projectId = newProject();
    await insertTouchpoints(
      client,
      [
        { anonymousId: 'backwards', at: T0 + HOUR, event: 'C' },
        { anonymousId: 'backwards', at: T0 + 2 * HOUR, event: 'B' },
        { anonymousId: 'backwards', at: T0 + 3 * HOUR, event: 'A' },
        // B, B: one step done twice is still one step.
        { anonymousId: 'repeat', at: T0 + HOUR, event: 'B' },
        { anonymousId: 'repeat', at: T0 + 2 * HOUR, event: 'B' },
        // C then (a day and an hour later) A, B: the later attempt from A does two steps.
        { anonymousId: 'apart', at: T0 + HOUR, event: 'C' },
        { anonymousId: 'apart', at: T0 + 26 * HOUR, event: 'A' },
        { anonymousId: 'apart', at: T0 + 27 * HOUR, event: 'B' },
      ].map((tp) => stored(projectId, tp)),
    );
    const result = await run(projectId, funnelOf('unordered', steps('A', 'B', 'C')), {
      from: T0,
      to: T0 + 2 * DAY,
      windowMs: DAY,
    });
    expect(customersPerStep(result)).toEqual([3, 2, 1]);
    // Second step done after 1 h (backwards, apart); third after another hour (backwards).
    expect(result.steps[1]?.medianSecondsFromPrevious).toBe(3600);
    expect(result.steps[2]?.medianSecondsFromPrevious).toBe(3600);
  });

  it('optional steps: counted only when done, never needed by the steps after them', async () => {
    const projectId = newProject();
    await insertTouchpoints(
      client,
      [
        { anonymousId: 'skipped', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'skipped', at: T0 + 3 * HOUR, event: 'C' },
        { anonymousId: 'done', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'done', at: T0 + 2 * HOUR, event: 'B' },
        { anonymousId: 'done', at: T0 + 4 * HOUR, event: 'C' },
        { anonymousId: 'only-b', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'only-b', at: T0 + 2 * HOUR, event: 'B' },
        // B after C is no step B: the funnel has passed it.
        { anonymousId: 'b-late', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'b-late', at: T0 + 2 * HOUR, event: 'C' },
        { anonymousId: 'b-late', at: T0 + 3 * HOUR, event: 'B' },
        { anonymousId: 'a-only', at: T0 + HOUR, event: 'A' },
      ].map((tp) => stored(projectId, tp)),
    );
    const funnel = funnelOf('ordered', [
      { event: ['A'] },
      { event: ['B'], optional: true },
      { event: ['C'] },
    ]);
    const result = await run(projectId, funnel, day);
    expect(customersPerStep(result)).toEqual([5, 2, 3]);
    // Both step 2 and step 3 convert from step 1, the last step that is not optional.
    expect(result.steps[1]).toMatchObject({ conversionFromPrevious: 2 / 5, medianSecondsFromPrevious: 3600 });
    expect(result.steps[2]).toMatchObject({ conversionFromPrevious: 3 / 5 });
    // Into C: 2 h from A (skipped), 2 h from B (done), 1 h from A (b-late).
    expect(result.steps[2]?.medianSecondsFromPrevious).toBe(7200);
    // Strict: skipping the optional step is no break (b-late's B after C comes after the last step).
    expect(customersPerStep(await run(projectId, { ...funnel, order: 'strict' }, day))).toEqual([5, 2, 3]);
  });

  it('drops customers with an exclusion touchpoint between the two steps', async () => {
    const projectId = newProject();
    await insertTouchpoints(
      client,
      [
        { anonymousId: 'between', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'between', at: T0 + 2 * HOUR, event: 'X' },
        { anonymousId: 'between', at: T0 + 3 * HOUR, event: 'B' },
        { anonymousId: 'after', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'after', at: T0 + 2 * HOUR, event: 'B' },
        { anonymousId: 'after', at: T0 + 3 * HOUR, event: 'X' },
        // At the same millisecond as step 1: not strictly between.
        { anonymousId: 'at-step', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'at-step', at: T0 + HOUR, event: 'X' },
        { anonymousId: 'at-step', at: T0 + 2 * HOUR, event: 'B' },
        // Never reached B: an exclusion in the rest of the window still drops it.
        { anonymousId: 'stuck', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'stuck', at: T0 + 150 * 60 * SECOND, event: 'X' },
        { anonymousId: 'plain', at: T0 + HOUR, event: 'A' },
        // X invalidates the first attempt only; the second, after it, converts.
        { anonymousId: 'again', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'again', at: T0 + 2 * HOUR, event: 'X' },
        { anonymousId: 'again', at: T0 + 3 * HOUR, event: 'A' },
        { anonymousId: 'again', at: T0 + 4 * HOUR, event: 'B' },
        // X after the window of the first attempt closed: that attempt stands, the second is invalidated.
        { anonymousId: 'closed', at: T0 + HOUR, event: 'A' },
        { anonymousId: 'closed', at: T0 + 2 * HOUR, event: 'A' },
        { anonymousId: 'closed', at: T0 + HOUR + 2 * HOUR + 30 * 60 * SECOND, event: 'X' },
      ].map((tp) => stored(projectId, tp)),
    );
    const result = await run(
      projectId,
      funnelOf('ordered', steps('A', 'B'), [{ event: ['X'], afterStep: 1, beforeStep: 2 }]),
      { ...day, windowMs: 2 * HOUR },
    );
    // after, at-step, plain, again, closed are counted; between and stuck are excluded.
    expect(customersPerStep(result)).toEqual([5, 3]);
    expect(result.excludedCustomers).toBe(2);
    // again converted in 1 h from its second attempt.
    expect(result.steps[1]?.medianSecondsFromPrevious).toBe(3600);
  });

  it('matches property filters with every operator, exactly typed', async () => {
    const projectId = newProject();
    const values: Array<[string, Record<string, unknown>]> = [
      ['pro-4', { plan: 'pro', seats: 4, trial: false, note: 'Big ACME deal' }],
      ['pro-str', { plan: 'pro', seats: '4', trial: true, note: null }],
      ['free', { plan: 'free', seats: 1.5, note: 'it\'s "quoted" \\ back' }],
      ['none', {}],
      ['text-seats', { plan: 'Pro', seats: ' 12 ', note: 'acme' }],
      ['array', { plan: ['pro'], seats: [4] }],
    ];
    await insertTouchpoints(
      client,
      values.flatMap(([id, properties]) => [
        stored(projectId, { anonymousId: id, at: T0 + HOUR, event: 'A' }),
        stored(projectId, { anonymousId: id, at: T0 + 2 * HOUR, event: 'B', properties }),
      ]),
    );
    const reached = async (filter: PropertyFilter) => {
      const result = await run(
        projectId,
        funnelOf('ordered', [{ event: ['A'] }, { event: ['B'], properties: [filter] }]),
        day,
      );
      return result.steps[1]?.customers;
    };
    const expected = (filter: PropertyFilter) => values.filter(([, p]) => propertyHolds(filter, p)).length;
    const filters: PropertyFilter[] = [
      { property: 'plan', eq: 'pro' },
      { property: 'seats', eq: 4 },
      { property: 'seats', eq: '4' },
      { property: 'trial', eq: false },
      { property: 'note', eq: null },
      { property: 'note', eq: 'it\'s "quoted" \\ back' },
      { property: 'plan', neq: 'pro' },
      { property: 'plan', in: ['free', 'Pro', 7] },
      { property: 'seats', in: [4, 1.5] },
      { property: 'seats', gte: 4 },
      { property: 'seats', lte: 4, gte: 1 },
      { property: 'trial', exists: true },
      { property: 'note', exists: false },
      { property: 'note', contains: 'acme' },
      { property: 'plan', contains: 'PR' },
    ];
    for (const filter of filters)
      expect(await reached(filter), JSON.stringify(filter)).toBe(expected(filter));
    // Spot checks of the reference itself: typed equality and numeric strings.
    expect(expected({ property: 'seats', eq: 4 })).toBe(1);
    expect(expected({ property: 'seats', gte: 4 })).toBe(3);
    expect(expected({ property: 'plan', neq: 'pro' })).toBe(4);
  });

  it('matches page path globs case-insensitively, with LIKE wildcards taken literally', async () => {
    const projectId = newProject();
    const paths = ['/pricing', '/Pricing/Team', '/blog/a_b', '/blog/axb', '/100%', '/1000', '/shop'];
    await insertTouchpoints(
      client,
      paths.flatMap((path, i) => [
        stored(projectId, { anonymousId: `p${i}`, at: T0 + HOUR, event: 'A' }),
        stored(projectId, { anonymousId: `p${i}`, at: T0 + 2 * HOUR, path }),
      ]),
    );
    for (const glob of ['/pricing*', '/blog/a_b', '/100%', '*/team', '/*', '/sh*p']) {
      const result = await run(projectId, funnelOf('ordered', [{ event: ['A'] }, { pagePath: [glob] }]), day);
      expect(result.steps[1]?.customers, glob).toBe(paths.filter((path) => globHolds(glob, path)).length);
    }
  });

  it('treats hostile values as data: quotes, backslashes, SQL and JSON in names, keys and values', async () => {
    const projectId = newProject();
    const hostile = "x'); DROP TABLE touchpoints; --\n\t\\'\"{}";
    await insertTouchpoints(client, [
      stored(projectId, { anonymousId: 'h', at: T0 + HOUR, event: hostile }),
      stored(projectId, {
        anonymousId: 'h',
        at: T0 + 2 * HOUR,
        event: 'B',
        properties: { 'a.b$-c': hostile },
      }),
    ]);
    const result = await run(
      projectId,
      funnelOf('ordered', [
        { event: [hostile] },
        {
          event: ['B'],
          properties: [
            { property: 'a.b$-c', eq: hostile },
            { property: 'a.b$-c', contains: "'); DROP" },
          ],
        },
      ]),
      day,
      { dimensions: [{ kind: 'touchpoint', dimension: 'property:a.b$-c' }], limit: 5 },
    );
    expect(customersPerStep(result)).toEqual([1, 1]);
    expect(result.segments?.map((s) => s.value)).toEqual(['']);
    const count = await (
      await client.query({ query: 'SELECT count() AS n FROM touchpoints', format: 'JSONEachRow' })
    ).json<{ n: string }>();
    expect(Number(count[0]?.n)).toBeGreaterThan(0);
  });

  it('does not change when messages arrive again, and counts a retried one once', async () => {
    const projectId = newProject();
    const batch = [
      { anonymousId: 'x', at: T0 + HOUR, event: 'A' },
      { anonymousId: 'x', at: T0 + 3 * HOUR, event: 'B' },
      { anonymousId: 'y', at: T0 + HOUR, event: 'A' },
      { anonymousId: 'y', at: T0 + 2 * HOUR, event: 'B' },
    ].map((tp) => stored(projectId, tp));
    await insertTouchpoints(client, batch);
    const funnel = funnelOf('ordered', steps('A', 'B'));
    const before = await run(projectId, funnel, day);
    await insertTouchpoints(client, batch);
    await insertTouchpoints(client, batch);
    expect(await run(projectId, funnel, day)).toEqual(before);
    // A client retry, re-enriched 3 ms later: one touchpoint, at the time of the copy stored last.
    await insertTouchpoints(
      client,
      batch.map((t) => ({ ...t, touchpoint: { ...t.touchpoint, timestamp: t.touchpoint.timestamp + 3 } })),
    );
    expect(customersPerStep(await run(projectId, funnel, day))).toEqual(customersPerStep(before));
  });

  it('breaks down by a step-1 touchpoint dimension and a customer dimension, largest first', async () => {
    const projectId = newProject();
    const people = [
      { id: 'g1', source: 'google', country: 'DE', converts: true },
      { id: 'g2', source: 'google', country: 'FR', converts: false },
      { id: 'g3', source: 'google', country: 'DE', converts: true },
      { id: 'n1', source: 'newsletter', country: 'DE', converts: false },
      { id: 'u1', source: undefined, country: 'FR', converts: true },
    ];
    await insertTouchpoints(
      client,
      people.flatMap((p) => [
        stored(projectId, {
          anonymousId: p.id,
          at: T0 + HOUR,
          event: 'A',
          ...(p.source && { source: p.source }),
          country: p.country,
        }),
        // A later step-1 touchpoint from elsewhere: the breakdown is the entry's.
        stored(projectId, { anonymousId: p.id, at: T0 + 2 * HOUR, event: 'A', source: 'bing' }),
        ...(p.converts ? [stored(projectId, { anonymousId: p.id, at: T0 + 3 * HOUR, event: 'B' })] : []),
      ]),
    );
    const funnel = funnelOf('ordered', steps('A', 'B'));
    const bySource = await run(projectId, funnel, day, {
      dimensions: [{ kind: 'touchpoint', dimension: 'utm_source' }],
      limit: 10,
    });
    expect(customersPerStep(bySource)).toEqual([5, 3]);
    expect(bySource.segments?.map((s) => [s.value, ...customersPerStep(s)])).toEqual([
      ['google', 3, 2],
      ['', 1, 1],
      ['newsletter', 1, 0],
    ]);
    expect(bySource.segmentsTruncated).toBe(false);
    const limited = await run(projectId, funnel, day, {
      dimensions: [{ kind: 'touchpoint', dimension: 'utm_source' }],
      limit: 1,
    });
    expect(limited.segments?.map((s) => s.value)).toEqual(['google']);
    expect(limited.segmentsTruncated).toBe(true);
    const byCountry = await run(projectId, funnel, day, {
      dimensions: [{ kind: 'customer', dimension: 'country' }],
      limit: 10,
      model: DEFAULT_CUSTOMER_MODEL,
    });
    expect(customersPerStep(byCountry)).toEqual([5, 3]);
    expect(byCountry.segments?.map((s) => [s.value, ...customersPerStep(s)])).toEqual([
      ['DE', 3, 2],
      ['FR', 2, 1],
    ]);
  });

  it('answers the same over a range too long for a 64-bit sort key (over 8.7 years), with a breakdown', async () => {
    const projectId = newProject();
    await insertTouchpoints(
      client,
      [
        { anonymousId: 'g', at: T0 + HOUR, event: 'A', source: 'google' },
        { anonymousId: 'g', at: T0 + HOUR, event: 'B' },
        { anonymousId: 'n', at: T0 + 2 * HOUR, event: 'A', source: 'newsletter' },
        { anonymousId: 'n', at: T0 + 2 * HOUR + DAY + 1, event: 'B' },
      ].map((tp) => stored(projectId, tp)),
    );
    const funnel = funnelOf('strict', steps('A', 'B'));
    const breakdown: CustomFunnelBreakdown = {
      dimensions: [{ kind: 'touchpoint', dimension: 'utm_source' }],
      limit: 10,
    };
    const decade = { from: T0 - 10 * 366 * DAY, to: T0 + DAY, windowMs: DAY };
    const long = await run(projectId, funnel, decade, breakdown);
    expect(long.segments?.map((s) => [s.value, ...customersPerStep(s)])).toEqual([
      ['google', 1, 1],
      ['newsletter', 1, 0],
    ]);
    expect(long).toEqual(await run(projectId, funnel, day, breakdown));
    expect(customersPerStep(await run(projectId, funnel, decade))).toEqual([2, 1]);
  });

  it('takes the same value every time when two step-1 touchpoints share the entry millisecond', async () => {
    const projectId = newProject();
    await insertTouchpoints(
      client,
      Array.from({ length: 40 }, (_, i) => [
        stored(projectId, { anonymousId: `tie${i}`, at: T0 + HOUR, event: 'A', source: 'x' }),
        stored(projectId, { anonymousId: `tie${i}`, at: T0 + HOUR, event: 'A', source: `y${i % 4}` }),
      ]).flat(),
    );
    const breakdown: CustomFunnelBreakdown = {
      dimensions: [{ kind: 'touchpoint', dimension: 'utm_source' }],
      limit: 10,
    };
    const answers = await Promise.all(
      [1, 2, 3].map(() => run(projectId, funnelOf('ordered', steps('A', 'B')), day, breakdown)),
    );
    const values = answers.map((a) => a.segments?.map((s) => [s.value, s.steps[0]?.customers]));
    expect(values[1]).toEqual(values[0]);
    expect(values[2]).toEqual(values[0]);
    expect(answers[0]?.segments?.reduce((sum, s) => sum + (s.steps[0]?.customers ?? 0), 0)).toBe(40);
    for (const segment of answers[0]?.segments ?? [])
      expect(['x', 'y0', 'y1', 'y2', 'y3']).toContain(segment.value);
  });

  it('leaves out customers whose step-1 touchpoints carry two values, when asked', async () => {
    const projectId = newProject();
    await insertTouchpoints(
      client,
      [
        { anonymousId: 'one', at: T0 + HOUR, event: 'seen', properties: { variant: 'a' } },
        { anonymousId: 'one', at: T0 + 2 * HOUR, event: 'seen', properties: { variant: 'a' } },
        { anonymousId: 'two', at: T0 + HOUR, event: 'seen', properties: { variant: 'a' } },
        { anonymousId: 'two', at: T0 + 2 * HOUR, event: 'seen', properties: { variant: 'b' } },
        { anonymousId: 'two', at: T0 + 3 * HOUR, event: 'buy' },
        { anonymousId: 'b', at: T0 + HOUR, event: 'seen', properties: { variant: 'b' } },
        { anonymousId: 'b', at: T0 + 3 * HOUR, event: 'buy' },
      ].map((tp) => stored(projectId, tp)),
    );
    const result = await run(
      projectId,
      funnelOf('ordered', steps('seen', 'buy')),
      day,
      { dimensions: [{ kind: 'touchpoint', dimension: 'property:variant' }], limit: 10 },
      true,
    );
    expect(customersPerStep(result)).toEqual([2, 1]);
    expect(result.conflictingCustomers).toBe(1);
    expect(result.segments?.map((s) => [s.value, ...customersPerStep(s), s.conflictingCustomers])).toEqual([
      ['a', 1, 0, 1],
      ['b', 1, 1, 0],
    ]);
  });

  it('answers zeros for an empty cohort, with and without a breakdown', async () => {
    const projectId = newProject();
    const funnel = funnelOf('ordered', steps('A', 'B'));
    expect(customersPerStep(await run(projectId, funnel, day))).toEqual([0, 0]);
    const broken = await run(projectId, funnel, day, {
      dimensions: [{ kind: 'touchpoint', dimension: 'utm_source' }],
      limit: 5,
    });
    expect(customersPerStep(broken)).toEqual([0, 0]);
    expect(broken.segments).toEqual([]);
  });
});

// ---- a generated population against the reference ------------------------------------------------------

describe('queryCustomFunnel on a generated population', () => {
  const projectId = newProject();
  const inserted: StoredTouchpoint[] = [];
  const links: IdentityLink[] = [];
  const SOURCES = ['google', 'bing', 'newsletter', ''];
  const COUNTRIES = ['DE', 'FR', 'US'];
  const EVENTS = ['A', 'B', 'C', 'D'];
  const PATHS = ['/', '/pricing', '/Pricing/Team', '/blog/a_b', '/products/1'];

  beforeAll(async () => {
    // A linear congruential generator: the data only needs to be varied and reproducible.
    let state = 20250301;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    for (let person = 0; person < 300; person++) {
      const country = pick(COUNTRIES);
      const source = pick(SOURCES);
      const identified = random() < 0.3;
      const devices = identified && random() < 0.3 ? ['a', 'b'] : ['a'];
      const base = T0 - 2 * DAY + Math.floor(random() * 6 * DAY);
      for (const device of devices) {
        const anonymousId = `${device}${person}`;
        // A journey that mostly climbs A → B → C → D, with page views, identify calls and noise in between,
        // gaps from 0 ms (simultaneous) to most of a day.
        let at = base + Math.floor(random() * DAY);
        let next = 0;
        for (let i = 1 + Math.floor(random() * 14); i > 0; i--) {
          at +=
            pick([0, 0, 1, 60 * SECOND, 10 * 60 * SECOND, HOUR, 5 * HOUR, 20 * HOUR]) +
            Math.floor(random() * 1000);
          const userId = identified && random() < 0.5 ? `user${person}` : undefined;
          const kind = random();
          const properties: Record<string, unknown> = {};
          if (random() < 0.7) properties.plan = pick(['pro', 'free', 'Pro', null]);
          if (random() < 0.7) properties.seats = pick([1, 4, '4', ' 12 ', 'many', 2.5]);
          const what =
            kind < 0.5
              ? { event: EVENTS[next] as string }
              : kind < 0.75
                ? { path: pick(PATHS) }
                : kind < 0.85
                  ? { type: 'identify' as const }
                  : { event: pick(['X', 'noise', 'B', 'C']) };
          if (kind < 0.5 && random() < 0.8) next = Math.min(next + 1, 3);
          inserted.push(
            stored(projectId, {
              anonymousId,
              ...(userId && { userId }),
              at,
              ...what,
              stage: next + (random() < 0.5 ? 1 : 2),
              properties,
              source,
              country,
            }),
          );
        }
        if (identified) {
          links.push(link(projectId, `a:${anonymousId}`, `u:user${person}`, base + DAY));
          // Some aliases were first linked to somebody else: the latest link wins.
          if (random() < 0.1) links.push(link(projectId, `a:${anonymousId}`, `u:user${person + 1}`, base));
        }
      }
    }
    // Redeliveries (identical copies) and re-enriched retries (a few milliseconds later), in later inserts.
    const copies = inserted.filter(() => random() < 0.1);
    const retries = inserted
      .filter(() => random() < 0.05)
      .map((t) => ({ ...t, touchpoint: { ...t.touchpoint, timestamp: t.touchpoint.timestamp + 2 } }));
    await insertTouchpoints(client, inserted);
    await insertTouchpoints(client, copies);
    await insertTouchpoints(client, retries);
    inserted.push(...copies, ...retries);
    await insertIdentityLinks(client, links);
  });

  const definitions: Array<[string, Omit<CustomFunnelDefinition, 'order'>]> = [
    ['events', { steps: steps('A', 'B', 'C', 'D'), exclusions: [] }],
    [
      'paths, stages and properties',
      {
        steps: [
          { pagePath: ['/pricing*'] },
          { event: ['B', 'C'], properties: [{ property: 'plan', in: ['pro', 'Pro'] }] },
          { stage: 3, properties: [{ property: 'seats', gte: 2 }] },
          {
            type: ['track'],
            properties: [
              { property: 'plan', neq: 'free' },
              { property: 'seats', exists: true },
            ],
          },
        ],
        exclusions: [],
      },
    ],
    [
      'optional steps',
      {
        steps: [
          { event: ['A'] },
          { event: ['B'], optional: true },
          { pagePath: ['/pricing*'], optional: true },
          { event: ['C', 'D'] },
        ],
        exclusions: [],
      },
    ],
    [
      'exclusions',
      {
        steps: steps('A', 'B', 'C'),
        exclusions: [
          { event: ['X'], afterStep: 1, beforeStep: 3 },
          { pagePath: ['/blog/*'], afterStep: 2, beforeStep: 3 },
        ],
      },
    ],
  ];
  const ranges = [
    { from: T0, to: T0 + 5 * DAY, windowMs: DAY },
    { from: T0 - DAY, to: T0 + 3 * DAY, windowMs: 3 * DAY },
  ];

  for (const [name, definition] of definitions) {
    for (const order of ['ordered', 'strict', 'unordered'] as const) {
      if (order === 'unordered' && definition.steps.some((step) => step.optional)) continue;
      it(`${name}, ${order}`, async () => {
        const funnel = { ...definition, order };
        for (const range of ranges) {
          const outcomes = referenceOutcomes(inserted, links, funnel, range.from, range.to, range.windowMs);
          const result = await run(projectId, funnel, range, {
            dimensions: [{ kind: 'touchpoint', dimension: 'utm_source' }],
            limit: 10,
          });
          const what = `${name} ${order} window ${range.windowMs / HOUR} h`;
          // The population must exercise the definition: somebody at the last step, exclusions that fire.
          const expected = expectedSteps(outcomes, funnel);
          expect(expected.at(-1)?.customers, what).toBeGreaterThan(0);
          if (funnel.exclusions.length > 0)
            expect(
              outcomes.some((o) => o.excluded),
              what,
            ).toBe(true);
          expectSteps(result.steps, expected, what);
          expect(result.excludedCustomers, what).toBe(outcomes.filter((o) => o.excluded).length);
          const bySource = groupBy(outcomes, (o) => o.entryTouchpoint.touchpoint.campaignSource ?? '');
          expect(new Set(result.segments?.map((s) => s.value)), what).toEqual(new Set(bySource.keys()));
          for (const segment of result.segments ?? []) {
            expectSteps(
              segment.steps,
              expectedSteps(bySource.get(segment.value) ?? [], funnel),
              `${what} ${segment.value}`,
            );
          }
        }
      });
    }
  }

  it('breaks down by customer dimension over the same population', async () => {
    const funnel = { ...(definitions[0]?.[1] as CustomFunnelDefinition), order: 'ordered' as const };
    const range = ranges[1] as (typeof ranges)[number];
    const outcomes = referenceOutcomes(inserted, links, funnel, range.from, range.to, range.windowMs);
    const result = await run(projectId, funnel, range, {
      dimensions: [{ kind: 'customer', dimension: 'country' }],
      limit: 10,
      model: DEFAULT_CUSTOMER_MODEL,
    });
    // Every touchpoint of a person carries the person's country.
    const byCountry = groupBy(outcomes, (o) => o.entryTouchpoint.touchpoint.country ?? '');
    expect(new Set(result.segments?.map((s) => s.value))).toEqual(new Set(byCountry.keys()));
    for (const segment of result.segments ?? []) {
      expectSteps(segment.steps, expectedSteps(byCountry.get(segment.value) ?? [], funnel), segment.value);
    }
  });
});
