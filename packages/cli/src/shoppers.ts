/**
 * A synthetic but realistic stream of shoppers walking the seven-stage journey, as Segment-spec events.
 * Deterministic for a seed, and it knows the furthest stage it planned for each shopper, so callers can
 * check the stage funnel against numbers computed without ClickHouse (tests, `waymark demo`, benchmarks).
 */

export interface ShopperEvent {
  type: 'page' | 'track' | 'identify';
  messageId: string;
  anonymousId: string;
  userId?: string;
  event?: string;
  name?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  timestamp: string;
  context: Record<string, unknown>;
}

export interface Shopper {
  anonymousId: string;
  userId: string | undefined;
  /** Furthest stage (1–7) this shopper's touchpoints reach under the default ruleset. */
  furthestStage: number;
  /** The stage each event is meant to get under the default ruleset (0 = none), with its time in ms. */
  plan: Array<{ messageId: string; stage: number; at: number }>;
  events: ShopperEvent[];
}

export interface ShopperOptions {
  customers: number;
  seed?: number;
  /** Entry times are spread over [start, start + spreadMs). */
  start: Date;
  spreadMs?: number;
  /** Prefix for ids so several runs in one project do not collide. */
  idPrefix?: string;
}

/** A seeded random number generator (mulberry32): tiny, fast, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
];
const CAMPAIGNS = [
  { source: 'google', medium: 'cpc', name: 'winter-sale' },
  { source: 'newsletter', medium: 'email', name: 'weekly' },
  { source: 'facebook', medium: 'paid_social', name: 'retargeting' },
];
const REFERRERS = [
  'https://www.google.com/',
  'https://news.ycombinator.com/',
  'https://www.reddit.com/r/deals/',
];
const PRODUCTS = ['trail-shoe', 'rain-jacket', 'wool-socks', 'headlamp', 'daypack'];
const SITE = 'https://shop.example.com';

/** Probability of going on from stage k to k+1 (index k−1), a typical e-commerce shape. */
const CONTINUE = [0.8, 0.6, 0.7, 0.55, 0.75, 0.4];

export function generateShoppers(options: ShopperOptions): Shopper[] {
  const next = seededRandom(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const spread = options.spreadMs ?? 60 * 60 * 1000;
  const prefix = options.idPrefix ?? 'demo';
  const shoppers: Shopper[] = [];
  let messageSeq = 0;

  for (let i = 0; i < options.customers; i++) {
    const anonymousId = `${prefix}-anon-${i}`;
    const userId = `${prefix}-user-${i}`;
    const userAgent = pick(USER_AGENTS);
    let at = options.start.getTime() + Math.floor(next() * spread);
    const events: ShopperEvent[] = [];
    let identified = false;
    const product = pick(PRODUCTS);
    const base = (path: string, extra: Record<string, unknown> = {}) => ({
      userAgent,
      locale: 'en-US',
      timezone: 'Europe/Berlin',
      library: { name: 'waymark-demo', version: '1' },
      page: { url: `${SITE}${path}`, path, title: path, referrer: '' },
      ...extra,
    });
    const plan: Shopper['plan'] = [];
    const push = (
      event: Omit<ShopperEvent, 'messageId' | 'anonymousId' | 'timestamp'>,
      plannedStage: number,
    ) => {
      at += 30_000 + Math.floor(next() * 10 * 60_000);
      const messageId = `${prefix}-msg-${messageSeq++}`;
      plan.push({ messageId, stage: plannedStage, at });
      events.push({
        ...event,
        messageId,
        anonymousId,
        ...(identified ? { userId } : {}),
        timestamp: new Date(at).toISOString(),
      });
    };

    // Stage 1: arrive from a campaign or an external referrer; a quarter arrive straight on a product page.
    let stage = 1;
    const entry = next();
    if (entry < 0.45) {
      const c = pick(CAMPAIGNS);
      push(
        {
          type: 'page',
          name: 'Home',
          context: base('/', {
            campaign: c,
            page: {
              url: `${SITE}/?utm_source=${c.source}&utm_medium=${c.medium}&utm_campaign=${c.name}`,
              path: '/',
              title: 'Home',
              referrer: '',
              search: `?utm_source=${c.source}&utm_medium=${c.medium}&utm_campaign=${c.name}`,
            },
          }),
        },
        1,
      );
    } else if (entry < 0.75) {
      push(
        {
          type: 'page',
          name: 'Home',
          context: base('/', {
            page: { url: `${SITE}/`, path: '/', title: 'Home', referrer: pick(REFERRERS) },
          }),
        },
        1,
      );
    } else {
      // Direct to a product page: the first staged touchpoint is consideration (stage skipping).
      stage = 2;
      push({ type: 'page', name: 'Product', context: base(`/products/${product}`) }, 2);
    }

    const advance = () => next() < (CONTINUE[stage - 1] ?? 0);
    const steps: Array<() => void> = [
      // → 2 consideration
      () =>
        push(
          {
            type: 'track',
            event: 'Product Viewed',
            properties: { product_id: product, price: 89 },
            context: base(`/products/${product}`),
          },
          2,
        ),
      // → 3 evaluation
      () => push({ type: 'page', name: 'Pricing', context: base('/pricing') }, 3),
      // → 4 selection
      () => {
        push(
          {
            type: 'track',
            event: 'Product Added',
            properties: { product_id: product, price: 89, quantity: 1 },
            context: base('/cart'),
          },
          4,
        );
        push(
          {
            type: 'track',
            event: 'Checkout Started',
            properties: { value: 89 },
            context: base('/checkout'),
          },
          4,
        );
      },
      // → 5 purchase: shoppers identify at checkout; their anonymous history becomes theirs.
      () => {
        identified = true;
        push(
          {
            type: 'identify',
            traits: { email: `${userId}@example.com`, plan: 'basic' },
            context: base('/checkout'),
          },
          0,
        );
        push(
          {
            type: 'track',
            event: 'Order Completed',
            properties: { order_id: `${prefix}-order-${i}`, revenue: 89, currency: 'EUR' },
            context: base('/checkout/done'),
          },
          5,
        );
      },
      // → 6 use
      () =>
        push(
          {
            type: 'track',
            event: 'Order Delivered',
            properties: { order_id: `${prefix}-order-${i}` },
            context: base('/account'),
          },
          6,
        ),
      // → 7 advocacy
      () =>
        push(
          {
            type: 'track',
            event: 'Product Reviewed',
            properties: { product_id: product, rating: 5 },
            context: base(`/products/${product}/reviews`),
          },
          7,
        ),
    ];
    while (stage < 7 && advance()) {
      steps[stage - 1]?.();
      stage++;
    }
    // Some come back to read the blog: a repeat, lower-stage touchpoint that must not change the funnel.
    if (stage >= 2 && next() < 0.3)
      push({ type: 'page', name: 'Blog', context: base('/blog/packing-list') }, 2);
    shoppers.push({
      anonymousId,
      userId: identified ? userId : undefined,
      furthestStage: stage,
      events,
      plan,
    });
  }
  return shoppers;
}

/** n_k = shoppers whose furthest stage is ≥ k, for k = 1..7. */
export function expectedReached(shoppers: readonly Shopper[]): number[] {
  return [1, 2, 3, 4, 5, 6, 7].map((k) => shoppers.filter((s) => s.furthestStage >= k).length);
}
