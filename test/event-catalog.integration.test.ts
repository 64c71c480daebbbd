import {
  hashApiKey,
  insertIdentityLinks,
  insertTouchpoints,
  type StoredTouchpoint,
  upsertProject,
} from '@waymark/clickhouse';
import { touchpointOf } from '@waymark/events';
import { rawKeyOf } from '@waymark/journey';
import { buildQueryApp, loadQueryEnv, webhooksFromEnv } from '@waymark/query';
import { openTestClickHouse, TEST_WEBHOOK_ENV, type TestClickHouse, testLogger } from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The event catalog routes on the real engine, against counts made here from the rows inserted: each
 * message id once (one is inserted twice, as a redelivery would), customers resolved through the links
 * inserted, touchpoints outside [from, to) and of the other project left out.
 */

let ch: TestClickHouse;
let app: ReturnType<typeof buildQueryApp>;
const PROJECT = 'catalog_a';
const OTHER = 'catalog_b';
const KEYS = { [PROJECT]: 'sk_catalog_a', [OTHER]: 'sk_catalog_b' };
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const FROM = '2026-01-01';
const TO = '2026-01-08';

interface Sent {
  readonly projectId: string;
  readonly messageId: string;
  readonly anonymousId: string;
  readonly userId?: string;
  readonly at: number;
  readonly type: 'track' | 'page';
  readonly event?: string;
  readonly properties: Record<string, unknown>;
}

const EVENTS = ['Product Viewed', 'Cart Updated', 'Checkout Started', 'Order Completed', 'product compared'];
const PLANS = ['free', 'pro', 'team', '4'];

/** A deterministic population: 30 visitors, a third of whom sign in as one of 6 users. */
function population(): Sent[] {
  const sent: Sent[] = [];
  let n = 0;
  for (let v = 0; v < 30; v++) {
    const userId = v % 3 === 0 ? `user-${v % 6}` : undefined;
    for (let i = 0; i < 1 + (v % 7); i++) {
      const k = v * 7 + i;
      const properties: Record<string, unknown> = { plan: PLANS[k % PLANS.length], qty: k % 3 };
      if (k % 4 === 0) properties.plan = 4; // the number 4, not the string "4"
      if (k % 5 === 0) properties.gift = k % 2 === 0;
      if (k % 6 === 0) properties.coupon = null;
      if (k % 8 === 0) properties.cart = { items: [1, 2] }; // not a scalar: a key, never a value
      if (k % 9 === 0) properties['bad key!'] = 1; // no funnel filter can name it
      sent.push({
        projectId: PROJECT,
        messageId: `m${n++}`,
        anonymousId: `visitor-${v}`,
        ...(userId !== undefined && i > 0 && { userId }),
        // Days -1 … 8: some before FROM, some on or after TO.
        at: T0 + ((k * 37) % 10) * DAY - DAY + k * 1000,
        type: k % 10 === 3 ? 'page' : 'track',
        ...(k % 10 !== 3 && { event: EVENTS[(k + v) % EVENTS.length] }),
        properties,
      });
    }
  }
  sent.push({ ...(sent[1] as Sent) }); // a redelivery: the same message id again
  sent.push({
    projectId: OTHER,
    messageId: 'other-1',
    anonymousId: 'stranger',
    at: T0 + DAY,
    type: 'track',
    event: 'Product Viewed',
    properties: { plan: 'free' },
  });
  return sent;
}

const SENT = population();

function stored(s: Sent): StoredTouchpoint {
  const touchpoint = touchpointOf({
    messageId: s.messageId,
    projectId: s.projectId,
    type: s.type,
    event: s.event ?? null,
    anonymousId: s.anonymousId,
    userId: s.userId ?? null,
    timestamp: s.at,
    receivedAt: s.at,
    properties: JSON.stringify(s.properties),
  });
  return {
    touchpoint,
    rawKey: rawKeyOf(touchpoint),
    stage: 0,
    complaint: false,
    revenue: 0,
    currency: '',
    rulesetVersion: 1,
    channel: '',
  };
}

/** The identity map: each signed-in visitor's anonymous key belongs to its user. */
const LINKS = new Map(
  SENT.filter((s) => s.userId !== undefined).map((s) => [`a:${s.anonymousId}`, `u:${s.userId}`]),
);

// ---- the reference ------------------------------------------------------------------------------------

/** The project's touchpoints in the range, each message id once. */
function inRange(event?: string): Sent[] {
  const byId = new Map<string, Sent>();
  for (const s of SENT) {
    if (s.projectId !== PROJECT || s.at < T0 || s.at >= T0 + 7 * DAY) continue;
    if (event !== undefined && s.event !== event) continue;
    byId.set(s.messageId, s);
  }
  return [...byId.values()];
}

const customerOf = (s: Sent) => {
  const raw = s.userId === undefined ? `a:${s.anonymousId}` : `u:${s.userId}`;
  return LINKS.get(raw) ?? raw;
};

/** Counts per item, most touchpoints first, then by the item's text, as the catalog orders them. */
function counted<T>(rows: readonly Sent[], itemsOf: (s: Sent) => T[], text: (item: T) => string) {
  const counts = new Map<string, { item: T; touchpoints: number; customers: Set<string> }>();
  for (const s of rows) {
    for (const item of itemsOf(s)) {
      const entry = counts.get(text(item)) ?? { item, touchpoints: 0, customers: new Set<string>() };
      entry.touchpoints += 1;
      entry.customers.add(customerOf(s));
      counts.set(text(item), entry);
    }
  }
  return [...counts]
    .sort(([a, x], [b, y]) => y.touchpoints - x.touchpoints || (a < b ? -1 : a > b ? 1 : 0))
    .map(([, e]) => ({ item: e.item, touchpoints: e.touchpoints, customers: e.customers.size }));
}

const KEY = /^[A-Za-z0-9_$][A-Za-z0-9_.$-]{0,99}$/;
const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
/** The engine's tag order: strings 's', numbers 'n', booleans 'b', null 'z', then the text. */
const tagOf = (v: unknown) =>
  v === null ? 'z' : typeof v === 'string' ? `s${v}` : typeof v === 'number' ? `n${v}` : `b${v ? 1 : 0}`;

// ---- the tests ----------------------------------------------------------------------------------------

beforeAll(async () => {
  ch = await openTestClickHouse();
  for (const [projectId, apiKey] of Object.entries(KEYS)) {
    await upsertProject(ch.client, {
      projectId,
      name: projectId,
      writeKey: `wk_${projectId}`,
      apiKeyHash: hashApiKey(apiKey),
      allowedOrigins: [],
    });
  }
  await insertTouchpoints(ch.client, SENT.map(stored));
  await insertIdentityLinks(
    ch.client,
    [...LINKS].map(([aliasKey, customerKey], i) => ({
      projectId: PROJECT,
      aliasKey,
      customerKey,
      linkedAt: T0,
      messageId: `link-${i}`,
    })),
  );
  const owners = Object.entries(KEYS).map(([projectId, key]) => ({ projectId, apiKeyHash: hashApiKey(key) }));
  app = buildQueryApp({
    logger: testLogger(),
    clickhouse: ch.client,
    webhooks: webhooksFromEnv(loadQueryEnv(TEST_WEBHOOK_ENV)),
    apiKeyOwners: () => owners,
  });
});

afterAll(async () => {
  await app?.close();
  await ch?.close();
});

const get = (path: string, apiKey: string = KEYS[PROJECT]) =>
  app.inject({
    method: 'GET',
    url: `/v1/projects/${PROJECT}${path}`,
    headers: { authorization: `Bearer ${apiKey}` },
  });

describe('the event catalog', () => {
  it('lists the event names seen in the range, most frequent first, with touchpoints and customers', async () => {
    const expected = counted(inRange(), (s) => (s.event ? [s.event] : []), String).map((e) => ({
      event: e.item,
      touchpoints: e.touchpoints,
      customers: e.customers,
    }));
    expect(expected.length).toBe(EVENTS.length);
    const all = await get(`/events?from=${FROM}&to=${TO}`);
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({
      from: `${FROM}T00:00:00.000Z`,
      to: `${TO}T00:00:00.000Z`,
      events: expected,
      truncated: false,
    });

    const two = await get(`/events?from=${FROM}&to=${TO}&limit=2`);
    expect(two.json()).toMatchObject({ events: expected.slice(0, 2), truncated: true });

    const product = await get(`/events?from=${FROM}&to=${TO}&prefix=PRODUCT`);
    expect(product.json().events).toEqual(
      expected.filter((e) => e.event.toLowerCase().startsWith('product')),
    );
  });

  it("lists an event's property keys, and all events' keys, only those a filter can name", async () => {
    for (const event of [undefined, 'Checkout Started']) {
      const rows = inRange(event);
      const expected = counted(rows, (s) => Object.keys(s.properties).filter((k) => KEY.test(k)), String).map(
        (e) => ({ property: e.item, touchpoints: e.touchpoints, customers: e.customers }),
      );
      const query = event === undefined ? '' : `&event=${encodeURIComponent(event)}`;
      const r = await get(`/events/properties?from=${FROM}&to=${TO}${query}`);
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ event: event ?? null, properties: expected, truncated: false });
      if (event === undefined) expect(expected.map((e) => e.property)).toContain('cart');
    }
  });

  it('lists a key\'s scalar values typed as stored, the string "4" apart from the number 4', async () => {
    for (const [property, event] of [
      ['plan', undefined],
      ['gift', undefined],
      ['coupon', undefined],
      ['plan', 'Product Viewed'],
    ] as const) {
      const expected = counted(
        inRange(event),
        (s) =>
          Object.hasOwn(s.properties, property) && isScalar(s.properties[property])
            ? [s.properties[property]]
            : [],
        tagOf,
      ).map((e) => ({ value: e.item, touchpoints: e.touchpoints, customers: e.customers }));
      expect(expected.length).toBeGreaterThan(0);
      const query = event === undefined ? '' : `&event=${encodeURIComponent(event)}`;
      const r = await get(`/events/properties/values?from=${FROM}&to=${TO}&property=${property}${query}`);
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ property, event: event ?? null, values: expected, truncated: false });
    }
    const plans = (await get(`/events/properties/values?from=${FROM}&to=${TO}&property=plan`)).json();
    expect(plans.values.map((v: { value: unknown }) => v.value)).toEqual(expect.arrayContaining(['4', 4]));
    const cart = (await get(`/events/properties/values?from=${FROM}&to=${TO}&property=cart`)).json();
    expect(cart.values).toEqual([]);
  });

  it('refuses malformed, oversized and hostile input with a 400 naming the field', async () => {
    const cases: Array<[string, string]> = [
      [`/events?from=${FROM}&to=${TO}&limit=0`, 'limit'],
      [`/events?from=${FROM}&to=${TO}&limit=1001`, 'limit'],
      [`/events?from=${FROM}&to=${TO}&limit=%3Cscript%3E`, 'limit'],
      [`/events?from=${FROM}&to=${TO}&prefix=${'x'.repeat(201)}`, 'prefix'],
      [`/events?from=yesterday&to=${TO}`, 'from'],
      [`/events?from=${TO}&to=${FROM}`, 'to'],
      [`/events/properties?from=${FROM}&to=${TO}&event=`, 'event'],
      [`/events/properties?from=${FROM}&to=${TO}&event=${'e'.repeat(201)}`, 'event'],
      [`/events/properties?from=${FROM}&to=${TO}&limit=501`, 'limit'],
      [`/events/properties/values?from=${FROM}&to=${TO}`, 'property'],
      [`/events/properties/values?from=${FROM}&to=${TO}&property=a'%20OR%201=1`, 'property'],
      [`/events/properties/values?from=${FROM}&to=${TO}&property=${'k'.repeat(101)}`, 'property'],
      [`/events/properties/values?from=${FROM}&to=${TO}&property=plan&limit=101`, 'limit'],
    ];
    for (const [path, field] of cases) {
      const r = await get(path);
      expect(r.statusCode, path).toBe(400);
      expect(r.headers['content-type'], path).toContain('application/problem+json');
      expect(
        r.json().errors.map((e: { field: string }) => e.field),
        path,
      ).toContain(field);
    }
    // Hostile text that is valid input is only ever a parameter: it finds nothing, it breaks nothing.
    const quoted = await get(`/events?from=${FROM}&to=${TO}&prefix=${encodeURIComponent("') OR 1=1 --")}`);
    expect(quoted.statusCode).toBe(200);
    expect(quoted.json().events).toEqual([]);
  });

  it("never answers another project's catalog", async () => {
    const r = await get(`/events?from=${FROM}&to=${TO}`, KEYS[OTHER]);
    expect(r.statusCode).toBe(403);
    const own = await app.inject({
      method: 'GET',
      url: `/v1/projects/${OTHER}/events?from=${FROM}&to=${TO}`,
      headers: { authorization: `Bearer ${KEYS[OTHER]}` },
    });
    expect(own.json().events).toEqual([{ event: 'Product Viewed', touchpoints: 1, customers: 1 }]);
  });
});
