import { randomUUID } from 'node:crypto';
import {
  erasureKeyHash,
  getErasure,
  hashApiKey,
  requestErasure,
  runErasure,
  unfinishedErasures,
} from '@waymark/clickhouse';
import { loadQueryEnv, startQuery } from '@waymark/query';
import { TEST_WEBHOOK_ENV, testLogger } from '@waymark/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  storedMessageIds,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';
import { DAY, HOUR, STAGE_EVENTS } from './support/population.ts';

/*
 * Customer erasure and export on the real stack (collector → Kafka → processor → ClickHouse → query API).
 * A small population is sent; the test knows from what it sent how many touchpoints, customers, orders and
 * how much revenue each person accounts for, and checks every table and several endpoints' figures before
 * and after erasing one customer (two devices linked by identify, a purchase, a rejected event).
 */

const stack = usePipeline({ QUERY_ERASURE_SETTLE: '1s' });
const NOW = Date.now();
const FROM = new Date(NOW - 20 * DAY).toISOString();
const TO = new Date(NOW + DAY).toISOString();

interface Person {
  userId: string;
  anonymousIds: string[];
  events: Record<string, unknown>[];
  revenue: number;
  orders: number;
}

/** Each person browses on each device, identifies there, and (some) orders. */
function person(
  name: string,
  devices: number,
  orderRevenue: number | undefined,
  startHoursAgo: number,
): Person {
  const userId = `user-${name}`;
  const anonymousIds = Array.from({ length: devices }, (_, d) => `anon-${name}-${d}`);
  let step = 0;
  // Ten minutes apart: one session per raw key.
  const next = () => new Date(NOW - startHoursAgo * HOUR + ++step * 10 * 60_000).toISOString();
  const events: Record<string, unknown>[] = [];
  for (const anonymousId of anonymousIds) {
    events.push({
      type: 'track',
      event: STAGE_EVENTS[3],
      anonymousId,
      messageId: randomUUID(),
      timestamp: next(),
    });
    events.push({
      type: 'identify',
      userId,
      anonymousId,
      traits: { email: `${name}@example.com` },
      messageId: randomUUID(),
      timestamp: next(),
    });
  }
  if (orderRevenue !== undefined) {
    events.push({
      type: 'track',
      event: STAGE_EVENTS[5],
      userId,
      anonymousId: anonymousIds[0],
      properties: { revenue: orderRevenue },
      messageId: randomUUID(),
      timestamp: next(),
    });
  }
  return {
    userId,
    anonymousIds,
    events,
    revenue: orderRevenue ?? 0,
    orders: orderRevenue === undefined ? 0 : 1,
  };
}

const keysOf = (p: Person) => [`u:${p.userId}`, ...p.anonymousIds.map((a) => `a:${a}`)];

let project: TestProject;
let other: TestProject;
const target = person('target', 2, 50, 100);
const crashed = person('crashed', 1, 30, 90);
const others = [1, 2, 3, 4, 5].map((i) => person(`other${i}`, 1, i % 2 === 0 ? 10 * i : undefined, 80 - i));
// Quotes, SQL, a newline, a backslash and characters outside ASCII in every id.
const hostile = person(`o'; DROP TABLE touchpoints; --\n"ü🙂\\`, 1, 20, 70);
const restarted = person('restarted', 1, 40, 85);
const everyone = [target, crashed, restarted, hostile, ...others];

/** Rows holding any of `keys`, table by table (exact before merges). */
async function countKeys(projectId: string, keys: readonly string[], ids: readonly string[]) {
  const count = async (sql: string, params: Record<string, unknown> = {}) => {
    const result = await stack.clickhouse.query({
      query: `SELECT count() AS n FROM ${sql}`,
      query_params: { projectId, keys, ...params },
      format: 'JSONEachRow',
    });
    return Number((await result.json<{ n: string }>())[0]?.n);
  };
  const byRawKey = 'project_id = {projectId:String} AND raw_key IN {keys:Array(String)}';
  return {
    touchpoints: await count(`touchpoints FINAL WHERE ${byRawKey}`),
    customer_profiles: await count(`customer_profiles WHERE ${byRawKey}`),
    kpi_activity: await count(`kpi_activity WHERE ${byRawKey}`),
    stage_reach: await count(`stage_reach WHERE ${byRawKey}`),
    identities: await count(
      'identities WHERE project_id = {projectId:String} AND (alias_key IN {keys:Array(String)} OR customer_key IN {keys:Array(String)})',
    ),
    stage_transitions: await count(
      `stage_transitions WHERE ${byRawKey} OR (project_id = {projectId:String} AND customer_key IN {keys:Array(String)})`,
    ),
    recent_rejections: await count(
      'recent_rejections WHERE project_id = {projectId:String} AND multiSearchAny(excerpt, {ids:Array(String)})',
      { ids },
    ),
    erasure_keys: await count(
      'erasure_keys WHERE project_id = {projectId:String} AND raw_key IN {keys:Array(String)}',
    ),
  };
}

const ZERO = {
  touchpoints: 0,
  customer_profiles: 0,
  kpi_activity: 0,
  stage_reach: 0,
  identities: 0,
  stage_transitions: 0,
  recent_rejections: 0,
  erasure_keys: 0,
};

interface Figures {
  customers: string[];
  segmentCustomers: number;
  funnelEntered: number;
  funnelPurchase: number;
  orders: number;
  revenue: number;
}

/** The figures of a few endpoints that count customers, orders and revenue. */
async function figures(): Promise<Figures> {
  const list = await queryApi<{ customers: { customer: string }[] }>(
    stack.queryUrl,
    project,
    'GET',
    '/customers?limit=1000',
  );
  const segments = await queryApi<{ segments: { customers: number }[] }>(
    stack.queryUrl,
    project,
    'GET',
    '/segments?dimension=type',
  );
  const funnel = await queryApi<{ entered: number; stages: { stage: string; customers: number }[] }>(
    stack.queryUrl,
    project,
    'GET',
    `/funnel/stages?from=${FROM}&to=${TO}`,
  );
  const kpis = await queryApi<{ periods: { kpis: { orders: number; revenue: number } }[] }>(
    stack.queryUrl,
    project,
    'GET',
    `/kpis?from=${FROM}&to=${TO}&interval=day`,
  );
  for (const answer of [list, segments, funnel, kpis]) expect(answer.status).toBe(200);
  return {
    customers: list.body.customers.map((c) => c.customer).sort(),
    segmentCustomers: segments.body.segments.reduce((sum, s) => sum + s.customers, 0),
    funnelEntered: funnel.body.entered,
    funnelPurchase: funnel.body.stages.find((s) => s.stage === 'purchase')?.customers ?? -1,
    orders: kpis.body.periods.reduce((sum, p) => sum + p.kpis.orders, 0),
    revenue: kpis.body.periods.reduce((sum, p) => sum + p.kpis.revenue, 0),
  };
}

/** What the figures must be for these people, computed from what was sent. */
function expectedFigures(people: readonly Person[]): Figures {
  return {
    customers: people.map((p) => `u:${p.userId}`).sort(),
    segmentCustomers: people.length,
    funnelEntered: people.length,
    funnelPurchase: people.filter((p) => p.orders > 0).length,
    orders: people.reduce((sum, p) => sum + p.orders, 0),
    revenue: people.reduce((sum, p) => sum + p.revenue, 0),
  };
}

interface ErasureBody {
  id: string;
  status: string;
  keyHash: string;
  requestedBy: string;
  stepsDone: string[];
  rawKeys: number;
}

const erase = (key: string, as: TestProject = project) =>
  queryApi<ErasureBody>(stack.queryUrl, as, 'DELETE', `/customers/${encodeURIComponent(key)}`);

const waitDone = (id: string) =>
  eventually(
    async () => {
      const { status, body } = await queryApi<ErasureBody>(stack.queryUrl, project, 'GET', `/erasures/${id}`);
      expect(status).toBe(200);
      expect(body.status).toBe('done');
      return body;
    },
    { timeoutMs: 60_000 },
  );

/** Touchpoints the processor dropped as suppressed so far (its Prometheus counter). */
async function suppressedSoFar(): Promise<number> {
  const text = await (await fetch(new URL('/metrics', stack.processorUrl))).text();
  return Number(/waymark_processor_records_total\{outcome="suppressed"\} (\d+)/.exec(text)?.[1] ?? 0);
}

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse, 'erasure');
  other = await createTestProject(stack.clickhouse, 'erasure-other');
  const events = everyone.flatMap((p) => p.events);
  // A track without an event name, naming the target: the collector refuses it and keeps its excerpt.
  const rejected = { type: 'track', userId: target.userId, messageId: randomUUID() };
  const answer = await postBatch(stack.collectorUrl, project.writeKey, { batch: [...events, rejected] });
  expect(answer.status).toBe(200);
  expect(answer.body.rejected).toHaveLength(1);
  await eventually(async () => {
    expect((await storedMessageIds(stack.clickhouse, project.projectId)).length).toBe(events.length);
    expect((await countKeys(project.projectId, keysOf(target), [target.userId])).recent_rejections).toBe(1);
  });
  // Every figure is in once the materialized views and the identity map have caught up.
  await eventually(async () => expect(await figures()).toEqual(expectedFigures(everyone)));
}, 120_000);

describe('customer export', () => {
  it('answers everything held about the customer, by customer key or any raw key', async () => {
    for (const key of [`u:${target.userId}`, `a:${target.anonymousIds[1]}`]) {
      const response = await fetch(
        new URL(
          `/v1/projects/${project.projectId}/customers/${encodeURIComponent(key)}/export`,
          stack.queryUrl,
        ),
        { headers: { authorization: `Bearer ${project.apiKey}` } },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      const body = (await response.json()) as Record<string, unknown[]> & {
        customer: string;
        profile: unknown;
      };
      expect(body.customer).toBe(`u:${target.userId}`);
      expect(body.rawKeys).toEqual([...keysOf(target)].sort());
      expect(body.touchpoints).toHaveLength(target.events.length);
      expect((body.touchpoints as { message_id: string }[]).map((t) => t.message_id).sort()).toEqual(
        target.events.map((e) => e.messageId).sort(),
      );
      expect(body.identities).toHaveLength(target.anonymousIds.length);
      expect(body.profile).toMatchObject({
        customer: `u:${target.userId}`,
        purchases: { orders: 1, revenue: 50 },
      });
      // One session per device: each device's touchpoints are 10 minutes apart, the devices' apart by key.
      expect(body.sessions).toHaveLength(target.anonymousIds.length + 1);
      expect(body.stageReach?.length).toBeGreaterThan(0);
      expect(body.stageTransitions?.length).toBeGreaterThan(0);
    }
  });

  it('pages through a long history (2,500 touchpoints: three pages of touchpoints)', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => ({
      type: 'track',
      event: 'Page Scrolled',
      anonymousId: 'long-history',
      messageId: `long-${String(i).padStart(5, '0')}`,
      timestamp: new Date(NOW - 30 * DAY + i * 1000).toISOString(),
    }));
    for (let i = 0; i < many.length; i += 500) {
      const batch = many.slice(i, i + 500);
      expect((await postBatch(stack.collectorUrl, other.writeKey, { batch })).status).toBe(200);
    }
    const body = await eventually(async () => {
      const answer = await queryApi<{ touchpoints: { message_id: string }[] }>(
        stack.queryUrl,
        other,
        'GET',
        '/customers/a%3Along-history/export',
      );
      expect(answer.body.touchpoints).toHaveLength(many.length);
      return answer.body;
    });
    expect(body.touchpoints.map((t) => t.message_id)).toEqual(many.map((e) => e.messageId));
  });

  it('answers empty lists for a key nothing is held about', async () => {
    const { status, body } = await queryApi(stack.queryUrl, project, 'GET', '/customers/u%3Anobody/export');
    expect(status).toBe(200);
    expect(body).toEqual({
      customer: 'u:nobody',
      rawKeys: ['u:nobody'],
      profile: null,
      identities: [],
      touchpoints: [],
      sessions: [],
      stageReach: [],
      stageTransitions: [],
    });
  });
});

describe('customer erasure', () => {
  it('erases the customer and every linked key from every table and every figure, and keeps it erased', async () => {
    const keys = keysOf(target);
    const before = await countKeys(project.projectId, keys, [target.userId]);
    expect(before.touchpoints).toBe(target.events.length);
    expect(before.identities).toBe(target.anonymousIds.length);
    for (const table of [
      'customer_profiles',
      'kpi_activity',
      'stage_reach',
      'stage_transitions',
      'recent_rejections',
    ] as const) {
      expect(before[table], table).toBeGreaterThan(0);
    }
    const othersBefore = await countKeys(project.projectId, others.flatMap(keysOf), []);

    // Erased by one of its anonymous keys: the whole customer goes.
    const requested = await erase(`a:${target.anonymousIds[0]}`);
    expect(requested.status).toBe(202);
    expect(requested.body).toMatchObject({ status: 'pending', rawKeys: keys.length, stepsDone: [] });
    // Audit record: who (the API key's id), which key (its hash), never the key in clear.
    expect(requested.body.keyHash).toBe(erasureKeyHash(project.projectId, `a:${target.anonymousIds[0]}`));
    expect(requested.body.requestedBy).toBe(hashApiKey(project.apiKey).slice(0, 16));
    expect(JSON.stringify(requested.body)).not.toContain('target');

    // Events for the customer still in flight while (and after) the erasure runs: each is dropped, or stored
    // before the suppression and then deleted.
    const order = (anonymousId: string | undefined) => ({
      type: 'track',
      event: STAGE_EVENTS[5],
      userId: target.userId,
      anonymousId,
      properties: { revenue: 999 },
      messageId: randomUUID(),
    });
    const suppressedBefore = await suppressedSoFar();
    const during = await postBatch(stack.collectorUrl, project.writeKey, {
      batch: [order(target.anonymousIds[0])],
    });
    expect(during.status).toBe(200);
    const done = await waitDone(requested.body.id);
    expect(done.stepsDone).toEqual([
      'suppress',
      'recent_rejections',
      'stage_transitions',
      'stage_reach',
      'customer_profiles',
      'kpi_activity',
      'touchpoints',
      'identities',
      'forget_keys',
    ]);
    // After it: an order on each erased device (the first on the partition of the event sent during the
    // erasure, so that one was handled before), an identify of a new device with the erased user id.
    const after = [
      ...target.anonymousIds.map(order),
      { type: 'identify', userId: target.userId, anonymousId: 'new-device', messageId: randomUUID() },
    ];
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch: after })).status).toBe(200);
    await eventually(async () =>
      expect(await suppressedSoFar()).toBeGreaterThanOrEqual(suppressedBefore + after.length),
    );

    expect(await countKeys(project.projectId, [...keys, 'a:new-device'], [target.userId])).toEqual(ZERO);
    // What is kept about the erasure names no key in clear.
    for (const table of ['erasures', 'erasure_suppressions', 'erasure_keys']) {
      const result = await stack.clickhouse.query({
        query: `SELECT * FROM ${table} WHERE project_id = {projectId:String}`,
        query_params: { projectId: project.projectId },
        format: 'JSONEachRow',
      });
      expect(JSON.stringify(await result.json()), table).not.toContain('target');
    }
    expect(await countKeys(project.projectId, others.flatMap(keysOf), [])).toEqual(othersBefore);
    expect(await figures()).toEqual(expectedFigures(everyone.filter((p) => p !== target)));
    const profile = await queryApi(stack.queryUrl, project, 'GET', `/customers/u%3A${target.userId}`);
    expect(profile.status).toBe(404);

    // Idempotent: the same key answers the same erasure; the export holds nothing.
    const again = await erase(`a:${target.anonymousIds[0]}`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: requested.body.id, status: 'done' });
    const exported = await queryApi<{ touchpoints: unknown[]; identities: unknown[] }>(
      stack.queryUrl,
      project,
      'GET',
      `/customers/u%3A${target.userId}/export`,
    );
    expect([exported.body.touchpoints, exported.body.identities]).toEqual([[], []]);
  }, 120_000);

  it('finishes an erasure that crashed between tables', async () => {
    const keys = keysOf(crashed);
    const crash = new Error('injected crash after stage_reach');
    const started = await requestErasure(stack.clickhouse, {
      projectId: project.projectId,
      key: `u:${crashed.userId}`,
      requestedBy: 'test',
    });
    await expect(
      runErasure(stack.clickhouse, started, {
        settleMs: 0,
        afterStep: (step) => {
          if (step === 'stage_reach') throw crash;
        },
      }),
    ).rejects.toBe(crash);

    const halfway = await getErasure(stack.clickhouse, project.projectId, started.erasureId);
    expect(halfway).toMatchObject({
      status: 'running',
      stepsDone: ['suppress', 'recent_rejections', 'stage_transitions', 'stage_reach'],
    });
    const partly = await countKeys(project.projectId, keys, []);
    expect(partly).toMatchObject({
      stage_reach: 0,
      stage_transitions: 0,
      touchpoints: crashed.events.length,
    });
    expect((await unfinishedErasures(stack.clickhouse)).map((e) => e.erasureId)).toContain(started.erasureId);

    // Asking again answers the same erasure and the query service finishes it.
    const again = await erase(`u:${crashed.userId}`);
    expect(again.body).toMatchObject({ id: started.erasureId, status: 'running' });
    await waitDone(started.erasureId);
    expect(await countKeys(project.projectId, keys, [])).toEqual(ZERO);
    const rest = everyone.filter((p) => p !== target && p !== crashed);
    expect(await figures()).toEqual(expectedFigures(rest));
  }, 120_000);

  it('finishes, in a query service started after the crash, an erasure the crash left half done', async () => {
    const crash = new Error('injected crash after customer_profiles');
    const started = await requestErasure(stack.clickhouse, {
      projectId: project.projectId,
      key: `a:${restarted.anonymousIds[0]}`,
      requestedBy: 'test',
    });
    const halfDone = runErasure(stack.clickhouse, started, {
      settleMs: 0,
      afterStep: (step) => {
        if (step === 'customer_profiles') throw crash;
      },
    });
    await expect(halfDone).rejects.toBe(crash);
    expect(await countKeys(project.projectId, keysOf(restarted), [])).toMatchObject({
      customer_profiles: 0,
      touchpoints: restarted.events.length,
    });

    const query = await startQuery({
      env: loadQueryEnv({ ...TEST_WEBHOOK_ENV, QUERY_PORT: '0', LOG_LEVEL: 'warn' }),
      logger: testLogger('restarted-query'),
      clickhouse: stack.clickhouse,
    });
    try {
      await waitDone(started.erasureId);
    } finally {
      await query.close();
    }
    expect(await countKeys(project.projectId, keysOf(restarted), [])).toEqual(ZERO);
  }, 120_000);

  it('erases a customer whose ids hold quotes, SQL, newlines and emoji', async () => {
    const requested = await erase(`u:${hostile.userId}`);
    expect(requested.status).toBe(202);
    await waitDone(requested.body.id);
    expect(await countKeys(project.projectId, keysOf(hostile), [hostile.userId])).toEqual(ZERO);
    expect(await figures()).toEqual(expectedFigures(others));
  });

  it('refuses hostile keys and ids with 400 naming the field, and other projects with 403', async () => {
    const cases: [string, string, string][] = [
      ['DELETE', '/customers/nokind', 'customer'],
      ['DELETE', `/customers/u%3A${'x'.repeat(601)}`, 'customer'],
      ['DELETE', `/customers/${encodeURIComponent('\u0000u:x')}`, 'customer'],
      ['GET', '/customers/%27%3B%20DROP%20TABLE%20touchpoints/export', 'customer'],
      ['GET', '/erasures/1%20OR%201%3D1', 'erasureId'],
      ['GET', `/erasures/er_${'0'.repeat(24)}_${'9'.repeat(7)}`, 'erasureId'],
    ];
    for (const [method, path, field] of cases) {
      const { status, body } = await queryApi<{ code: string; errors: { field: string }[] }>(
        stack.queryUrl,
        project,
        method,
        path,
      );
      expect([path, status, body.code]).toEqual([path, 400, 'INVALID_REQUEST']);
      expect(body.errors.map((e) => e.field)).toContain(field);
    }
    const unknown = await queryApi(stack.queryUrl, project, 'GET', `/erasures/er_${'0'.repeat(24)}_1`);
    expect(unknown.status).toBe(404);
    const foreign = await queryApi(stack.queryUrl, project, 'DELETE', '/customers/u%3Aother5', {
      apiKey: other.apiKey,
    });
    expect(foreign.status).toBe(403);
  });
});
