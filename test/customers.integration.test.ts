import { seededRandom } from '@waymark/cli';
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
 * A synthetic population whose customer types, RFM scores and segments and value tiers are computed here,
 * from the generated events, by a direct reading of docs/customers.md, then sent through the whole
 * pipeline (collector → Kafka → processor → ClickHouse → query API) and compared customer by customer.
 */

const stack = usePipeline();
let project: TestProject;
const DAY = 86_400_000;
const NOW = Date.now();
// Event ages (days) at least a day away from every threshold the tests use (30, 50, 90, 365 days), so the
// seconds between generating and asking move nobody across one.
const AGES = [0.3, 2, 6, 12, 20, 27, 33, 40, 45, 60, 75, 85, 95, 130, 200, 300, 350, 380, 500];
const GENDERS = ['female', 'male', 'nonbinary'];
const INTERESTS = ['outdoors', 'cooking', 'tech', 'travel'];

interface Model {
  complainingWithinDays: number;
  advocateWithinDays: number;
  lostAfterDays: number;
  loyalMinOrders: number;
  loyalOrdersWithinDays: number;
  loyalActiveWithinDays: number;
  atRiskAfterDays: number;
}
const DEFAULTS: Model = {
  complainingWithinDays: 30,
  advocateWithinDays: 90,
  lostAfterDays: 90,
  loyalMinOrders: 3,
  loyalOrdersWithinDays: 365,
  loyalActiveWithinDays: 90,
  atRiskAfterDays: 30,
};

interface Person {
  key: string;
  events: Record<string, unknown>[];
  seen: number[];
  orders: { at: number; revenue: number }[];
  complaints: number[];
  advocacy: number[];
  /** Times of the touchpoints the default ruleset stages, by stage. */
  staged: { at: number; stage: number }[];
  gender?: string;
  interests: string[];
}

function generate(count: number, seed: number): Person[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const at = () => NOW - pick(AGES) * DAY - Math.floor(random() * 3_600_000);
  let message = 0;
  return Array.from({ length: count }, (_, i) => {
    const anonymousId = `anon-${i}`;
    const userId = random() < 0.6 ? `user-${i}` : undefined;
    const person: Person = {
      key: userId ? `u:${userId}` : `a:${anonymousId}`,
      events: [],
      seen: [],
      orders: [],
      complaints: [],
      advocacy: [],
      staged: [],
      interests: [],
    };
    const send = (time: number, event: Record<string, unknown>, ids = { anonymousId, userId }) => {
      person.seen.push(time);
      person.events.push({ ...ids, ...event, messageId: `m${seed}-${message++}`, timestamp: new Date(time) });
    };
    for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
      const time = at();
      person.staged.push({ at: time, stage: 2 });
      send(time, { type: 'track', event: 'Product Viewed' }, { anonymousId, userId: undefined });
    }
    if (userId) {
      person.gender = pick(GENDERS);
      person.interests = INTERESTS.filter(() => random() < 0.4);
      const traits = {
        gender: person.gender,
        age: 18 + Math.floor(random() * 50),
        interests: person.interests,
      };
      send(at(), { type: 'identify', traits });
      if (random() < 0.2) {
        // A second device, browsing anonymously, then identified: one customer.
        const phone = { anonymousId: `phone-${i}`, userId: undefined };
        send(at(), { type: 'page', context: { page: { path: '/' } } }, phone);
        send(at(), { type: 'identify', traits }, { ...phone, userId });
      }
    }
    const orderCount = pick([0, 0, 0, 1, 1, 2, 3, 4, 6]);
    for (let n = 0; n < orderCount; n++) {
      const time = at();
      const revenue = 5 + Math.floor(random() * 500);
      person.orders.push({ at: time, revenue });
      person.staged.push({ at: time, stage: 5 });
      send(time, { type: 'track', event: 'Order Completed', properties: { revenue } });
    }
    if (random() < 0.1) {
      const time = at();
      person.complaints.push(time);
      send(time, { type: 'track', event: 'Complaint Submitted' });
    }
    if (random() < 0.12) {
      const time = at();
      person.advocacy.push(time);
      person.staged.push({ at: time, stage: 7 });
      send(time, { type: 'track', event: 'Product Reviewed', properties: { rating: 5 } });
    }
    return person;
  });
}

interface Expected {
  type: string;
  atRisk: boolean;
  orders: number;
  revenue: number;
  rfm: { recency: number; frequency: number; monetary: number; segment: string } | null;
  tier: string | null;
}

function rfmName(r: number, f: number): string {
  if (r === 5 && f >= 4) return 'champions';
  if ((r === 3 || r === 4) && f >= 4) return 'loyal';
  if (r >= 4 && (f === 2 || f === 3)) return 'potential_loyalist';
  if (r === 5 && f === 1) return 'new';
  if (r === 4 && f === 1) return 'promising';
  if (r === 3 && f === 3) return 'need_attention';
  if (r === 3) return 'about_to_sleep';
  if (f === 5) return 'cant_lose';
  if (f >= 3) return 'at_risk';
  return 'hibernating';
}

function expectations(people: readonly Person[], model: Model, tiers = { a: 0.8, b: 0.95 }) {
  const within = (time: number | undefined, days: number) => time !== undefined && time >= NOW - days * DAY;
  const lastOrder = (p: Person) => Math.max(...p.orders.map((o) => o.at));
  const revenue = (p: Person) => p.orders.reduce((sum, o) => sum + o.revenue, 0);
  const purchasers = people.filter((p) => p.orders.length > 0);
  // 1 + floor(5 × (purchasers with a strictly smaller value) / purchasers).
  const quintile = (value: (p: Person) => number, p: Person) =>
    1 + Math.floor((5 * purchasers.filter((q) => value(q) < value(p)).length) / purchasers.length);
  const byRevenue = [...purchasers].sort((x, y) => revenue(y) - revenue(x) || (x.key < y.key ? -1 : 1));
  const total = byRevenue.reduce((sum, p) => sum + revenue(p), 0);
  const tierOf = new Map<string, string>();
  let before = 0;
  for (const p of byRevenue) {
    tierOf.set(p.key, before < tiers.a * total ? 'A' : before < tiers.b * total ? 'B' : 'C');
    before += revenue(p);
  }
  const result = new Map<string, Expected>();
  for (const p of people) {
    const lastSeen = Math.max(...p.seen);
    const orders = p.orders.length;
    const recentOrders = p.orders.filter((o) => within(o.at, model.loyalOrdersWithinDays)).length;
    let type = 'potential';
    if (within(Math.max(...p.complaints), model.complainingWithinDays)) type = 'complaining';
    else if (within(Math.max(...p.advocacy), model.advocateWithinDays)) type = 'advocate';
    else if (orders > 0 && !within(lastSeen, model.lostAfterDays)) type = 'lost';
    else if (recentOrders >= model.loyalMinOrders && within(lastSeen, model.loyalActiveWithinDays))
      type = 'loyal';
    else if (orders >= 2) type = 'casual';
    else if (orders === 1) type = 'new';
    const r = orders > 0 ? quintile(lastOrder, p) : 0;
    const f = orders > 0 ? quintile((q) => q.orders.length, p) : 0;
    result.set(p.key, {
      type,
      atRisk: orders > 0 && !within(lastSeen, model.atRiskAfterDays) && within(lastSeen, model.lostAfterDays),
      orders,
      revenue: revenue(p),
      rfm:
        orders > 0
          ? { recency: r, frequency: f, monetary: quintile(revenue, p), segment: rfmName(r, f) }
          : null,
      tier: tierOf.get(p.key) ?? null,
    });
  }
  return result;
}

interface ProfileAnswer {
  customer: string;
  type: string;
  atRisk: boolean;
  purchases: { orders: number; revenue: number };
  rfm: Expected['rfm'];
  tier: string | null;
}

async function allCustomers(): Promise<Map<string, Expected>> {
  const found = new Map<string, Expected>();
  let after = '';
  for (;;) {
    const page = await queryApi<{ customers: ProfileAnswer[]; next: string | null }>(
      stack.queryUrl,
      project,
      'GET',
      `/customers?limit=100${after && `&after=${encodeURIComponent(after)}`}`,
    );
    expect(page.status).toBe(200);
    for (const c of page.body.customers) {
      found.set(c.customer, {
        type: c.type,
        atRisk: c.atRisk,
        orders: c.purchases.orders,
        revenue: c.purchases.revenue,
        rfm: c.rfm,
        tier: c.tier,
      });
    }
    if (page.body.next === null) return found;
    after = page.body.next;
  }
}

const counts = (values: Iterable<string>) => {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
};

const people = generate(240, 7);

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse);
  const events = people.flatMap((p) => p.events);
  // Shuffled so a customer's events arrive out of order and across batches.
  const random = seededRandom(11);
  events.sort(() => random() - 0.5);
  for (let i = 0; i < events.length; i += 400) {
    const answer = await postBatch(stack.collectorUrl, project.writeKey, { batch: events.slice(i, i + 400) });
    expect(answer.status).toBe(200);
    expect(answer.body.rejected).toEqual([]);
  }
  await eventually(async () => expect((await allCustomers()).size).toBe(people.length), {
    timeoutMs: 60_000,
  });
});

describe('customer profiles, types, RFM and value tiers', () => {
  it('classifies every customer of a synthetic population exactly', async () => {
    const expected = expectations(people, DEFAULTS);
    // Every type and tier occurs, so no branch of the definitions goes untested.
    expect(new Set([...expected.values()].map((e) => e.type)).size).toBe(7);
    expect(new Set([...expected.values()].map((e) => e.tier))).toEqual(new Set(['A', 'B', 'C', null]));
    expect(Object.fromEntries(await allCustomers())).toEqual(Object.fromEntries(expected));
  });

  it('counts segments by any dimension', async () => {
    const expected = [...expectations(people, DEFAULTS).values()];
    const segments = async (dimension: string) => {
      const r = await queryApi<{ segments: { value: string; customers: number; revenue: number }[] }>(
        stack.queryUrl,
        project,
        'GET',
        `/segments?dimension=${dimension}`,
      );
      expect(r.status).toBe(200);
      return Object.fromEntries(r.body.segments.map((s) => [s.value, s.customers]));
    };
    expect(await segments('type')).toEqual(counts(expected.map((e) => e.type)));
    expect(await segments('tier')).toEqual(counts(expected.map((e) => e.tier ?? '')));
    expect(await segments('rfm_segment')).toEqual(counts(expected.map((e) => e.rfm?.segment ?? '')));
    expect(await segments('rfm_score')).toEqual(
      counts(expected.map((e) => (e.rfm ? `R${e.rfm.recency} F${e.rfm.frequency}` : ''))),
    );
    expect(await segments('gender')).toEqual(counts(people.map((p) => p.gender ?? '')));
    expect(await segments('trait:gender')).toEqual(counts(people.map((p) => p.gender ?? '')));
    expect(await segments('interest')).toEqual(
      counts(people.flatMap((p) => (p.interests.length === 0 ? [''] : p.interests))),
    );
  });

  it('serves one profile merged across devices, with its sessions and traits', async () => {
    const twoDevices = people.find((p) => p.events.some((e) => String(e.anonymousId).startsWith('phone-')));
    expect(twoDevices).toBeDefined();
    const person = twoDevices as Person;
    const r = await queryApi<Record<string, unknown>>(
      stack.queryUrl,
      project,
      'GET',
      `/customers/${encodeURIComponent(person.key)}`,
    );
    expect(r.status).toBe(200);
    const i = person.key.slice('u:user-'.length);
    expect(r.body).toMatchObject({
      customer: person.key,
      userId: `user-${i}`,
      anonymousIds: [`anon-${i}`, `phone-${i}`],
      touchpoints: person.events.length,
      firstSeenAt: new Date(Math.min(...person.seen)).toISOString(),
      lastSeenAt: new Date(Math.max(...person.seen)).toISOString(),
      demographics: { gender: person.gender },
      interests: person.interests,
    });
    expect(r.body.sessions).toBeGreaterThanOrEqual(2);
    // Any raw key finds the customer; an unknown one is a 404 problem.
    const byDevice = await queryApi(
      stack.queryUrl,
      project,
      'GET',
      `/customers/${encodeURIComponent(`a:phone-${i}`)}`,
    );
    expect(byDevice.body.customer).toBe(person.key);
    const unknown = await queryApi(stack.queryUrl, project, 'GET', '/customers/u%3Anobody');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('filters the customer list by type, tier and at risk', async () => {
    const expected = expectations(people, DEFAULTS);
    const keys = async (query: string) => {
      const r = await queryApi<{ customers: { customer: string }[] }>(
        stack.queryUrl,
        project,
        'GET',
        `/customers?limit=1000&${query}`,
      );
      expect(r.status).toBe(200);
      return r.body.customers.map((c) => c.customer);
    };
    const where = (test: (e: Expected) => boolean) =>
      [...expected]
        .filter(([, e]) => test(e))
        .map(([key]) => key)
        .sort();
    expect(await keys('type=loyal')).toEqual(where((e) => e.type === 'loyal'));
    expect(await keys('tier=A')).toEqual(where((e) => e.tier === 'A'));
    expect(await keys('atRisk=true')).toEqual(where((e) => e.atRisk));
    expect(await keys('rfmSegment=champions')).toEqual(where((e) => e.rfm?.segment === 'champions'));
  });

  it('breaks the stage funnel down by customer type', async () => {
    const from = new Date(NOW - 600 * DAY).toISOString();
    const to = new Date(NOW + DAY).toISOString();
    const r = await queryApi<{
      stages: { customers: number }[];
      breakdown: { dimension: string; segments: { value: string; stages: { customers: number }[] }[] };
    }>(stack.queryUrl, project, 'GET', `/funnel/stages?from=${from}&to=${to}&window=100d&breakdown=type`);
    expect(r.status).toBe(200);
    expect(r.body.breakdown.dimension).toBe('type');
    // Every staged customer is in exactly one type, so the segments add up to the whole funnel per stage.
    for (let k = 0; k < 7; k++) {
      const sum = r.body.breakdown.segments.reduce((n, s) => n + (s.stages[k]?.customers ?? 0), 0);
      expect(sum).toBe(r.body.stages[k]?.customers);
    }
    // Reached mode: purchase counts a customer whose first touchpoint at stage ≥ 5 came at most 100 days
    // after its first staged touchpoint.
    const expected = expectations(people, DEFAULTS);
    const reachedPurchase = (p: Person) => {
      const entry = Math.min(...p.staged.map((s) => s.at));
      const purchase = Math.min(...p.staged.filter((s) => s.stage >= 5).map((s) => s.at));
      return purchase - entry <= 100 * DAY;
    };
    const expectedPurchase: Record<string, number> = {};
    for (const p of people) {
      const type = expected.get(p.key)?.type ?? '';
      expectedPurchase[type] = (expectedPurchase[type] ?? 0) + (reachedPurchase(p) ? 1 : 0);
    }
    const purchase = Object.fromEntries(
      r.body.breakdown.segments.map((s) => [s.value, s.stages[4]?.customers]),
    );
    expect(purchase).toEqual(expectedPurchase);
  });

  it('reclassifies with a project-specific model, refusing invalid ones', async () => {
    const put = (body: unknown) => queryApi(stack.queryUrl, project, 'PUT', '/customer-model', { body });
    const fieldsOf = async (model: unknown) => {
      const r = await put({ version: 2, model });
      expect(r.status).toBe(400);
      return (r.body.errors as { field: string }[]).map((e) => e.field);
    };
    expect(await fieldsOf({ tiers: { a: 0.9, b: 0.5 } })).toEqual(['model.tiers']);
    expect(await fieldsOf({ lostAfterDays: 20 })).toEqual(['model.atRiskAfterDays']);
    expect(await fieldsOf({ shoeSize: 44, lostAfterDays: -1 })).toEqual(
      expect.arrayContaining(['model', 'model.lostAfterDays']),
    );
    expect((await put({ version: 3, model: {} })).status).toBe(409);
    expect((await put('{"version": 2, ')).status).toBe(400);

    const saved = await put({ version: 2, model: { lostAfterDays: 50, tiers: { a: 0.5, b: 0.9 } } });
    expect(saved.status).toBe(200);
    expect((await queryApi(stack.queryUrl, project, 'GET', '/customer-model')).body).toMatchObject({
      version: 2,
      source: 'project',
      model: { lostAfterDays: 50, complainingWithinDays: 30, tiers: { a: 0.5, b: 0.9 } },
    });
    const expected = expectations(people, { ...DEFAULTS, lostAfterDays: 50 }, { a: 0.5, b: 0.9 });
    expect(Object.fromEntries(await allCustomers())).toEqual(Object.fromEntries(expected));
  });

  it('refuses unknown dimensions and filters with the offending field', async () => {
    for (const [path, field] of [
      ['/segments?dimension=shoe_size', 'dimension'],
      ['/segments?dimension=trait:a%20b', 'dimension'],
      ['/customers?type=vip', 'type'],
      ['/customers?limit=100000', 'limit'],
      ['/customers?atRisk=maybe', 'atRisk'],
      [`/funnel/stages?from=2026-01-01&to=2026-02-01&breakdown=${'x'.repeat(5000)}`, 'breakdown'],
    ] as const) {
      const r = await queryApi(stack.queryUrl, project, 'GET', path);
      expect(r.status, path).toBe(400);
      expect(
        (r.body.errors as { field: string }[]).map((e) => e.field),
        path,
      ).toContain(field);
    }
  });
});
