import {
  type IdentityLink,
  insertIdentityLinks,
  insertTouchpoints,
  queryStageFunnel,
  queryStageFunnelBreakdown,
  type StageFunnelQuery,
  type StoredTouchpoint,
} from '@waymark/clickhouse';
import { touchpointOf } from '@waymark/events';
import {
  DEFAULT_CUSTOMER_MODEL,
  type EntryFilterDimension,
  STAGE_FUNNEL_MODES,
  type StageFunnelMode,
} from '@waymark/journey';
import {
  expectFunnelMatches,
  openTestClickHouse,
  type ReferenceLink,
  type ReferenceTouchpoint,
  referenceStageFunnel,
  type TestClickHouse,
  uniqueProjectId,
} from '@waymark/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The stage funnel's three modes and its entry filters, against expectations written by hand for small
 * scenarios and against the reference implementation (@waymark/testing, a direct reading of
 * docs/analytics/stage-funnel.md) for random populations. Rows go straight into the embedded ClickHouse;
 * test/stage-funnel.integration.test.ts covers the same through the whole pipeline and the HTTP API.
 */

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 2, 1);
const MODES = STAGE_FUNNEL_MODES;

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch?.close();
});

type Fields = Partial<Record<EntryFilterDimension, string>>;

/** One generated touchpoint: its raw key (`a:…`/`u:…`), stage, time, and optionally id and entry fields. */
interface Tp {
  readonly key: string;
  readonly stage: number;
  readonly at: number;
  readonly id?: string;
  readonly fields?: Fields;
}

let messageSeq = 0;

class Population {
  readonly projectId = uniqueProjectId('modes');
  readonly touchpoints: ReferenceTouchpoint[] = [];
  readonly links: ReferenceLink[] = [];

  /** Stores one batch, as the processor would (a batch may repeat earlier message ids); answers its rows. */
  async insert(batch: readonly Tp[]): Promise<Tp[]> {
    const rows = batch.map((tp) => {
      messageSeq += 1;
      return { ...tp, id: tp.id ?? `m${messageSeq}` };
    });
    await insertTouchpoints(
      ch.client,
      rows.map((tp) => stored(this.projectId, tp)),
    );
    for (const tp of rows) {
      this.touchpoints.push({
        projectId: this.projectId,
        messageId: tp.id,
        rawKey: tp.key,
        timestamp: tp.at,
        stage: tp.stage,
        fields: tp.fields ?? {},
      });
    }
    return rows;
  }

  async link(aliasKey: string, customerKey: string, linkedAt: number): Promise<void> {
    messageSeq += 1;
    const link: IdentityLink = {
      projectId: this.projectId,
      aliasKey,
      customerKey,
      linkedAt,
      messageId: `link${messageSeq}`,
    };
    await insertIdentityLinks(ch.client, [link]);
    this.links.push(link);
  }

  query(
    mode: StageFunnelMode,
    from: number,
    to: number,
    windowSeconds: number,
    filters?: StageFunnelQuery['filters'],
  ) {
    return { projectId: this.projectId, from, to, windowSeconds, mode, ...(filters && { filters }) };
  }

  /** The funnel from SQL, checked against the reference; returns the customers per stage. */
  async funnel(
    mode: StageFunnelMode,
    from: number,
    to: number,
    windowSeconds: number,
    filters?: StageFunnelQuery['filters'],
  ): Promise<number[]> {
    const q = this.query(mode, from, to, windowSeconds, filters);
    const actual = await queryStageFunnel(ch.client, { ...q, from: new Date(from), to: new Date(to) });
    const expected = referenceStageFunnel(this.touchpoints, this.links, {
      ...q,
      windowMs: windowSeconds * SECOND,
    });
    expectFunnelMatches(
      actual,
      expected,
      `${mode} [${from}, ${to}) window ${windowSeconds}s ${JSON.stringify(filters ?? {})}`,
    );
    return actual.stages.map((stage) => stage.customers);
  }

  /** Customers per stage in each mode (each checked against the reference). */
  async counts(from: number, to: number, windowSeconds = 30 * 86_400) {
    const result: Record<string, number[]> = {};
    for (const mode of MODES) result[mode] = await this.funnel(mode, from, to, windowSeconds);
    return result;
  }
}

function stored(projectId: string, tp: Tp & { id: string }): StoredTouchpoint {
  const [kind, id] = [tp.key.slice(0, 1), tp.key.slice(2)];
  const ids = kind === 'u' ? { userId: id, anonymousId: null } : { userId: null, anonymousId: id };
  const f = tp.fields ?? {};
  return {
    touchpoint: touchpointOf({
      messageId: tp.id,
      projectId,
      type: 'track',
      event: tp.stage > 0 ? `Stage ${tp.stage} Event` : 'Unmapped',
      ...ids,
      timestamp: tp.at,
      receivedAt: tp.at + 80,
      country: f.country ?? null,
      deviceType: f.device ?? null,
      os: f.os ?? null,
      browser: f.browser ?? null,
      campaignSource: f.utm_source ?? null,
      campaignMedium: f.utm_medium ?? null,
      campaignName: f.utm_campaign ?? null,
    }),
    rawKey: tp.key,
    stage: tp.stage,
    complaint: false,
    revenue: 0,
    currency: '',
    rulesetVersion: 1,
    channel: f.channel ?? '',
  };
}

/** The touchpoints of one raw key at the given stages, an hour apart from `start`. */
const journey = (key: string, stages: readonly number[], start = T0 + HOUR): Tp[] =>
  stages.map((stage, i) => ({ key, stage, at: start + i * HOUR }));

describe('stage funnel modes', () => {
  it('counts a skipped stage in reached mode only', async () => {
    const p = new Population();
    await p.insert(journey('a:skipper', [1, 3, 5]));
    expect(await p.counts(T0, T0 + DAY)).toEqual({
      reached: [1, 1, 1, 1, 1, 0, 0],
      ordered: [1, 0, 0, 0, 0, 0, 0],
      strict: [1, 0, 0, 0, 0, 0, 0],
    });
  });

  it('lets an ordered path continue after a skip, and a strict one only from a new discovery', async () => {
    const p = new Population();
    // 1, 3 (skips), 2, 3: in order 1 → 2 → 3; strictly, the 3 after 1 breaks the path and 2 starts no new one.
    await p.insert(journey('a:late-consideration', [1, 3, 2, 3]));
    // 1, 3, then a new discovery: 1 → 2 → 3 strictly.
    await p.insert(journey('a:second-try', [1, 3, 1, 2, 3]));
    expect(await p.counts(T0, T0 + DAY)).toEqual({
      reached: [2, 2, 2, 0, 0, 0, 0],
      ordered: [2, 2, 2, 0, 0, 0, 0],
      strict: [2, 1, 1, 0, 0, 0, 0],
    });
  });

  it('keeps a strict path through repeats of a stage, and ends it at a regression', async () => {
    const p = new Population();
    await p.insert(journey('a:repeater', [1, 1, 2, 2, 2, 3, 0, 3, 4]));
    // 1 → 2, back to 1: a new path that goes no further than the first (1 → 2), so it counts at 2.
    await p.insert(journey('a:regressor', [1, 2, 1, 3, 4]));
    // 1 → 2 → 3, back to 2: the path ends at 3, and 2 → 3 → 4 does not start at a discovery.
    await p.insert(journey('a:hesitant', [1, 2, 3, 2, 3, 4]));
    expect(await p.counts(T0, T0 + DAY)).toEqual({
      reached: [3, 3, 3, 3, 0, 0, 0],
      ordered: [3, 3, 3, 3, 0, 0, 0],
      strict: [3, 3, 2, 1, 0, 0, 0],
    });
  });

  it('takes touchpoints of the same millisecond in stage order', async () => {
    const p = new Population();
    const at = T0 + HOUR;
    // Sent out of order within one millisecond: discovery, consideration, evaluation.
    await p.insert([
      { key: 'a:burst', stage: 3, at },
      { key: 'a:burst', stage: 2, at },
      { key: 'a:burst', stage: 1, at },
    ]);
    // Discovery and evaluation in one millisecond, consideration later: evaluation came before it.
    await p.insert([
      { key: 'a:jump', stage: 1, at },
      { key: 'a:jump', stage: 3, at },
      { key: 'a:jump', stage: 2, at: at + 1 },
    ]);
    expect(await p.counts(T0, T0 + DAY)).toEqual({
      reached: [2, 2, 2, 0, 0, 0, 0],
      ordered: [2, 2, 1, 0, 0, 0, 0],
      strict: [2, 1, 1, 0, 0, 0, 0],
    });
    // The burst moved through all three stages in 0 s.
    const funnel = await queryStageFunnel(ch.client, {
      ...p.query('strict', T0, T0 + DAY, 30 * 86_400),
      from: new Date(T0),
      to: new Date(T0 + DAY),
    });
    expect(funnel.stages[2]).toMatchObject({ customers: 1, medianSecondsFromPrevious: 0 });
  });

  it('counts a stage reached exactly at entry + window, and not one millisecond later, in every mode', async () => {
    const p = new Population();
    const windowSeconds = 7 * 86_400;
    const windowMs = windowSeconds * SECOND;
    await p.insert([
      { key: 'a:on-time', stage: 1, at: T0 },
      { key: 'a:on-time', stage: 2, at: T0 + windowMs },
      { key: 'a:late', stage: 1, at: T0 },
      { key: 'a:late', stage: 2, at: T0 + windowMs + 1 },
      // The window runs from entry, not from the discovery: entered at evaluation, discovered an hour later.
      { key: 'a:evaluator', stage: 3, at: T0 },
      { key: 'a:evaluator', stage: 1, at: T0 + HOUR },
      { key: 'a:evaluator', stage: 2, at: T0 + windowMs },
      { key: 'a:evaluator', stage: 3, at: T0 + windowMs + 1 },
    ]);
    for (const mode of MODES) {
      expect(await p.funnel(mode, T0, T0 + 1, windowSeconds), mode).toEqual(
        mode === 'reached' ? [3, 2, 1, 0, 0, 0, 0] : [3, 2, 0, 0, 0, 0, 0],
      );
    }
    // A window of 0 counts only what happened in the entry's millisecond.
    expect(await p.funnel('reached', T0, T0 + 1, 0)).toEqual([3, 1, 1, 0, 0, 0, 0]);
  });

  it('joins anonymous history to the customer it identified as, retroactively, in every mode', async () => {
    const p = new Population();
    await p.insert([
      { key: 'a:phone', stage: 1, at: T0 + HOUR },
      { key: 'a:laptop', stage: 2, at: T0 + 2 * HOUR },
      { key: 'u:ada', stage: 3, at: T0 + 3 * HOUR },
      { key: 'u:ada', stage: 4, at: T0 + 4 * HOUR },
    ]);
    // Before the links: the phone entered at 1, the laptop at 2 and ada at 3, three customers.
    expect(await p.counts(T0, T0 + DAY)).toEqual({
      reached: [3, 2, 1, 1, 0, 0, 0],
      ordered: [1, 0, 0, 0, 0, 0, 0],
      strict: [1, 0, 0, 0, 0, 0, 0],
    });
    await p.link('a:phone', 'u:ada', T0 + 3 * HOUR);
    await p.link('a:laptop', 'u:ada', T0 + 3 * HOUR);
    expect(await p.counts(T0, T0 + DAY)).toEqual({
      reached: [1, 1, 1, 1, 0, 0, 0],
      ordered: [1, 1, 1, 1, 0, 0, 0],
      strict: [1, 1, 1, 1, 0, 0, 0],
    });
    // Her entry moved back to the phone's first touchpoint.
    expect((await p.counts(T0 + 2 * HOUR, T0 + DAY)).reached).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('follows the latest link when an alias is relinked', async () => {
    const p = new Population();
    await p.insert([
      { key: 'a:shared-tablet', stage: 1, at: T0 },
      { key: 'u:bo', stage: 4, at: T0 + DAY },
      { key: 'u:cy', stage: 2, at: T0 + DAY },
    ]);
    await p.link('a:shared-tablet', 'u:cy', T0 + HOUR);
    await p.link('a:shared-tablet', 'u:bo', T0 + 2 * HOUR);
    // bo entered at T0 on the tablet; cy at T0 + 1 day.
    expect((await p.counts(T0, T0 + 3 * DAY)).reached).toEqual([2, 2, 1, 1, 0, 0, 0]);
    expect((await p.counts(T0, T0 + 1)).reached).toEqual([1, 1, 1, 1, 0, 0, 0]);
  });

  it('places a late-arriving earlier touchpoint where it belongs', async () => {
    const p = new Population();
    await p.insert([
      { key: 'a:slow-network', stage: 2, at: T0 + 2 * HOUR },
      { key: 'a:slow-network', stage: 3, at: T0 + 3 * HOUR },
    ]);
    expect((await p.counts(T0, T0 + DAY)).ordered).toEqual([0, 0, 0, 0, 0, 0, 0]);
    await p.insert([{ key: 'a:slow-network', stage: 1, at: T0 + HOUR }]);
    expect(await p.counts(T0, T0 + DAY)).toEqual({
      reached: [1, 1, 1, 0, 0, 0, 0],
      ordered: [1, 1, 1, 0, 0, 0, 0],
      strict: [1, 1, 1, 0, 0, 0, 0],
    });
  });

  it('takes entries in [from, to) at millisecond precision', async () => {
    const p = new Population();
    const from = T0 + DAY;
    const to = T0 + 2 * DAY;
    await p.insert([
      { key: 'a:before', stage: 1, at: from - 1 },
      { key: 'a:at-from', stage: 1, at: from },
      { key: 'a:at-from', stage: 2, at: from + HOUR },
      { key: 'a:last-ms', stage: 1, at: to - 1 },
      { key: 'a:at-to', stage: 1, at: to },
      { key: 'a:before', stage: 2, at: from + HOUR },
    ]);
    expect(await p.counts(from, to)).toEqual({
      reached: [2, 1, 0, 0, 0, 0, 0],
      ordered: [2, 1, 0, 0, 0, 0, 0],
      strict: [2, 1, 0, 0, 0, 0, 0],
    });
  });

  it('answers zeros for a range nobody entered in, and for an unknown project', async () => {
    const p = new Population();
    await p.insert(journey('a:someone', [1, 2]));
    for (const [projectId, mode] of [
      ...MODES.map((m) => [p.projectId, m] as const),
      ['no-such-project', 'ordered'] as const,
    ]) {
      const funnel = await queryStageFunnel(ch.client, {
        ...p.query(mode, T0 + DAY, T0 + 2 * DAY, 86_400),
        projectId,
        from: new Date(T0 + DAY),
        to: new Date(T0 + 2 * DAY),
      });
      expect(funnel.entered).toBe(0);
      for (const stage of funnel.stages) {
        expect(stage).toMatchObject({
          customers: 0,
          conversionFromStart: 0,
          dropOff: 0,
          medianSecondsToNext: null,
        });
      }
    }
  });

  it('does not change when batches are redelivered, replayed or retried with re-enriched times', async () => {
    const p = new Population();
    const batch: Tp[] = [
      { key: 'a:x', stage: 1, at: T0, id: 'x1' },
      { key: 'a:x', stage: 2, at: T0 + HOUR, id: 'x2' },
      { key: 'a:x', stage: 1, at: T0 + 2 * HOUR, id: 'x3' },
      { key: 'a:x', stage: 3, at: T0 + 2 * HOUR + 2, id: 'x4' },
    ];
    await p.insert(batch);
    const before = await p.counts(T0, T0 + DAY);
    expect(before.strict).toEqual([1, 1, 0, 0, 0, 0, 0]);
    await p.insert(batch);
    // A client retry, re-enriched 3 ms later: x3 now lands after x4, but a message counts at its earliest copy.
    await p.insert(batch.map((tp) => ({ ...tp, at: tp.at + 3 })));
    expect(await p.counts(T0, T0 + DAY)).toEqual(before);
  });

  it('filters the cohort on the entry touchpoint, not on later ones', async () => {
    const p = new Population();
    await p.insert([
      {
        key: 'a:de',
        stage: 1,
        at: T0,
        fields: { country: 'DE', utm_source: 'google', channel: 'paid search' },
      },
      { key: 'a:de', stage: 2, at: T0 + HOUR, fields: { country: 'FR', utm_source: 'newsletter' } },
      {
        key: 'a:fr',
        stage: 1,
        at: T0,
        fields: { country: 'FR', utm_source: 'newsletter', channel: 'email' },
      },
      { key: 'a:none', stage: 1, at: T0 },
    ]);
    const window = 86_400;
    expect(await p.funnel('reached', T0, T0 + DAY, window, { country: ['FR'] })).toEqual([
      1, 0, 0, 0, 0, 0, 0,
    ]);
    expect(await p.funnel('ordered', T0, T0 + DAY, window, { country: ['DE', 'FR'] })).toEqual([
      2, 1, 0, 0, 0, 0, 0,
    ]);
    expect(
      await p.funnel('strict', T0, T0 + DAY, window, { country: ['DE'], utm_source: ['newsletter'] }),
    ).toEqual([0, 0, 0, 0, 0, 0, 0]);
    // '' selects customers whose entry touchpoint did not carry the field.
    expect(await p.funnel('reached', T0, T0 + DAY, window, { channel: [''] })).toEqual([1, 0, 0, 0, 0, 0, 0]);
  });

  it('takes the entry of a customer seen on two devices in the same millisecond by message id', async () => {
    const p = new Population();
    const at = T0 + HOUR;
    // The key read first (a:phone) holds the later message id.
    await p.insert([{ key: 'a:tablet', stage: 1, at, id: 'tie-a', fields: { country: 'FR' } }]);
    await p.insert([{ key: 'a:phone', stage: 1, at, id: 'tie-b', fields: { country: 'DE' } }]);
    await p.link('a:tablet', 'u:bea', at);
    await p.link('a:phone', 'u:bea', at);
    for (const mode of MODES) {
      expect(await p.funnel(mode, T0, T0 + DAY, 86_400, { country: ['FR'] }), mode).toEqual([
        1, 0, 0, 0, 0, 0, 0,
      ]);
      expect(await p.funnel(mode, T0, T0 + DAY, 86_400, { country: ['DE'] }), mode).toEqual([
        0, 0, 0, 0, 0, 0, 0,
      ]);
    }
  });

  it("breaks the funnel down by the entry touchpoint's campaign, each segment exactly as filtering on it", async () => {
    const p = new Population();
    await p.insert([
      { key: 'a:n1', stage: 1, at: T0, fields: { utm_source: 'news' } },
      { key: 'a:n1', stage: 3, at: T0 + HOUR },
      { key: 'a:g1', stage: 1, at: T0 + 2 * HOUR, fields: { utm_source: 'google' } },
      // A later touchpoint's campaign does not move the customer to another segment.
      { key: 'a:g1', stage: 5, at: T0 + 3 * HOUR, fields: { utm_source: 'news' } },
      { key: 'a:x', stage: 2, at: T0 + HOUR },
      // Merged: the phone entered first (ads), so the customer is in ads, not in news.
      { key: 'a:phone', stage: 1, at: T0 + 600 * SECOND, fields: { utm_source: 'ads' } },
      { key: 'u:dana', stage: 4, at: T0 + 5 * HOUR, fields: { utm_source: 'news' } },
    ]);
    await p.link('a:phone', 'u:dana', T0 + 6 * HOUR);
    const [from, to, windowSeconds] = [T0 - DAY, T0 + DAY, 30 * 86_400];
    for (const mode of MODES) {
      const segments = await queryStageFunnelBreakdown(ch.client, {
        ...p.query(mode, from, to, windowSeconds),
        from: new Date(from),
        to: new Date(to),
        dimension: 'utm_source',
        model: DEFAULT_CUSTOMER_MODEL,
      });
      expect(segments.map((segment) => segment.value).sort(), mode).toEqual(['', 'ads', 'google', 'news']);
      for (const segment of segments) {
        const filtered = await p.funnel(mode, from, to, windowSeconds, { utm_source: [segment.value] });
        expect(
          segment.stages.map((stage) => stage.customers),
          `${mode} ${segment.value}`,
        ).toEqual(filtered);
        const cohort = await queryStageFunnel(ch.client, {
          ...p.query(mode, from, to, windowSeconds, { utm_source: [segment.value] }),
          from: new Date(from),
          to: new Date(to),
        });
        expect(segment.entered, `${mode} ${segment.value}`).toBe(cohort.entered);
      }
    }
  });

  it('agrees with the reference on random populations', async () => {
    // Walks through the stages (repeats, next, back, skips, restarts, unstaged touchpoints), on few raw keys
    // so that identity links merge walks, with times that often tie; the touchpoints are stored in random
    // batches (late arrivals), some twice (redeliveries and re-enriched retries).
    const MOVES = {
      same: (s: number) => s,
      next: (s: number) => Math.min(7, s + 1),
      back: (s: number) => Math.max(1, s - 1),
      skip: (s: number) => Math.min(7, s + 2),
      restart: () => 1,
    };
    const fields = fc.record(
      {
        country: fc.constantFrom('DE', 'FR'),
        utm_source: fc.constantFrom('google', 'mail'),
        channel: fc.constant('direct'),
      },
      { requiredKeys: [] },
    );
    const step = fc.record({
      move: fc.constantFrom<keyof typeof MOVES | 'unstaged'>(
        'same',
        'next',
        'next',
        'next',
        'back',
        'skip',
        'restart',
        'unstaged',
      ),
      gapMs: fc.constantFrom(0, 1, 7, HOUR, 2 * HOUR, 5 * HOUR),
      batch: fc.nat(2),
      copy: fc.constantFrom<number | null>(null, null, null, null, 0, 3),
      fields,
    });
    const walk = fc.record({
      key: fc.constantFrom('a:p', 'a:q', 'a:r', 'u:p', 'u:q'),
      start: fc.constantFrom(1, 1, 1, 2, 3),
      startSlot: fc.integer({ min: 0, max: 12 }),
      steps: fc.array(step, { minLength: 1, maxLength: 9 }),
    });
    const population = fc.record({
      walks: fc.array(walk, { minLength: 1, maxLength: 6 }),
      links: fc.array(
        fc.record({
          alias: fc.constantFrom('a:p', 'a:q', 'a:r', 'u:p'),
          customer: fc.constantFrom('u:p', 'u:q'),
          at: fc.integer({ min: 0, max: 3 }),
        }),
        { maxLength: 4 },
      ),
      windowHours: fc.constantFrom(1, 3, 6, 24),
      range: fc.constantFrom<[number, number]>([0, 13], [0, 4], [2, 7], [5, 6]),
      filter: fc.option(
        fc.constantFrom<StageFunnelQuery['filters']>(
          { country: ['DE'] },
          { utm_source: ['mail', 'google'] },
          { country: [''] },
        ),
        { nil: undefined },
      ),
    });
    await fc.assert(
      fc.asyncProperty(population, async (g) => {
        const p = new Population();
        const batches: Tp[][] = [[], [], [], []];
        for (const w of g.walks) {
          let stage: number = w.start;
          let at = T0 + w.startSlot * HOUR;
          for (const s of w.steps) {
            if (s.move !== 'unstaged') stage = MOVES[s.move](stage);
            at += s.gapMs;
            messageSeq += 1;
            const tp = {
              key: w.key,
              stage: s.move === 'unstaged' ? 0 : stage,
              at,
              id: `g${messageSeq}`,
              fields: s.fields,
            };
            batches[s.batch]?.push(tp);
            if (s.copy !== null) batches[3]?.push({ ...tp, at: at + s.copy });
          }
        }
        for (const batch of batches) if (batch.length > 0) await p.insert(batch);
        for (const link of g.links) await p.link(link.alias, link.customer, T0 + link.at * HOUR);
        const [fromSlot, toSlot] = g.range;
        for (const mode of MODES) {
          await p.funnel(mode, T0 + fromSlot * HOUR, T0 + toSlot * HOUR, g.windowHours * 3600, g.filter);
        }
      }),
      { numRuns: 50, seed: 20240301 },
    );
  });
});
