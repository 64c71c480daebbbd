import { DEFAULT_CUSTOMER_MODEL, STAGE_NAMES } from '@waymark/journey';
import { describe, expect, it } from 'vitest';
import { insertIdentityLinks } from './identities.ts';
import {
  customerResolver,
  DAY,
  HOUR,
  MINUTE,
  populationTouchpoint,
  storedOnce,
  usePopulation,
} from './journey-population.fixture.ts';
import { queryStageFlow, queryStageFlowBreakdown, type StageFlow } from './stage-flow.query.ts';
import { insertTouchpoints } from './touchpoints.ts';

/*
 * The stage flow against flows computed here, in plain TypeScript, by a direct reading of
 * docs/analytics/flow-and-drilldown.md: never from the SQL under test.
 */

const T0 = Date.UTC(2024, 2, 1);
const PROJECT = 'flow_main';
const AS_OF = new Date(T0 + 1000 * DAY);
const store = usePopulation({ projectId: PROJECT, otherProjectId: 'flow_other', customers: 300, start: T0 });
const population = store.population;

// ---- the reference --------------------------------------------------------------------------------------

const EXIT = 8;
const nodeId = (index: number) => (index === 0 ? 'entry' : index === EXIT ? 'exit' : STAGE_NAMES[index - 1]);

interface Staged {
  at: number;
  stage: number;
}

/** The flow of customers given their staged touchpoints (any order), by the documented definition. */
function referenceFlow(
  customers: ReadonlyMap<string, readonly Staged[]>,
  from: number,
  to: number,
  exitMs: number,
  asOf: number,
): StageFlow {
  const links = new Map<string, { source: number; target: number; value: number; customers: Set<string> }>();
  const nodeCustomers = Array<number>(EXIT + 1).fill(0);
  let active = 0;
  const add = (customer: string, source: number, target: number) => {
    const key = `${source}>${target}`;
    const link = links.get(key) ?? { source, target, value: 0, customers: new Set<string>() };
    link.value += 1;
    link.customers.add(customer);
    links.set(key, link);
  };
  for (const [customer, touchpoints] of customers) {
    const sorted = [...touchpoints].sort((a, b) => a.at - b.at || a.stage - b.stage);
    const path = sorted.filter((t) => t.at >= from && t.at < to);
    if (path.length === 0) continue;
    active += 1;
    const prior = sorted.filter((t) => t.at < from).at(-1)?.stage ?? 0;
    for (const stage of new Set(path.map((t) => t.stage)))
      nodeCustomers[stage] = (nodeCustomers[stage] ?? 0) + 1;
    const stages = [prior, ...path.map((t) => t.stage)];
    for (let i = 1; i < stages.length; i++) {
      if (stages[i] !== stages[i - 1]) add(customer, stages[i - 1] as number, stages[i] as number);
    }
    const last = path.at(-1) as Staged;
    const next = sorted.find((t) => t.at >= to);
    const exited = next === undefined ? last.at + exitMs <= asOf : next.at - last.at > exitMs;
    if (exited) add(customer, last.stage, EXIT);
  }
  const ordered = [...links.values()].sort((a, b) => a.source - b.source || a.target - b.target);
  for (const link of ordered) {
    if (link.source === 0) nodeCustomers[0] = (nodeCustomers[0] ?? 0) + link.customers.size;
    if (link.target === EXIT) nodeCustomers[EXIT] = (nodeCustomers[EXIT] ?? 0) + link.customers.size;
  }
  return {
    customers: active,
    nodes: nodeCustomers.map((customers, index) => ({
      id: nodeId(index),
      index,
      customers,
    })) as StageFlow['nodes'],
    links: ordered.map((link) => ({
      source: nodeId(link.source),
      target: nodeId(link.target),
      kind:
        link.source === 0
          ? 'entry'
          : link.target === EXIT
            ? 'exit'
            : link.target > link.source
              ? 'progression'
              : 'regression',
      value: link.value,
      customers: link.customers.size,
    })) as StageFlow['links'],
  };
}

/** The population's staged touchpoints per customer, each message once (the last copy, as FINAL reads). */
function stagedByCustomer(projectId = PROJECT): Map<string, Staged[]> {
  const customerOf = customerResolver(population, projectId);
  const byCustomer = new Map<string, Staged[]>();
  for (const tp of storedOnce(population, projectId)) {
    if (tp.stage === 0) continue;
    const customer = customerOf(tp.rawKey);
    byCustomer.set(customer, [
      ...(byCustomer.get(customer) ?? []),
      { at: tp.touchpoint.timestamp, stage: tp.stage },
    ]);
  }
  return byCustomer;
}

const flow = (projectId: string, from: number, to: number, exitAfterDays: number, asOf = AS_OF) =>
  queryStageFlow(store.client, {
    projectId,
    from: new Date(from),
    to: new Date(to),
    exitAfterSeconds: exitAfterDays * 86_400,
    asOf,
  });

const linkValues = (result: StageFlow) =>
  Object.fromEntries(result.links.map((l) => [`${l.source}>${l.target}`, [l.value, l.customers]]));

// ---- scenarios ------------------------------------------------------------------------------------------

describe('queryStageFlow', () => {
  it('follows one customer: entry, skipped stage, regression, collapsed repeats, exit', async () => {
    const projectId = 'flow_one';
    const ids = { anonymousId: 'ann', userId: null };
    const at = (hours: number) => T0 + hours * HOUR;
    await insertTouchpoints(
      store.client,
      [
        [1, 0],
        [2, 1],
        [2, 2], // a repeat: no transition
        [0, 3], // unstaged: ignored
        [4, 4], // 2 → 4 skips evaluation: one progression
        [3, 5], // a regression
        [3, 6],
        [5, 7],
      ].map(([stage, hours], i) =>
        populationTouchpoint({
          projectId,
          ids,
          messageId: `one-${i}`,
          at: at(hours as number),
          stage: stage as number,
        }),
      ),
    );
    const result = await flow(projectId, T0, T0 + DAY, 1);
    expect(result.customers).toBe(1);
    expect(result.links.map((l) => [l.source, l.target, l.kind, l.value, l.customers])).toEqual([
      ['entry', 'discovery', 'entry', 1, 1],
      ['discovery', 'consideration', 'progression', 1, 1],
      ['consideration', 'selection', 'progression', 1, 1],
      ['evaluation', 'purchase', 'progression', 1, 1],
      ['selection', 'evaluation', 'regression', 1, 1],
      ['purchase', 'exit', 'exit', 1, 1],
    ]);
    expect(result.nodes.map((n) => [n.id, n.customers])).toEqual([
      ['entry', 1],
      ['discovery', 1],
      ['consideration', 1],
      ['evaluation', 1],
      ['selection', 1],
      ['purchase', 1],
      ['use', 0],
      ['advocacy', 0],
      ['exit', 1],
    ]);
  });

  it('starts from the stage held before the period, orders simultaneous touchpoints by stage, and exits only once known', async () => {
    const projectId = 'flow_edges';
    const tp = (anonymousId: string, stage: number, at: number, i: number) =>
      populationTouchpoint({
        projectId,
        ids: { anonymousId, userId: null },
        messageId: `${anonymousId}-${i}`,
        at,
        stage,
      });
    const from = T0 + 10 * DAY;
    const to = T0 + 20 * DAY;
    await insertTouchpoints(store.client, [
      // Was at selection before the period, bought in it: selection → purchase, not an entry.
      tp('returning', 4, from - DAY, 0),
      tp('returning', 5, from + DAY, 1),
      // Three touchpoints in one millisecond read as progress, whatever their message ids.
      tp('burst', 3, from + HOUR, 0),
      tp('burst', 1, from + HOUR, 1),
      tp('burst', 2, from + HOUR, 2),
      // Came back 2 days after `to`, within a 3-day exitAfter: no exit.
      tp('back-later', 2, to - HOUR, 0),
      tp('back-later', 3, to + 2 * DAY, 1),
      // Nothing after its last touchpoint, which is recent: an exit is not known yet.
      tp('recent', 1, to - HOUR, 0),
    ]);
    const asOf = new Date(to + 2 * DAY - HOUR);
    const result = await flow(projectId, from, to, 3, asOf);
    expect(linkValues(result)).toEqual({
      'entry>discovery': [2, 2],
      'entry>consideration': [1, 1],
      'discovery>consideration': [1, 1],
      'consideration>evaluation': [1, 1],
      'selection>purchase': [1, 1],
      'evaluation>exit': [1, 1],
      'purchase>exit': [1, 1],
    });
    // Later, `recent` has exited; `back-later` still has not.
    expect(linkValues(await flow(projectId, from, to, 3, new Date(to + 4 * DAY)))).toMatchObject({
      'discovery>exit': [1, 1],
    });
    expect(
      linkValues(await flow(projectId, from, to, 3, new Date(to + 4 * DAY)))['consideration>exit'],
    ).toBeUndefined();
    // With a 1-day exitAfter, `back-later` left before coming back.
    expect(linkValues(await flow(projectId, from, to, 1, asOf))['consideration>exit']).toEqual([1, 1]);
  });

  it('matches the reference on a generated population, for several ranges and exit delays', async () => {
    const customers = stagedByCustomer();
    for (const [from, to, exitDays] of [
      [T0, T0 + 10 * DAY, 7],
      [T0 + 5 * DAY, T0 + 15 * DAY, 30],
      [T0 + 12 * DAY, T0 + 13 * DAY, 1],
      [T0 - 30 * DAY, T0 + 300 * DAY, 30],
    ] as const) {
      const expected = referenceFlow(customers, from, to, exitDays * DAY, AS_OF.getTime());
      // The population covers every kind of link in these ranges, so no branch goes untested.
      if (to - from > 5 * DAY) {
        expect(new Set(expected.links.map((l) => l.kind))).toEqual(
          new Set(['entry', 'progression', 'regression', 'exit']),
        );
      }
      expect(await flow(PROJECT, from, to, exitDays)).toEqual(expected);
    }
  });

  it('adds up over adjacent periods: each transition falls in exactly one', async () => {
    const whole = await flow(PROJECT, T0, T0 + 30 * DAY, 30);
    const halves = [
      await flow(PROJECT, T0, T0 + 12 * DAY, 30),
      await flow(PROJECT, T0 + 12 * DAY, T0 + 30 * DAY, 30),
    ];
    const transitions = (result: StageFlow) =>
      Object.fromEntries(
        result.links.filter((l) => l.kind !== 'exit').map((l) => [`${l.source}>${l.target}`, l.value]),
      );
    const summed: Record<string, number> = {};
    for (const half of halves) {
      for (const [key, value] of Object.entries(transitions(half))) summed[key] = (summed[key] ?? 0) + value;
    }
    expect(summed).toEqual(transitions(whole));
  });

  it('changes retroactively with a new identity link, and not at all with copies of the same messages', async () => {
    const range = [T0, T0 + 40 * DAY] as const;
    const before = await flow(PROJECT, ...range, 30);
    for (const batch of population.batches) await insertTouchpoints(store.client, batch);
    expect(await flow(PROJECT, ...range, 30)).toEqual(before);

    const projectId = 'flow_merge';
    await insertTouchpoints(store.client, [
      populationTouchpoint({
        projectId,
        ids: { anonymousId: 'tab', userId: null },
        messageId: 'x1',
        at: T0,
        stage: 1,
      }),
      populationTouchpoint({
        projectId,
        ids: { anonymousId: 'tab', userId: 'zoe' },
        messageId: 'x2',
        at: T0 + MINUTE,
        stage: 4,
      }),
    ]);
    expect(linkValues(await flow(projectId, ...range, 30))).toMatchObject({
      'entry>discovery': [1, 1],
      'entry>selection': [1, 1],
    });
    await insertIdentityLinks(store.client, [
      { projectId, aliasKey: 'a:tab', customerKey: 'u:zoe', linkedAt: T0 + MINUTE, messageId: 'x2' },
    ]);
    const merged = await flow(projectId, ...range, 30);
    expect(merged.customers).toBe(1);
    expect(linkValues(merged)).toEqual({
      'entry>discovery': [1, 1],
      'discovery>selection': [1, 1],
      'selection>exit': [1, 1],
    });
  });

  it('answers an empty flow for a range nobody was active in, and for an unknown project', async () => {
    for (const result of [
      await flow(PROJECT, T0 - 100 * DAY, T0 - 99 * DAY, 30),
      await flow('no_such_project', T0, T0 + DAY, 30),
    ]) {
      expect(result.customers).toBe(0);
      expect(result.links).toEqual([]);
      expect(result.nodes.map((n) => n.id)).toEqual(['entry', ...STAGE_NAMES, 'exit']);
      expect(result.nodes.every((n) => n.customers === 0)).toBe(true);
    }
  });

  it('breaks the flow down by a customer dimension whose segments add up to the whole', async () => {
    const range = [new Date(T0), new Date(T0 + 30 * DAY)] as const;
    const whole = await flow(PROJECT, range[0].getTime(), range[1].getTime(), 30);
    const segments = await queryStageFlowBreakdown(store.client, {
      projectId: PROJECT,
      from: range[0],
      to: range[1],
      exitAfterSeconds: 30 * 86_400,
      asOf: AS_OF,
      dimension: 'device',
      model: DEFAULT_CUSTOMER_MODEL,
    });
    expect(segments.map((s) => s.value).sort()).toEqual(['desktop', 'mobile']);
    expect(segments.reduce((n, s) => n + s.customers, 0)).toBe(whole.customers);
    const summed: Record<string, [number, number]> = {};
    for (const segment of segments) {
      for (const [key, [value, customers]] of Object.entries(linkValues(segment)) as [
        string,
        [number, number],
      ][]) {
        const [v, c] = summed[key] ?? [0, 0];
        summed[key] = [v + value, c + customers];
      }
    }
    expect(summed).toEqual(linkValues(whole));
  });
});
