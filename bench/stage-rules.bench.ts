/**
 * Stage rules throughput: touchpoints/s through the default ruleset on one core, on a realistic mix of
 * e-commerce touchpoints, next to baselines measured in the same run on the same data.
 *
 *   pnpm exec tsx bench/stage-rules.bench.ts [--touchpoints 200000] [--rounds 9]
 */
import { parseArgs } from 'node:util';
import { seededRandom } from '@waymark/cli';
import type { Touchpoint } from '@waymark/events';
import { classifyTouchpoint, compileRuleset, DEFAULT_STAGE_RULESET, STAGES } from '@waymark/journey';

const { values: args } = parseArgs({
  options: {
    touchpoints: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '9' },
  },
});
const TOUCHPOINTS = Number(args.touchpoints);
const ROUNDS = Number(args.rounds);

// --- a seeded, realistic mix --------------------------------------------------------------------------

const random = seededRandom(20240601);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const SITE = 'https://shop.example.com';

function base(): Touchpoint {
  const now = 1_717_200_000_000 + Math.floor(random() * 86_400_000);
  return {
    messageId: `m-${Math.floor(random() * 1e12).toString(36)}`,
    projectId: 'p_demo',
    type: 'track',
    event: null,
    name: null,
    anonymousId: `a-${Math.floor(random() * 1e6)}`,
    userId: random() < 0.3 ? `u-${Math.floor(random() * 1e5)}` : null,
    previousId: null,
    groupId: null,
    timestamp: now,
    originalTimestamp: now,
    sentAt: now + 40,
    receivedAt: now + 90,
    sessionId: `s-${Math.floor(random() * 1e6)}`,
    pageUrl: `${SITE}/`,
    pagePath: '/',
    pageReferrer: null,
    pageTitle: 'Shop',
    pageSearch: null,
    campaignSource: null,
    campaignMedium: null,
    campaignName: null,
    campaignTerm: null,
    campaignContent: null,
    clickId: null,
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15',
    deviceType: 'desktop',
    os: 'macOS',
    browser: 'Safari',
    ip: '203.0.113.0',
    country: 'DE',
    region: 'BE',
    city: 'Berlin',
    locale: 'de-DE',
    timezone: 'Europe/Berlin',
    libraryName: 'analytics.js',
    libraryVersion: '5.2.0',
    properties: '{}',
    traits: '{}',
    context: '{}',
  };
}

const product = () => ({
  product_id: `sku-${Math.floor(random() * 5000)}`,
  name: pick(['Trail Shoe', 'Rain Jacket', 'Wool Socks', 'Day Pack']),
  category: pick(['shoes', 'jackets', 'accessories']),
  price: Math.round(random() * 20000) / 100,
  currency: 'EUR',
  quantity: 1 + Math.floor(random() * 3),
});

function pageView(): Touchpoint {
  const path = pick([
    '/',
    '/',
    '/about',
    '/cart',
    '/account/orders',
    '/pricing',
    '/compare/trail-vs-road',
    '/products/trail-shoe/reviews',
    '/products/trail-shoe',
    '/products/rain-jacket',
    '/category/shoes',
    '/collections/summer',
    '/search',
    '/blog/how-to-choose-a-trail-shoe',
  ]);
  const tp = { ...base(), type: 'page' as const, name: 'Page', pagePath: path, pageUrl: `${SITE}${path}` };
  const arrival = random();
  if (arrival < 0.15) {
    tp.campaignSource = pick(['google', 'newsletter', 'facebook']);
    tp.campaignMedium = pick(['cpc', 'email', 'social']);
    tp.campaignName = 'summer-sale';
    tp.pageSearch = `?utm_source=${tp.campaignSource}&utm_medium=${tp.campaignMedium}&utm_campaign=summer-sale`;
    tp.pageUrl += tp.pageSearch;
  } else if (arrival < 0.25) {
    tp.pageReferrer = pick([
      'https://www.google.com/',
      'https://duckduckgo.com/',
      'https://news.ycombinator.com/',
    ]);
  } else {
    tp.pageReferrer = `${SITE}/`;
  }
  tp.properties = JSON.stringify({
    path: tp.pagePath,
    url: tp.pageUrl,
    referrer: tp.pageReferrer,
    title: 'Shop',
  });
  return tp;
}

function track(event: string, properties: Record<string, unknown>): Touchpoint {
  return { ...base(), event, properties: JSON.stringify(properties) };
}

const productReviewed = () =>
  track('Product Reviewed', { product_id: 'sku-1', review_id: 'r1', rating: 1 + Math.floor(random() * 5) });

/** [weight, factory]: roughly the shape of a shop's traffic, page views first. */
const MIX: readonly [number, () => Touchpoint][] = [
  [45, pageView],
  [15, () => track('Product Viewed', product())],
  [5, () => track('Product List Viewed', { list_id: 'shoes', products: [product(), product(), product()] })],
  [3, () => track('Product Clicked', product())],
  [3, () => track('Products Searched', { query: 'trail shoe' })],
  [5, () => track('Product Added', { cart_id: 'c1', ...product() })],
  [3, () => track('Cart Viewed', { cart_id: 'c1', products: [product(), product()] })],
  [2, () => track('Checkout Started', { order_id: 'o1', value: 120, revenue: 100, currency: 'EUR' })],
  [2, () => track('Checkout Step Completed', { checkout_id: 'k1', step: 2, shipping_method: 'DHL' })],
  [1.5, () => track('Order Completed', { order_id: 'o1', total: 120, revenue: 100, products: [product()] })],
  [1, productReviewed],
  [0.5, () => track('NPS Submitted', { score: Math.floor(random() * 11) })],
  [0.3, () => track('Support Ticket Opened', { type: pick(['complaint', 'question']) })],
  [1, () => track('Promotion Viewed', { promotion_id: 'summer', creative: 'banner' })],
  [3, () => ({ ...base(), type: 'identify' as const, traits: '{"email":"a@example.com"}' })],
  [8, () => track(pick(['Button Clicked', 'Video Played', 'Newsletter Subscribed']), { label: 'cta' })],
  [2, () => ({ ...base(), type: 'screen' as const, name: 'Home', pagePath: null, pageUrl: null })],
];
const TOTAL_WEIGHT = MIX.reduce((sum, [weight]) => sum + weight, 0);

function touchpoint(): Touchpoint {
  let roll = random() * TOTAL_WEIGHT;
  for (const [weight, make] of MIX) {
    roll -= weight;
    if (roll < 0) return make();
  }
  return pageView();
}

const all = Array.from({ length: TOUCHPOINTS }, touchpoint);
const pageViews = all.filter((tp) => tp.type === 'page');
const reviews = Array.from({ length: 20_000 }, productReviewed);

// --- measurement ----------------------------------------------------------------------------------------

let sink = 0;

/** Median touchpoints/s over ROUNDS passes, after two warm-up passes. */
function measure(touchpoints: readonly Touchpoint[], work: (tp: Touchpoint) => number): number {
  const rates: number[] = [];
  for (let round = -2; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < touchpoints.length; i++) sink += work(touchpoints[i] as Touchpoint);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (round >= 0) rates.push(touchpoints.length / seconds);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] ?? 0;
}

const compileStarted = process.hrtime.bigint();
const compiled = compileRuleset(DEFAULT_STAGE_RULESET);
const compileMicros = Number(process.hrtime.bigint() - compileStarted) / 1e3;

const eventNames = new Set(DEFAULT_STAGE_RULESET.rules.flatMap((rule) => rule.match.event ?? []));
const bareLoop = (tp: Touchpoint) => (tp.event !== null && eventNames.has(tp.event) ? 1 : 0);
const parseEverything = (tp: Touchpoint) => (JSON.parse(tp.properties) === null ? 0 : 1);
const classify = (tp: Touchpoint) => {
  const result = classifyTouchpoint(compiled, tp);
  return result.complaint ? result.stage + 8 : result.stage;
};

const rows: [string, string, number][] = [
  ['baseline', 'bare loop: `event` → Set lookup', measure(all, bareLoop)],
  ['baseline', '`JSON.parse(properties)` of every touchpoint', measure(all, parseEverything)],
  ['classify', 'default ruleset, realistic mix', measure(all, classify)],
  ['classify', 'default ruleset, page views only', measure(pageViews, classify)],
  ['classify', 'default ruleset, `Product Reviewed` only (parses)', measure(reviews, classify)],
];
const bare = rows[0]?.[2] ?? 1;

const distribution = new Map<string, number>();
for (const tp of all) {
  const { stage, complaint } = classifyTouchpoint(compiled, tp);
  const key = `${stage === 0 ? 'none' : (STAGES[stage - 1]?.name ?? '?')}${complaint ? ' + complaint' : ''}`;
  distribution.set(key, (distribution.get(key) ?? 0) + 1);
}

const format = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`## Stage rules: ${format(TOUCHPOINTS)} touchpoints, median of ${ROUNDS} passes, one core\n`);
console.log(
  `Node ${process.version}, ${process.platform}/${process.arch}; compileRuleset: ${compileMicros.toFixed(0)} µs\n`,
);
console.log('| kind | workload | touchpoints/s | ns/touchpoint | vs bare loop |');
console.log('|---|---|---:|---:|---:|');
for (const [kind, workload, rate] of rows) {
  console.log(
    `| ${kind} | ${workload} | ${format(rate)} | ${(1e9 / rate).toFixed(0)} | ${(bare / rate).toFixed(1)}× |`,
  );
}
console.log('\n| stage in the mix | touchpoints |\n|---|---:|');
for (const [key, count] of [...distribution].sort((a, b) => b[1] - a[1]))
  console.log(`| ${key} | ${format(count)} |`);
if (sink === -1) console.log('');
