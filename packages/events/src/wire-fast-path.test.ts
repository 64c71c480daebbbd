import { describe, expect, it } from 'vitest';
import { seededRandom } from './fixtures/seeded-random.ts';
import { WireEvent } from './wire.ts';
import { fastWireEvent } from './wire-fast-path.ts';

const random = seededRandom(15);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const chance = (p: number) => random() < p;

// Around every limit of the schema: 64, 128, 256, 512, 1024, 2048, 4096 and one past each.
const LENGTHS = [0, 1, 64, 65, 128, 129, 256, 257, 512, 513, 1024, 1025, 2048, 2049, 4096, 4097];
const HOSTILE: readonly unknown[] = [
  null,
  true,
  0,
  -0,
  1.5,
  -1,
  '',
  '\ud800',
  'a\udc00b',
  [],
  ['x'],
  {},
  JSON.parse('{"__proto__":{"polluted":1}}'),
];
const text = () => 'x'.repeat(chance(0.8) ? Math.floor(random() * 20) : pick(LENGTHS));
const id = () =>
  pick<unknown>(['anon-1', 'user-7', 'anon-2', 42, 'é'.repeat(256), 'x'.repeat(257), '\ud83d\ude00 ok']);
const time = () =>
  pick<unknown>([
    '2026-11-30T10:00:00.123Z',
    '2026-11-30T10:00:00Z',
    '2026-11-30T10:00:00.123456+05:30',
    '2026-11-30T10:00:00+02:00',
    1_764_000_000_123,
    '2026-11-30T10:00:00',
    '2026-02-30T10:00:00Z',
    '2026-11-30',
    'yesterday',
    1_764_000_000_000,
    0,
    Number.MAX_SAFE_INTEGER + 2,
  ]);
const value = (valid: () => unknown) => (chance(0.95) ? valid() : pick(HOSTILE));
const object = (fields: Record<string, () => unknown>) => {
  const out: Record<string, unknown> = {};
  for (const [key, make] of Object.entries(fields)) if (chance(0.5)) out[key] = value(make);
  if (chance(0.3)) out[pick(['extra', 'zeta', 'écran', '1'])] = pick<unknown>(['kept', 3, { deep: [1] }]);
  return out;
};
const properties = () =>
  object({
    revenue: () => pick<unknown>([19.99, '19.99', 1e16, '-1e16', 'abc', Number.MAX_VALUE]),
    total: () => pick<unknown>([5, '1e15', 1e15 + 2]),
    product_id: () => 'sku-1',
    nested: () => ({ list: [1, 2], when: '2026-01-01' }),
  });
const context = () =>
  object({
    page: () =>
      object({ url: text, path: text, referrer: text, title: text, search: text, hash: () => '#top' }),
    campaign: () => object({ source: text, medium: text, name: text, term: text, content: text }),
    userAgent: text,
    ip: () => pick(['203.0.113.7', '2001:db8::1', 'x'.repeat(65)]),
    locale: text,
    timezone: text,
    sessionId: () => pick<unknown>([1_764_000_000, 's-1', 'x'.repeat(257)]),
    library: () => object({ name: text, version: text }),
    screen: () => object({ width: () => 1280 }),
    os: () => ({ name: 'Linux' }),
  });
const TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'];
const event = () => ({
  type: chance(0.95) ? pick(TYPES) : pick<unknown>(['Track', 'constructor', 7]),
  ...object({
    event: () => pick<unknown>(['Order Completed', '', 'x'.repeat(512), 'x'.repeat(513), '\ud800']),
    name: text,
    category: text,
    messageId: id,
    anonymousId: id,
    userId: id,
    groupId: id,
    previousId: id,
    timestamp: time,
    originalTimestamp: time,
    sentAt: time,
    context,
    properties,
    traits: () => ({ email: 'a@example.com' }),
    integrations: () => ({ All: true }),
  }),
});

describe('fastWireEvent', () => {
  it('returns exactly what WireEvent.parse returns, or leaves the event to zod (10,000 generated events)', {
    timeout: 60_000,
  }, () => {
    let valid = 0;
    let fast = 0;
    for (let i = 0; i < 10_000; i++) {
      const candidate = event();
      const parsed = WireEvent.safeParse(candidate);
      const result = fastWireEvent(candidate);
      if (!parsed.success) {
        expect(result, JSON.stringify(candidate)).toBeUndefined();
        continue;
      }
      valid++;
      // Only an own `__proto__` key is left to zod although zod accepts it.
      if (result === undefined) {
        expect(JSON.stringify(candidate)).toContain('"__proto__"');
        continue;
      }
      fast++;
      expect(result).toStrictEqual(parsed.data);
      // The same key order: the collector stores context, properties and traits as JSON text.
      expect(JSON.stringify(result)).toBe(JSON.stringify(parsed.data));
    }
    // The generator reaches both sides often enough for the property to mean something.
    expect(valid).toBeGreaterThan(500);
    expect(fast).toBeGreaterThan(valid * 0.5);
  });

  it('takes the events real senders send', () => {
    const events = [
      {
        type: 'track',
        event: 'Order Completed',
        anonymousId: 'a-1',
        messageId: 'm-1',
        timestamp: '2026-11-30T10:00:00.123Z',
        properties: { revenue: 59.9, currency: 'EUR', products: [{ sku: 'x' }] },
        context: {
          page: { url: 'https://shop.example/thanks', path: '/thanks', referrer: '' },
          campaign: { source: 'newsletter' },
          library: { name: 'analytics.js', version: 'next-1.70.0' },
          userAgent: 'Mozilla/5.0',
          locale: 'de-DE',
        },
      },
      {
        type: 'page',
        name: 'Pricing',
        anonymousId: 'a-1',
        context: { page: { url: 'https://shop.example/p' } },
      },
      { type: 'identify', userId: 42, traits: { email: 'a@example.com' } },
      { type: 'alias', userId: 'u-1', previousId: 'a-1' },
      { type: 'group', userId: 'u-1', groupId: 'g-1', traits: { name: 'ACME' } },
      { type: 'screen', name: 'Home', anonymousId: 'a-2', sentAt: 1_764_000_000_000 },
    ];
    for (const candidate of events) {
      expect(fastWireEvent(candidate)).toStrictEqual(WireEvent.parse(candidate));
    }
  });

  it('leaves to zod what zod refuses', () => {
    for (const candidate of [
      null,
      [],
      { type: 'track', event: 'x' },
      { type: 'track', event: 'x', anonymousId: '\ud800' },
      { type: 'track', event: 'x', anonymousId: 'a', properties: { revenue: '2e15' } },
      { type: 'alias', userId: 'u' },
      { type: 'hasOwnProperty', anonymousId: 'a' },
      { type: 'page', anonymousId: 'a', context: { page: null } },
    ]) {
      expect(WireEvent.safeParse(candidate).success).toBe(false);
      expect(fastWireEvent(candidate)).toBeUndefined();
    }
  });
});
