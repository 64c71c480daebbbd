import { readFileSync } from 'node:fs';
import type { Touchpoint } from '@waymark/events';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STAGE_RULESET } from './default-stage-ruleset.ts';
import { classifyTouchpoint, compileRuleset } from './stage-rules.ts';
import { type StageName, stageIndex } from './stages.ts';
import { pageView, touchpoint, track } from './touchpoint.fixture.ts';

const compiled = compileRuleset(DEFAULT_STAGE_RULESET);
const classify = (tp: Touchpoint) => classifyTouchpoint(compiled, tp);
const stageOf = (tp: Touchpoint) => classify(tp).stage;
const at = (name: StageName) => stageIndex(name);

const SHOP = 'https://shop.example.com';
const product = { product_id: '507f1d', sku: 'G-32', name: 'Trail Shoe', price: 89.9, currency: 'EUR' };

describe('the default ruleset file', () => {
  it('is valid, versioned and lists its stage rules highest stage first', () => {
    expect(DEFAULT_STAGE_RULESET.version).toBe(1);
    const stages = DEFAULT_STAGE_RULESET.rules.map((rule) => rule.stage);
    expect(stages).toEqual([...stages].sort((a, b) => b - a));
    expect(new Set(stages)).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]));
  });

  it('is frozen, so no caller can change the default for everyone', () => {
    expect(Object.isFrozen(DEFAULT_STAGE_RULESET)).toBe(true);
    expect(Object.isFrozen(DEFAULT_STAGE_RULESET.rules[0]?.match.event)).toBe(true);
  });

  it('is the JSON shipped in schemas/', () => {
    const url = new URL('../../../schemas/stage-rules.default.json', import.meta.url);
    const json = JSON.parse(readFileSync(url, 'utf8')) as { rules: unknown[]; complaintRules: unknown[] };
    expect(json.rules).toHaveLength(DEFAULT_STAGE_RULESET.rules.length);
    expect(json.complaintRules).toHaveLength(DEFAULT_STAGE_RULESET.complaintRules.length);
  });
});

describe('7 advocacy', () => {
  it('is a review with rating ≥ 4', () => {
    expect(stageOf(track('Product Reviewed', { ...product, review_id: 'r1', rating: 5 }))).toBe(
      at('advocacy'),
    );
    expect(stageOf(track('Product Reviewed', { ...product, review_id: 'r2', rating: 4 }))).toBe(
      at('advocacy'),
    );
    expect(stageOf(track('Product Reviewed', { ...product, review_id: 'r3', rating: '4.5' }))).toBe(
      at('advocacy'),
    );
  });

  it('is not a review with rating 3, nor one without a rating', () => {
    expect(classify(track('Product Reviewed', { ...product, rating: 3 }))).toEqual({
      stage: 0,
      complaint: false,
    });
    expect(classify(track('Product Reviewed', { ...product, review_body: 'ok' }))).toEqual({
      stage: 0,
      complaint: false,
    });
  });

  it.each(['Product Shared', 'Cart Shared', 'Referral Sent', 'Invite Sent'])('is %s', (event) => {
    expect(stageOf(track(event, { share_via: 'email', recipient: 'friend@example.com' }))).toBe(
      at('advocacy'),
    );
  });

  it.each(['NPS Submitted', 'Survey Submitted'])('is %s with score ≥ 9', (event) => {
    expect(stageOf(track(event, { score: 9 }))).toBe(at('advocacy'));
    expect(stageOf(track(event, { score: 10, comment: 'love it' }))).toBe(at('advocacy'));
    expect(classify(track(event, { score: 8 }))).toEqual({ stage: 0, complaint: false });
    expect(classify(track(event, { score: 7 }))).toEqual({ stage: 0, complaint: false });
  });
});

describe('6 use', () => {
  it.each(['Product Used', 'Feature Used', 'Subscription Renewed', 'Order Delivered'])('is %s', (event) => {
    expect(stageOf(track(event, { order_id: 'o-1', feature: 'export' }))).toBe(at('use'));
  });
});

describe('5 purchase', () => {
  it('is Order Completed', () => {
    const order = { order_id: '50314b8e', total: 27.5, revenue: 25, shipping: 3, tax: 2, currency: 'USD' };
    expect(stageOf(track('Order Completed', { ...order, products: [product] }))).toBe(at('purchase'));
  });

  it('is Subscription Started', () => {
    expect(stageOf(track('Subscription Started', { plan: 'pro', interval: 'month' }))).toBe(at('purchase'));
  });
});

describe('4 selection', () => {
  it.each([
    'Product Added',
    'Cart Viewed',
    'Checkout Started',
    'Checkout Step Viewed',
    'Checkout Step Completed',
    'Payment Info Entered',
    'Coupon Applied',
    'Plan Selected',
  ])('is %s', (event) => {
    expect(stageOf(track(event, { cart_id: 'c-1', ...product, step: 2 }))).toBe(at('selection'));
  });
});

describe('3 evaluation', () => {
  it.each(['Product Added to Wishlist', 'Products Compared', 'Trial Started', 'Demo Requested'])(
    'is %s',
    (event) => {
      expect(stageOf(track(event, { wishlist_id: 'w-1', ...product }))).toBe(at('evaluation'));
    },
  );

  it.each([
    `${SHOP}/pricing`,
    `${SHOP}/pricing/`,
    `${SHOP}/pricing-enterprise`,
    `${SHOP}/Pricing`,
    `${SHOP}/compare`,
    `${SHOP}/compare/pro-vs-team`,
    `${SHOP}/reviews`,
    `${SHOP}/products/trail-shoe/reviews`,
    `${SHOP}/products/trail-shoe/reviews?page=2`,
  ])('is a page view of %s', (url) => {
    expect(stageOf(pageView(url))).toBe(at('evaluation'));
  });

  it('wins over consideration for a product review page: the higher stage comes first', () => {
    expect(stageOf(pageView(`${SHOP}/products/42/reviews`))).toBe(at('evaluation'));
  });

  it('wins over discovery for a pricing page reached from a campaign or another site', () => {
    const utm = `${SHOP}/pricing?utm_source=google&utm_medium=cpc&utm_campaign=brand`;
    expect(stageOf(pageView(utm, { campaign: { campaignSource: 'google', campaignMedium: 'cpc' } }))).toBe(
      at('evaluation'),
    );
    expect(stageOf(pageView(`${SHOP}/pricing`, { referrer: 'https://www.google.com/' }))).toBe(
      at('evaluation'),
    );
  });
});

describe('2 consideration', () => {
  it.each([
    'Product Viewed',
    'Product List Viewed',
    'Products Searched',
    'Product Clicked',
    'Promotion Clicked',
    'Signed Up',
  ])('is %s', (event) => {
    expect(stageOf(track(event, { ...product, query: 'shoes', promotion_id: 'summer' }))).toBe(
      at('consideration'),
    );
  });

  it.each([
    `${SHOP}/product`,
    `${SHOP}/product/42`,
    `${SHOP}/products/trail-shoe`,
    `${SHOP}/products/`,
    `${SHOP}/category`,
    `${SHOP}/category/shoes`,
    `${SHOP}/collections/summer`,
    `${SHOP}/search`,
    `${SHOP}/search?q=shoe`,
    `${SHOP}/blog/choosing-a-trail-shoe`,
  ])('is a page view of %s', (url) => {
    expect(stageOf(pageView(url))).toBe(at('consideration'));
  });

  it.each([`${SHOP}/collections`, `${SHOP}/blog`, `${SHOP}/about/products`])(
    'is not a page view of %s (the globs want a sub-page there, or start at the root)',
    (url) => {
      expect(stageOf(pageView(url))).toBe(0);
    },
  );
});

describe('1 discovery', () => {
  it.each(['Promotion Viewed', 'Ad Clicked'])('is %s', (event) => {
    expect(stageOf(track(event, { promotion_id: 'summer', creative: 'banner', position: 'top' }))).toBe(
      at('discovery'),
    );
  });

  it('is a page view that carries utm parameters', () => {
    const url = `${SHOP}/?utm_source=newsletter&utm_medium=email&utm_campaign=june`;
    const campaign = { campaignSource: 'newsletter', campaignMedium: 'email', campaignName: 'june' };
    expect(stageOf(pageView(url, { campaign }))).toBe(at('discovery'));
  });

  it('is a page view with only utm parameters in the URL (a server-side sender)', () => {
    expect(stageOf(pageView(`${SHOP}/about?utm_source=partner`))).toBe(at('discovery'));
  });

  it.each(['gclid', 'fbclid', 'msclkid'])('is a page view that carries %s', (param) => {
    expect(stageOf(pageView(`${SHOP}/?${param}=Cj0KCQjw`))).toBe(at('discovery'));
    expect(stageOf(pageView(`${SHOP}/`, { clickId: 'Cj0KCQjw' }))).toBe(at('discovery'));
  });

  it('is a page view with an external referrer', () => {
    expect(stageOf(pageView(`${SHOP}/`, { referrer: 'https://www.google.com/' }))).toBe(at('discovery'));
    expect(stageOf(pageView(`${SHOP}/about`, { referrer: 'https://news.ycombinator.com/item?id=1' }))).toBe(
      at('discovery'),
    );
  });

  it('is not a page view with an internal referrer and no campaign', () => {
    expect(stageOf(pageView(`${SHOP}/about`, { referrer: `${SHOP}/` }))).toBe(0);
    expect(stageOf(pageView(`${SHOP}/about`, { referrer: 'https://www.shop.example.com/cart' }))).toBe(0);
    expect(stageOf(pageView(`${SHOP}/about`))).toBe(0);
  });

  it('is not a track event that carries a campaign (only page views are)', () => {
    expect(
      stageOf(track('Button Clicked', {}, { campaignSource: 'google', pageReferrer: 'https://google.com/' })),
    ).toBe(0);
  });
});

describe('complaint signals', () => {
  it('is Complaint Submitted, without a stage', () => {
    expect(classify(track('Complaint Submitted', { reason: 'late delivery' }))).toEqual({
      stage: 0,
      complaint: true,
    });
  });

  it('is Support Ticket Opened with type = complaint, and not other tickets', () => {
    expect(classify(track('Support Ticket Opened', { ticket_id: 't-1', type: 'complaint' }))).toEqual({
      stage: 0,
      complaint: true,
    });
    expect(classify(track('Support Ticket Opened', { ticket_id: 't-2', type: 'question' }))).toEqual({
      stage: 0,
      complaint: false,
    });
  });

  it('is a review with rating ≤ 2', () => {
    expect(classify(track('Product Reviewed', { ...product, rating: 1 }))).toEqual({
      stage: 0,
      complaint: true,
    });
    expect(classify(track('Product Reviewed', { ...product, rating: 2 }))).toEqual({
      stage: 0,
      complaint: true,
    });
    expect(classify(track('Product Reviewed', { ...product, rating: 5 }))).toEqual({
      stage: at('advocacy'),
      complaint: false,
    });
  });

  it.each(['NPS Submitted', 'Survey Submitted'])('is %s with score ≤ 6', (event) => {
    expect(classify(track(event, { score: 6 }))).toEqual({ stage: 0, complaint: true });
    expect(classify(track(event, { score: 0 }))).toEqual({ stage: 0, complaint: true });
    expect(classify(track(event, { score: 9 }))).toEqual({ stage: at('advocacy'), complaint: false });
  });
});

describe('touchpoints the default ruleset does not stage', () => {
  it.each([
    ['an unknown track event', track('Button Clicked', { label: 'cta' })],
    [
      'an identify call',
      touchpoint({ type: 'identify', userId: 'u-1', traits: '{"email":"a@example.com"}' }),
    ],
    ['a screen view', touchpoint({ type: 'screen', name: 'Pricing' })],
    ['a group call', touchpoint({ type: 'group', groupId: 'g-1' })],
    ['an alias call', touchpoint({ type: 'alias', previousId: 'anon-1', userId: 'u-1' })],
    ['a home page view', pageView(`${SHOP}/`)],
    ['an event name in the wrong case', track('order completed')],
  ])('%s → 0', (_, tp) => {
    expect(classify(tp)).toEqual({ stage: 0, complaint: false });
  });
});
