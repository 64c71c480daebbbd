import { STAGE_NAMES, type StageFunnelMode, type StageIndex, type StageRange } from '@waymark/journey';
import { describe, expect, it } from 'vitest';
import { type FunnelCustomer, type FunnelOutcome, queryFunnelCustomers } from './funnel-drilldown.query.ts';
import { customerResolver, DAY, populationTouchpoint, usePopulation } from './journey-population.fixture.ts';
import { queryStageFunnel } from './stage-funnel.query.ts';
import { insertTouchpoints } from './touchpoints.ts';

/*
 * The drill-down pages, read to the end, against the funnel's own counts and against customer lists
 * computed here from the generated data by a direct reading of docs/design.md §3 (reached mode).
 */

const T0 = Date.UTC(2024, 2, 1);
const PROJECT = 'drill_main';
const store = usePopulation({ projectId: PROJECT, otherProjectId: 'drill_other', customers: 300, start: T0 });
const population = store.population;

/**
 * Per customer, the first time at a stage ≥ k (index k), over every stored copy: stage_reach keeps the
 * minimum, so a retry a few ms later never moves it. Also the latest touchpoint of any kind.
 */
function customerTimes(): Map<string, { firstAt: number[]; lastSeen: number }> {
  const customerOf = customerResolver(population, PROJECT);
  const times = new Map<string, { firstAt: number[]; lastSeen: number }>();
  for (const tp of population.batches.flat()) {
    if (tp.touchpoint.projectId !== PROJECT) continue;
    const customer = customerOf(tp.rawKey);
    const known = times.get(customer) ?? {
      firstAt: Array<number>(8).fill(Number.POSITIVE_INFINITY),
      lastSeen: 0,
    };
    for (let k = 1; k <= tp.stage; k++)
      known.firstAt[k] = Math.min(known.firstAt[k] as number, tp.touchpoint.timestamp);
    known.lastSeen = Math.max(known.lastSeen, tp.touchpoint.timestamp);
    times.set(customer, known);
  }
  return times;
}

function expectedCustomers(
  from: number,
  to: number,
  windowMs: number,
  stage: number,
  outcome: FunnelOutcome,
) {
  const reached = (firstAt: number[], k: number) =>
    (firstAt[k] as number) - (firstAt[1] as number) <= windowMs;
  const rows: FunnelCustomer[] = [];
  for (const [customer, { firstAt, lastSeen }] of customerTimes()) {
    const entry = firstAt[1] as number;
    if (!(entry >= from && entry < to)) continue;
    const counted =
      outcome === 'reached'
        ? reached(firstAt, stage)
        : reached(firstAt, stage - 1) && !reached(firstAt, stage);
    if (!counted) continue;
    const furthest = [7, 6, 5, 4, 3, 2, 1].find((k) => reached(firstAt, k)) as number;
    const ever = [7, 6, 5, 4, 3, 2, 1].find((k) => Number.isFinite(firstAt[k])) as number;
    rows.push({
      customer,
      enteredAt: new Date(entry).toISOString(),
      furthestStage: STAGE_NAMES[furthest - 1] as FunnelCustomer['furthestStage'],
      furthestStageEver: STAGE_NAMES[ever - 1] as FunnelCustomer['furthestStageEver'],
      lastSeenAt: new Date(lastSeen).toISOString(),
    });
  }
  return rows.sort((a, b) => (a.customer < b.customer ? -1 : 1));
}

async function allPages(query: {
  from: number;
  to: number;
  windowSeconds: number;
  stage: StageIndex;
  outcome: FunnelOutcome;
  mode?: StageFunnelMode;
  stages?: StageRange;
}) {
  const rows: FunnelCustomer[] = [];
  let after: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = await queryFunnelCustomers(store.client, {
      projectId: PROJECT,
      ...query,
      from: new Date(query.from),
      to: new Date(query.to),
      limit: 7,
      ...(after !== undefined && { after }),
    });
    expect(result.customers.length).toBeLessThanOrEqual(7);
    rows.push(...result.customers);
    if (result.next === null) return rows;
    expect(result.next).toBe(result.customers.at(-1)?.customer);
    after = result.next;
  }
  throw new Error('paging did not end');
}

describe('queryFunnelCustomers', () => {
  it('pages through exactly the customers each funnel count stands for', async () => {
    for (const [from, to, windowDays] of [
      [T0, T0 + 10 * DAY, 30],
      [T0 + 5 * DAY, T0 + 20 * DAY, 3],
    ] as const) {
      const windowSeconds = windowDays * 86_400;
      const funnel = await queryStageFunnel(store.client, {
        projectId: PROJECT,
        from: new Date(from),
        to: new Date(to),
        windowSeconds,
      });
      for (const stage of [1, 2, 3, 4, 5, 6, 7] as const) {
        const reached = await allPages({ from, to, windowSeconds, stage, outcome: 'reached' });
        expect(reached.length).toBe(funnel.stages[stage - 1]?.customers);
        expect(reached).toEqual(expectedCustomers(from, to, windowSeconds * 1000, stage, 'reached'));
        if (stage === 1) continue;
        const dropped = await allPages({ from, to, windowSeconds, stage, outcome: 'dropped' });
        expect(dropped.length).toBe(
          (funnel.stages[stage - 2]?.customers as number) - (funnel.stages[stage - 1]?.customers as number),
        );
        expect(dropped).toEqual(expectedCustomers(from, to, windowSeconds * 1000, stage, 'dropped'));
      }
    }
    // The population has customers at the last stage and drop-off at every step, so nothing was vacuous.
    expect(expectedCustomers(T0, T0 + 10 * DAY, 30 * DAY, 7, 'reached').length).toBeGreaterThan(0);
  });

  it("lists each count of the funnel in every mode and stage range: the funnel's own customers", async () => {
    const [from, to, windowSeconds] = [T0, T0 + 10 * DAY, 7 * 86_400];
    for (const [mode, stages] of [
      ['ordered', undefined],
      ['strict', undefined],
      ['reached', { from: 2, to: 5 }],
      ['strict', { from: 3, to: 7 }],
    ] as const) {
      const cohort = { from, to, windowSeconds, mode, ...(stages && { stages }) };
      const funnel = await queryStageFunnel(store.client, {
        projectId: PROJECT,
        ...cohort,
        from: new Date(from),
        to: new Date(to),
      });
      // Nothing vacuous: the funnel's second stage has customers, and some drop there.
      expect(funnel.stages[1]?.customers).toBeGreaterThan(0);
      expect(funnel.stages[1]?.customers).toBeLessThan(funnel.stages[0]?.customers as number);
      let before: string[] = [];
      for (const { index, customers } of funnel.stages) {
        const stage = index as StageIndex;
        const reached = (await allPages({ ...cohort, stage, outcome: 'reached' })).map((c) => c.customer);
        expect(reached.length, `${mode} ${index}`).toBe(customers);
        if (index !== funnel.stages[0]?.index) {
          // Dropped at k: counted at k − 1, not at k.
          const dropped = (await allPages({ ...cohort, stage, outcome: 'dropped' })).map((c) => c.customer);
          expect(dropped, `${mode} ${index}`).toEqual(before.filter((c) => !reached.includes(c)));
        }
        before = reached;
      }
    }
  });

  it('counts a stage reached exactly at entry + window as reached, one millisecond later as dropped', async () => {
    const projectId = 'drill_edges';
    const windowMs = 86_400_000;
    await insertTouchpoints(
      store.client,
      [
        ['on-time', 1, T0],
        ['on-time', 2, T0 + windowMs],
        ['late', 1, T0],
        ['late', 2, T0 + windowMs + 1],
      ].map(([anonymousId, stage, at], i) =>
        populationTouchpoint({
          projectId,
          ids: { anonymousId: anonymousId as string, userId: null },
          messageId: `edge-${i}`,
          at: at as number,
          stage: stage as number,
        }),
      ),
    );
    const query = { projectId, from: new Date(T0), to: new Date(T0 + 1), windowSeconds: 86_400, limit: 10 };
    const keys = async (outcome: FunnelOutcome) =>
      (await queryFunnelCustomers(store.client, { ...query, stage: 2, outcome })).customers.map(
        (c) => c.customer,
      );
    expect(await keys('reached')).toEqual(['a:on-time']);
    expect(await keys('dropped')).toEqual(['a:late']);
    expect((await queryStageFunnel(store.client, query)).stages.map((s) => s.customers)).toEqual([
      2, 1, 0, 0, 0, 0, 0,
    ]);
  });

  it('has nobody dropped at the first stage, and nobody in an empty range', async () => {
    const query = {
      projectId: PROJECT,
      from: new Date(T0),
      to: new Date(T0 + DAY),
      windowSeconds: 86_400,
      limit: 10,
    };
    expect(await queryFunnelCustomers(store.client, { ...query, stage: 1, outcome: 'dropped' })).toEqual({
      customers: [],
      next: null,
    });
    expect(
      await queryFunnelCustomers(store.client, {
        ...query,
        from: new Date(T0 - 50 * DAY),
        to: new Date(T0 - 40 * DAY),
        stage: 2,
        outcome: 'reached',
      }),
    ).toEqual({ customers: [], next: null });
  });
});
