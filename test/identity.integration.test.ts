import { fetchStageFunnel } from '@waymark/cli';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';

const stack = usePipeline();
let project: TestProject;
const T0 = Date.now() - 2 * 60 * 60 * 1000;
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const range = { from: new Date(T0 - 60_000), to: new Date(T0 + 3 * 60 * 60 * 1000) };

beforeEach(async () => {
  project = await createTestProject(stack.clickhouse);
});

const funnel = () => fetchStageFunnel(stack.queryUrl, project.projectId, project.apiKey, range);

async function sessions(): Promise<
  Array<{ customer: string; identified: boolean; entryPage: string | null }>
> {
  const url = new URL(`/v1/projects/${project.projectId}/sessions`, stack.queryUrl);
  url.searchParams.set('from', range.from.toISOString());
  url.searchParams.set('to', range.to.toISOString());
  url.searchParams.set('limit', '100');
  const response = await fetch(url, { headers: { authorization: `Bearer ${project.apiKey}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { sessions: Awaited<ReturnType<typeof sessions>> }).sessions;
}

async function send(batch: unknown[]): Promise<void> {
  expect((await postBatch(stack.collectorUrl, project.writeKey, { batch })).status).toBe(200);
}

/** Anonymous browsing on one device, up to evaluation. */
const browsing = [
  {
    type: 'page',
    anonymousId: 'x',
    messageId: 'x1',
    timestamp: at(0),
    context: { page: { url: 'https://shop.example/?utm_source=news&utm_medium=email' } },
  },
  { type: 'track', event: 'Product Viewed', anonymousId: 'x', messageId: 'x2', timestamp: at(5) },
  {
    type: 'page',
    anonymousId: 'x',
    messageId: 'x3',
    timestamp: at(10),
    context: { page: { path: '/pricing' } },
  },
];
/** The shopper signs in as user A on that device and buys. */
const signedInAsA = [
  { type: 'identify', anonymousId: 'x', userId: 'A', messageId: 'a1', timestamp: at(20) },
  {
    type: 'track',
    event: 'Product Added',
    anonymousId: 'x',
    userId: 'A',
    messageId: 'a2',
    timestamp: at(25),
  },
  {
    type: 'track',
    event: 'Order Completed',
    anonymousId: 'x',
    userId: 'A',
    messageId: 'a3',
    timestamp: at(30),
    properties: { revenue: 30 },
  },
];
/**
 * The account moves to user id B (a server-side alias, so keyed by B, on another partition than the
 * device's events); B uses and reviews the product.
 */
const renamedToB = [
  { type: 'alias', previousId: 'A', userId: 'B', messageId: 'b1', timestamp: at(40) },
  { type: 'track', event: 'Product Used', userId: 'B', messageId: 'b2', timestamp: at(50) },
  {
    type: 'track',
    event: 'Product Reviewed',
    userId: 'B',
    messageId: 'b3',
    timestamp: at(60),
    properties: { rating: 5 },
  },
];

/** One customer, B, with the whole journey: the funnel and the sessions agree. */
async function expectOneCustomerB(): Promise<void> {
  await eventually(async () => {
    const stages = await funnel();
    expect(stages.map((x) => x.customers)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    // Times between stages run across the anonymous → A and the A → B boundaries of the one journey.
    expect(stages[3]?.medianSecondsFromPrevious).toBeCloseTo(15 * 60, -1);
    expect(stages[5]?.medianSecondsFromPrevious).toBeCloseTo(20 * 60, -1);
    const all = await sessions();
    expect(new Set(all.map((s) => `${s.customer}:${s.identified}`))).toEqual(new Set(['B:true']));
    // The anonymous visit from the campaign is B's too.
    expect(all.map((s) => s.entryPage)).toContain('/');
  });
}

describe('identity chains', () => {
  it('counts one customer when an identified user is later aliased to another user id', async () => {
    await send([...browsing, ...signedInAsA]);
    await eventually(async () =>
      expect((await funnel()).map((s) => s.customers)).toEqual([1, 1, 1, 1, 1, 0, 0]),
    );
    await send(renamedToB);
    await expectOneCustomerB();
  });

  it('counts one customer when the alias arrives before the anonymous id is identified as the old user id', async () => {
    await send(renamedToB);
    // Reached mode: B, entering at use, counts at every stage up to it.
    await eventually(async () =>
      expect((await funnel()).map((s) => s.customers)).toEqual([1, 1, 1, 1, 1, 1, 1]),
    );
    await send([...browsing, ...signedInAsA]);
    await expectOneCustomerB();
  });

  it('counts one customer when every call arrives at once, on different partitions', async () => {
    await send([...renamedToB, ...signedInAsA, ...browsing]);
    await expectOneCustomerB();
  });
});
