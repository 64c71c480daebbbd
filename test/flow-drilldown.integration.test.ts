import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';

/*
 * Stage flow, bottlenecks, funnel drill-down and customer timeline through the whole pipeline (collector →
 * Kafka → processor with the default ruleset → ClickHouse → query API). A handful of customers whose every
 * figure is worked out by hand below, from the definitions in docs/analytics/flow-and-drilldown.md; the
 * query-level tests in packages/clickhouse compare large generated populations.
 */

const stack = usePipeline();
let project: TestProject;
let otherProject: TestProject;

const MINUTE = 60_000;
const DAY = 86_400_000;
// Ten days ago, on a whole minute: every exit (1 day) is known by now.
const T = Math.floor((Date.now() - 10 * DAY) / MINUTE) * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();
const STAGE_EVENTS: Record<number, { event: string; properties?: Record<string, unknown> }> = {
  1: { event: 'Promotion Viewed' },
  2: { event: 'Product Viewed' },
  3: { event: 'Products Compared' },
  4: { event: 'Product Added' },
  5: { event: 'Order Completed', properties: { revenue: 30 } },
  6: { event: 'Product Used' },
};

type Ids = { anonymousId: string; userId?: string };
const staged = (
  messageId: string,
  ids: Ids,
  stage: number,
  at: number,
  context: Record<string, unknown> = {},
) => ({
  type: 'track',
  messageId,
  ...ids,
  ...STAGE_EVENTS[stage],
  timestamp: iso(at),
  context,
});
const identify = (messageId: string, anonymousId: string, userId: string, at: number) => ({
  type: 'identify',
  messageId,
  anonymousId,
  userId,
  timestamp: iso(at),
});

const laptop = { anonymousId: 'ann-laptop' };
const phone = { anonymousId: 'ann-phone' };
const ann = { anonymousId: 'ann-laptop', userId: 'ann' };
const onPhone = { sessionId: 's-phone' };
const EVENTS = [
  // Ann: 1, 2, 2 (a repeat) on the laptop; 3, 2 (a regression), 4 on the phone in an SDK session; identifies on
  // both; then buys and uses the product in the same millisecond (5 before 6).
  staged('ann-1', laptop, 1, T),
  staged('ann-2', laptop, 2, T + 5 * MINUTE),
  staged('ann-3', laptop, 2, T + 6 * MINUTE),
  staged('ann-4', phone, 3, T + 60 * MINUTE, onPhone),
  staged('ann-5', phone, 2, T + 70 * MINUTE, onPhone),
  staged('ann-6', phone, 4, T + 80 * MINUTE, onPhone),
  identify('ann-7', 'ann-phone', 'ann', T + 81 * MINUTE),
  identify('ann-8', 'ann-laptop', 'ann', T + 82 * MINUTE),
  staged('ann-9', ann, 5, T + 90 * MINUTE),
  staged('ann-10', ann, 6, T + 90 * MINUTE),
  // Bob: 2, 4 and a complaint.
  staged('bob-1', { anonymousId: 'bob' }, 2, T + 10 * MINUTE),
  staged('bob-2', { anonymousId: 'bob' }, 4, T + 20 * MINUTE),
  {
    type: 'track',
    event: 'Complaint Submitted',
    messageId: 'bob-3',
    anonymousId: 'bob',
    timestamp: iso(T + 25 * MINUTE),
  },
  // Cy: 1 only.
  staged('cy-1', { anonymousId: 'cy' }, 1, T + 30 * MINUTE),
  // Dee: 1 three days before the period (from a newsletter), 2 in it.
  staged('dee-1', { anonymousId: 'dee' }, 1, T - 3 * DAY, { campaign: { source: 'newsletter' } }),
  staged('dee-2', { anonymousId: 'dee' }, 2, T + 40 * MINUTE),
  // The previous bottleneck period [T − 9d, T − 4d): Eve 1 → 2, Fay 1.
  staged('eve-1', { anonymousId: 'eve' }, 1, T - 6 * DAY),
  staged('eve-2', { anonymousId: 'eve' }, 2, T - 6 * DAY + MINUTE),
  staged('fay-1', { anonymousId: 'fay' }, 1, T - 7 * DAY),
];

const PERIOD = `from=${iso(T)}&to=${iso(T + DAY)}`;

async function get<T = Record<string, unknown>>(path: string, as: TestProject = project) {
  return queryApi<T>(stack.queryUrl, as, 'GET', path);
}

interface FlowAnswer {
  customers: number;
  nodes: { id: string; customers: number }[];
  links: { source: string; target: string; kind: string; value: number; customers: number }[];
}
const linksOf = (flow: FlowAnswer) =>
  Object.fromEntries(flow.links.map((l) => [`${l.source}>${l.target}`, [l.kind, l.value, l.customers]]));

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse);
  otherProject = await createTestProject(stack.clickhouse, 'other');
  // Sent twice (a client retry): nothing may count twice.
  for (let copy = 0; copy < 2; copy++) {
    const answer = await postBatch(stack.collectorUrl, project.writeKey, { batch: EVENTS });
    expect([answer.status, answer.body.rejected]).toEqual([200, []]);
  }
  await eventually(
    async () => {
      const timeline = await get<{ touchpoints: unknown[] }>('/customers/u%3Aann/timeline');
      expect(timeline.body.touchpoints).toHaveLength(10);
      const flow = await get<FlowAnswer>(`/flow/stages?${PERIOD}&exitAfter=1d`);
      expect(flow.body.customers).toBe(4);
    },
    { timeoutMs: 60_000 },
  );
});

describe('stage flow, bottlenecks, drill-down and timeline over HTTP', () => {
  it('answers the stage flow of the period as a Sankey', async () => {
    const r = await get<FlowAnswer & { exitAfterSeconds: number }>(`/flow/stages?${PERIOD}&exitAfter=1d`);
    expect(r.status).toBe(200);
    expect(r.body.exitAfterSeconds).toBe(86_400);
    expect(linksOf(r.body)).toEqual({
      'entry>discovery': ['entry', 2, 2], // ann, cy
      'entry>consideration': ['entry', 1, 1], // bob
      'discovery>consideration': ['progression', 2, 2], // ann; dee from her stage before the period
      'discovery>exit': ['exit', 1, 1], // cy
      'consideration>evaluation': ['progression', 1, 1],
      'consideration>selection': ['progression', 2, 2], // ann after her regression, bob
      'consideration>exit': ['exit', 1, 1], // dee
      'evaluation>consideration': ['regression', 1, 1],
      'selection>purchase': ['progression', 1, 1],
      'selection>exit': ['exit', 1, 1], // bob
      'purchase>use': ['progression', 1, 1],
      'use>exit': ['exit', 1, 1], // ann
    });
    expect(Object.fromEntries(r.body.nodes.map((n) => [n.id, n.customers]))).toEqual({
      entry: 3,
      discovery: 2,
      consideration: 3,
      evaluation: 1,
      selection: 2,
      purchase: 1,
      use: 1,
      advocacy: 0,
      exit: 4,
    });
    // Broken down by a customer dimension: ann is the only customer with an order.
    const byOrders = await get<{ breakdown: { segments: ({ value: string } & FlowAnswer)[] } }>(
      `/flow/stages?${PERIOD}&exitAfter=1d&breakdown=orders`,
    );
    expect(byOrders.body.breakdown.segments.map((s) => [s.value, s.customers])).toEqual([
      ['0', 3],
      ['1', 1],
    ]);
  });

  it('pages through the customers behind funnel counts', async () => {
    const range = `from=${iso(T - 4 * DAY)}&to=${iso(T + DAY)}&window=30d`;
    const funnel = await get<{ stages: { customers: number }[] }>(`/funnel/stages?${range}`);
    expect(funnel.body.stages.map((s) => s.customers)).toEqual([4, 3, 2, 2, 1, 1, 0]);
    const pages = async (query: string) => {
      const keys: string[] = [];
      let after = '';
      for (;;) {
        const r = await get<{ customers: { customer: string; profile: string }[]; next: string | null }>(
          `/funnel/stages/customers?${range}&${query}&limit=1${after && `&after=${encodeURIComponent(after)}`}`,
        );
        expect(r.status).toBe(200);
        keys.push(...r.body.customers.map((c) => c.customer));
        if (r.body.next === null) return keys;
        after = r.body.next;
      }
    };
    expect(await pages('stage=consideration')).toEqual(['a:bob', 'a:dee', 'u:ann']);
    expect(await pages('stage=consideration&outcome=dropped')).toEqual(['a:cy']);
    expect(await pages('stage=evaluation&outcome=dropped')).toEqual(['a:dee']);
    expect(await pages('stage=purchase&outcome=dropped')).toEqual(['a:bob']);
    expect(await pages('stage=advocacy')).toEqual([]);

    const r = await get<{ customers: Record<string, unknown>[] }>(
      `/funnel/stages/customers?${range}&stage=use`,
    );
    expect(r.body.customers).toEqual([
      {
        customer: 'u:ann',
        enteredAt: iso(T),
        furthestStage: 'use',
        furthestStageEver: 'use',
        lastSeenAt: iso(T + 90 * MINUTE),
        profile: `/v1/projects/${project.projectId}/customers/u%3Aann`,
      },
    ]);
    const profile = await fetch(new URL(r.body.customers[0]?.profile as string, stack.queryUrl), {
      headers: { authorization: `Bearer ${project.apiKey}` },
    });
    expect(((await profile.json()) as { customer: string }).customer).toBe('u:ann');
  });

  it('lists the customers the funnel counts in its mode, stage range and entry filters', async () => {
    const range = `from=${iso(T - 4 * DAY)}&to=${iso(T + DAY)}&window=30d`;
    const listed = async (cohort: string, stage: string, outcome = 'reached') => {
      const r = await get<{ customers: { customer: string; furthestStage: string }[]; next: string | null }>(
        `/funnel/stages/customers?${range}&${cohort}&stage=${stage}&outcome=${outcome}`,
      );
      expect([r.status, r.body.next]).toEqual([200, null]);
      return r.body.customers.map((c) => `${c.customer} ${c.furthestStage}`);
    };
    // Ordered: Bob never had a discovery touchpoint, so is counted nowhere; Ann goes 1 → 6 in order.
    expect(await listed('mode=ordered', 'discovery')).toEqual([
      'a:cy discovery',
      'a:dee consideration',
      'u:ann use',
    ]);
    expect(await listed('mode=ordered', 'evaluation', 'dropped')).toEqual(['a:dee consideration']);
    // Strict: Ann's run 1, 2, 2, 3 is broken by the regression to 2; she counts up to evaluation.
    expect(await listed('mode=strict', 'consideration')).toEqual(['a:dee consideration', 'u:ann evaluation']);
    expect(await listed('mode=strict', 'selection', 'dropped')).toEqual(['u:ann evaluation']);
    // consideration → selection: the cohort enters at its first touchpoint staged at consideration or later
    // (Cy has none); Dee stops at consideration.
    const narrowed = 'fromStage=consideration&toStage=selection';
    expect(await listed(narrowed, 'consideration')).toEqual([
      'a:bob selection',
      'a:dee consideration',
      'u:ann selection',
    ]);
    expect(await listed(narrowed, 'evaluation', 'dropped')).toEqual(['a:dee consideration']);
    // Only customers who entered from the newsletter: Dee.
    expect(await listed('utm_source=newsletter', 'consideration')).toEqual(['a:dee consideration']);
    expect(await listed('utm_source=newsletter', 'evaluation', 'dropped')).toEqual(['a:dee consideration']);
    expect(await listed('utm_source=newsletter&utm_source=partner', 'purchase')).toEqual([]);

    // Each list is the funnel's count, and the answer repeats the cohort it counted.
    for (const cohort of ['mode=ordered', 'mode=strict', narrowed, 'utm_source=newsletter']) {
      const funnel = await get<{ stages: { stage: string; customers: number }[] }>(
        `/funnel/stages?${range}&${cohort}`,
      );
      for (const { stage, customers } of funnel.body.stages) {
        expect((await listed(cohort, stage)).length, `${cohort} ${stage}`).toBe(customers);
      }
    }
    const answer = await get(
      `/funnel/stages/customers?${range}&mode=strict&${narrowed}&utm_source=newsletter&stage=evaluation`,
    );
    expect(answer.body).toMatchObject({
      mode: 'strict',
      fromStage: 'consideration',
      toStage: 'selection',
      filters: { utm_source: ['newsletter'] },
      stage: 'evaluation',
    });
  });

  it('ranks bottlenecks by drop-off and by change against the previous period', async () => {
    const r = await get<{
      windowComplete: boolean;
      previous: { from: string; to: string };
      byDropOff: { stage: string; from: number; customers: number; dropOff: number }[];
      byChange: { stage: string; change: Record<string, number | boolean | null> }[];
    }>(`/bottlenecks?from=${iso(T - 4 * DAY)}&to=${iso(T + DAY)}&window=1d&compare=previous`);
    expect(r.status).toBe(200);
    expect(r.body.windowComplete).toBe(true);
    expect(r.body.previous).toMatchObject({ from: iso(T - 9 * DAY), to: iso(T - 4 * DAY) });
    // Now (window 1 day): 4, 2, 2, 2, 1, 1, 0 — dee reached stage 2 three days after entering, too late.
    // Then: 2, 1, 0, … — eve and fay entered, eve reached stage 2.
    // Drop-offs: advocacy 1, consideration ½ (2 lost), purchase ½ (1 lost), then the steps nobody left.
    expect(r.body.byDropOff.map((b) => [b.stage, b.from, b.customers])).toEqual([
      ['advocacy', 1, 0],
      ['consideration', 4, 2],
      ['purchase', 2, 1],
      ['evaluation', 2, 2],
      ['selection', 2, 2],
      ['use', 1, 1],
    ]);
    const consideration = r.body.byChange.find((b) => b.stage === 'consideration')?.change;
    // 2/4 now against 1/2 then: no change, z = 0, p = 1.
    expect(consideration).toMatchObject({
      percentagePoints: 0,
      relative: 0,
      zScore: 0,
      pValue: 1,
      significant: false,
    });
    const evaluation = r.body.byChange.find((b) => b.stage === 'evaluation')?.change;
    // 2/2 now against 0/1 then: +100 points, no relative change from 0; pooled 2/3.
    const z = 1 / Math.sqrt((2 / 3) * (1 / 3) * (1 / 2 + 1));
    expect(evaluation?.percentagePoints).toBeCloseTo(100, 10);
    expect(evaluation?.zScore).toBeCloseTo(z, 10);
    expect(evaluation?.relative).toBeNull();
  });

  it("ranks the bottlenecks of the funnel's mode and stage range", async () => {
    type Ranking = {
      mode: string;
      fromStage: string;
      byDropOff: { stage: string; from: number; customers: number }[];
    };
    const range = `from=${iso(T - 4 * DAY)}&to=${iso(T + DAY)}&window=30d`;
    // Ordered: 3 (Ann, Cy, Dee; Bob never had discovery), 2, 1, 1, 1, 1, 0.
    const ordered = await get<Ranking>(`/bottlenecks?${range}&mode=ordered`);
    expect([ordered.status, ordered.body.mode]).toEqual([200, 'ordered']);
    expect(ordered.body.byDropOff.map((b) => [b.stage, b.from, b.customers])).toEqual([
      ['advocacy', 1, 0],
      ['evaluation', 2, 1],
      ['consideration', 3, 2],
      ['selection', 1, 1],
      ['purchase', 1, 1],
      ['use', 1, 1],
    ]);
    // consideration → selection: Ann, Bob and Dee enter at consideration; Dee stops there.
    const narrowed = await get<Ranking>(`/bottlenecks?${range}&fromStage=consideration&toStage=selection`);
    expect(narrowed.body.fromStage).toBe('consideration');
    expect(narrowed.body.byDropOff.map((b) => [b.stage, b.from, b.customers])).toEqual([
      ['evaluation', 3, 2],
      ['selection', 2, 2],
    ]);
    // Only the newsletter's customers: Dee, 1 → 2 → stop.
    const filtered = await get<Ranking>(`/bottlenecks?${range}&utm_source=newsletter&toStage=evaluation`);
    expect(filtered.body.byDropOff.map((b) => [b.stage, b.from, b.customers])).toEqual([
      ['evaluation', 1, 0],
      ['consideration', 1, 1],
    ]);
  });

  it("shows a customer's timeline across devices and identities, newest first, paged", async () => {
    const all = await get<{ customer: string; touchpoints: Record<string, unknown>[]; next: string | null }>(
      '/customers/a%3Aann-phone/timeline?limit=100',
    );
    expect(all.status).toBe(200);
    expect(all.body.customer).toBe('u:ann');
    expect(all.body.next).toBeNull();
    expect(all.body.touchpoints.map((t) => [t.messageId, t.rawKey, t.stage, t.sessionId])).toEqual([
      ['ann-9', 'u:ann', 'purchase', 'u:ann#1'], // same millisecond as ann-10: message id descending
      ['ann-10', 'u:ann', 'use', 'u:ann#1'],
      ['ann-8', 'u:ann', null, 'u:ann#1'],
      ['ann-7', 'u:ann', null, 'u:ann#1'],
      ['ann-6', 'a:ann-phone', 'selection', 's-phone'],
      ['ann-5', 'a:ann-phone', 'consideration', 's-phone'],
      ['ann-4', 'a:ann-phone', 'evaluation', 's-phone'],
      ['ann-3', 'a:ann-laptop', 'consideration', 'a:ann-laptop#1'],
      ['ann-2', 'a:ann-laptop', 'consideration', 'a:ann-laptop#1'],
      ['ann-1', 'a:ann-laptop', 'discovery', 'a:ann-laptop#1'],
    ]);
    expect(all.body.touchpoints[0]).toMatchObject({
      at: iso(T + 90 * MINUTE),
      type: 'track',
      event: 'Order Completed',
      revenue: 30,
      complaint: false,
    });

    const paged: unknown[] = [];
    let before = '';
    for (;;) {
      const r = await get<{ touchpoints: unknown[]; next: string | null }>(
        `/customers/u%3Aann/timeline?limit=3${before && `&before=${before}`}`,
      );
      expect(r.status).toBe(200);
      paged.push(...r.body.touchpoints);
      if (r.body.next === null) break;
      before = encodeURIComponent(r.body.next);
    }
    expect(paged).toEqual(all.body.touchpoints);

    const bob = await get<{ touchpoints: { messageId: string; complaint: boolean }[] }>(
      `/customers/a%3Abob/timeline?before=${encodeURIComponent(iso(T + 25 * MINUTE))}`,
    );
    expect(bob.body.touchpoints.map((t) => t.messageId)).toEqual(['bob-2', 'bob-1']);
    const complaint = await get<{ touchpoints: { complaint: boolean }[] }>(
      '/customers/a%3Abob/timeline?limit=1',
    );
    expect(complaint.body.touchpoints[0]?.complaint).toBe(true);
  });

  it('refuses malformed, oversized and hostile parameters with the offending field', async () => {
    const long = 'x'.repeat(5000);
    const cases: Array<[string, string]> = [
      ['/flow/stages?from=yesterday&to=2026-01-01', 'from'],
      ['/flow/stages?from=2026-02-01&to=2026-01-01', 'to'],
      [`/flow/stages?from=${long}&to=2026-01-01`, 'from'],
      ['/flow/stages?to=2026-01-01', 'from'],
      [`/flow/stages?${PERIOD}&exitAfter=0`, 'exitAfter'],
      [`/flow/stages?${PERIOD}&exitAfter=forever`, 'exitAfter'],
      [`/flow/stages?${PERIOD}&exitAfter=1d&exitAfter=2d`, 'exitAfter'],
      [`/flow/stages?${PERIOD}&breakdown=shoe_size`, 'breakdown'],
      [`/flow/stages?${PERIOD}&breakdown=trait:${long}`, 'breakdown'],
      [`/bottlenecks?${PERIOD}&window=-1`, 'window'],
      [`/bottlenecks?${PERIOD}&window=400d`, 'window'],
      [`/bottlenecks?${PERIOD}&compare=next`, 'compare'],
      [`/bottlenecks?${PERIOD}&mode=any-order`, 'mode'],
      [`/bottlenecks?${PERIOD}&fromStage=use&toStage=consideration`, 'toStage'],
      [`/bottlenecks?${PERIOD}&breakdown=type`, 'breakdown'],
      [`/bottlenecks?${PERIOD}&device=${long}`, 'device.0'],
      ['/bottlenecks?from=2026-01-01', 'to'],
      [`/funnel/stages/customers?${PERIOD}`, 'stage'],
      [`/funnel/stages/customers?${PERIOD}&stage=checkout`, 'stage'],
      [`/funnel/stages/customers?${PERIOD}&stage=discovery&outcome=dropped`, 'stage'],
      [`/funnel/stages/customers?${PERIOD}&stage=purchase&outcome=maybe`, 'outcome'],
      [`/funnel/stages/customers?${PERIOD}&stage=purchase&limit=0`, 'limit'],
      [`/funnel/stages/customers?${PERIOD}&stage=purchase&limit=100000`, 'limit'],
      [`/funnel/stages/customers?${PERIOD}&stage=purchase&limit=ten`, 'limit'],
      [`/funnel/stages/customers?${PERIOD}&stage=purchase&after=${long}`, 'after'],
      [`/funnel/stages/customers?${PERIOD}&stage=purchase&window=1y`, 'window'],
      [`/funnel/stages/customers?${PERIOD}&stage=purchase&mode=any-order`, 'mode'],
      [`/funnel/stages/customers?${PERIOD}&stage=purchase&breakdown=type`, 'breakdown'],
      [`/funnel/stages/customers?${PERIOD}&stage=discovery&fromStage=consideration`, 'stage'],
      [`/funnel/stages/customers?${PERIOD}&stage=purchase&toStage=selection`, 'stage'],
      [`/funnel/stages/customers?${PERIOD}&stage=selection&fromStage=selection&outcome=dropped`, 'stage'],
      [`/funnel/stages/customers?${PERIOD}&stage=selection&fromStage=use&toStage=consideration`, 'toStage'],
      [`/funnel/stages/customers?${PERIOD}&stage=purchase&country=${long}`, 'country.0'],
      ['/customers/ann/timeline', 'customer'],
      ['/customers/u%3Aann/timeline?limit=-5', 'limit'],
      ['/customers/u%3Aann/timeline?before=yesterday', 'before'],
      [`/customers/u%3Aann/timeline?before=${Buffer.from('{"at":1}').toString('base64url')}`, 'before'],
      [`/customers/u%3Aann/timeline?before=${Buffer.from('[1.5,"m"]').toString('base64url')}`, 'before'],
      [`/customers/u%3Aann/timeline?before=${long}`, 'before'],
    ];
    for (const [path, field] of cases) {
      const r = await get(path);
      expect(r.status, path.slice(0, 200)).toBe(400);
      expect(r.body.code).toBe('INVALID_REQUEST');
      expect(
        (r.body.errors as { field: string }[]).map((e) => e.field),
        path.slice(0, 200),
      ).toContain(field);
    }
    // A key longer than any stored one is refused by name; a path segment too long for the router (longer
    // than 7,200 characters: a 600-character key fully percent-encoded) never reaches a route: 414.
    const tooLongKey = await get(`/customers/a%3A${long}/timeline`);
    expect([tooLongKey.status, (tooLongKey.body.errors as { field: string }[])[0]?.field]).toEqual([
      400,
      'customer',
    ]);
    const tooLongPath = await get(`/customers/a%3A${'x'.repeat(8_000)}/timeline`);
    expect([tooLongPath.status, tooLongPath.body.code]).toEqual([414, 'URI_TOO_LONG']);
    // Text that looks like SQL is only ever a parameter value.
    const injection = await get<{ customers: { customer: string }[] }>(
      `/funnel/stages/customers?from=${iso(T - 4 * DAY)}&to=${iso(T + DAY)}&stage=discovery&after=${encodeURIComponent("a:' OR 1=1 --")}`,
    );
    expect(injection.status).toBe(200);
    expect(injection.body.customers.map((c) => c.customer)).toEqual(['a:bob', 'a:cy', 'a:dee', 'u:ann']);
    expect((await get("/customers/u%3A'%3B%20DROP%20TABLE%20touchpoints%3B--/timeline")).status).toBe(404);
  });

  it("never shows one project's customers to another project's key, and knows no strangers", async () => {
    for (const path of [
      `/flow/stages?${PERIOD}`,
      `/bottlenecks?${PERIOD}`,
      `/funnel/stages/customers?${PERIOD}&stage=purchase`,
      '/customers/u%3Aann/timeline',
    ]) {
      const r = await queryApi(stack.queryUrl, project, 'GET', path, { apiKey: otherProject.apiKey });
      expect([r.status, r.body.code], path).toEqual([403, 'FORBIDDEN']);
    }
    const stranger = await get('/customers/u%3Aann/timeline', otherProject);
    expect([stranger.status, stranger.body.code]).toEqual([404, 'NOT_FOUND']);
    const empty = await get<FlowAnswer>(`/flow/stages?${PERIOD}`, otherProject);
    expect([empty.body.customers, empty.body.links]).toEqual([0, []]);
  });
});
