import { encodeTouchpoint, encodeTouchpoints, type Touchpoint, touchpointOf } from '@waymark/events';
import { compileRuleset, DEFAULT_STAGE_RULESET } from '@waymark/journey';
import { describe, expect, it } from 'vitest';
import { processRecords } from './process-records.ts';
import { identityLinks, revenueOf } from './rows.ts';

const compiled = compileRuleset(DEFAULT_STAGE_RULESET);
const ruleset = () => compiled;
let offset = 0;

function touchpoint(over: Partial<Touchpoint>): Touchpoint {
  return touchpointOf({
    messageId: `m${offset}`,
    projectId: 'p',
    type: 'track',
    anonymousId: 'a1',
    timestamp: 1_700_000_000_000,
    receivedAt: 1_700_000_000_100,
    ...over,
  });
}

const record = (value: Buffer | null) => ({ offset: String(offset++), key: null, value });

describe('processRecords', () => {
  it('stages, keys and prices touchpoints', () => {
    const out = processRecords(
      [
        record(encodeTouchpoint(touchpoint({ messageId: 'view', event: 'Product Viewed' }))),
        record(
          encodeTouchpoint(
            touchpoint({
              messageId: 'order',
              event: 'Order Completed',
              userId: 'u1',
              properties: '{"total":"42.5","currency":"eur"}',
            }),
          ),
        ),
      ],
      ruleset,
      1_700_000_001_000,
    );
    expect(
      out.touchpoints.map((t) => [t.touchpoint.messageId, t.stage, t.rawKey, t.revenue, t.currency]),
    ).toEqual([
      ['view', 2, 'a:a1', 0, ''],
      ['order', 5, 'u:u1', 42.5, 'EUR'],
    ]);
    expect(out.touchpoints[0]?.rulesetVersion).toBe(DEFAULT_STAGE_RULESET.version);
    expect(out.deadLetters).toEqual([]);
  });

  it('sends what it cannot decode to dead letters with a reason and keeps the rest', () => {
    const out = processRecords(
      [
        record(Buffer.from('not avro')),
        record(null),
        record(Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9])),
        record(encodeTouchpoint(touchpoint({ messageId: 'fine', event: 'Signed Up' }))),
      ],
      ruleset,
      0,
    );
    expect(out.deadLetters.map((l) => l.reason)).toEqual(['bad-magic', 'empty-value', 'unknown-fingerprint']);
    expect(out.touchpoints.map((t) => t.touchpoint.messageId)).toEqual(['fine']);
  });

  it('drops a messageId seen earlier in the same batch and counts it', () => {
    const same = encodeTouchpoint(touchpoint({ messageId: 'same', event: 'Product Viewed' }));
    const out = processRecords([record(same), record(same)], ruleset, 0);
    expect(out.touchpoints).toHaveLength(1);
    expect(out.duplicates).toBe(1);
  });

  it('reads one-touchpoint and batch records side by side, and refuses a broken batch whole', () => {
    const batch = encodeTouchpoints([
      touchpoint({ messageId: 'b1', event: 'Product Viewed' }),
      touchpoint({ messageId: 'b2', event: 'Order Completed', properties: '{"revenue":12.5}' }),
    ]);
    const broken = encodeTouchpoints([
      touchpoint({ messageId: 'lost' }),
      touchpoint({ messageId: 'lost-2' }),
    ]);
    const records = [
      record(encodeTouchpoint(touchpoint({ messageId: 'old', event: 'Signed Up' }))),
      record(batch),
      record(broken.subarray(0, broken.length - 3)),
      record(encodeTouchpoints([touchpoint({ messageId: 'b1' }), touchpoint({ messageId: 'b3' })])),
    ];
    const out = processRecords(records, ruleset, 0);
    expect(out.touchpoints.map((t) => t.touchpoint.messageId)).toEqual(['old', 'b1', 'b2', 'b3']);
    // Each row points at the record it came from, so a refused row dead-letters its own record.
    expect(out.sources.map((s) => s.offset)).toEqual([0, 1, 1, 3].map((i) => records[i]?.offset));
    expect(out.touchpoints[2]?.revenue).toBe(12.5);
    expect(out.deadLetters.map((l) => [l.record.offset, l.reason])).toEqual([
      [records[2]?.offset, 'truncated'],
    ]);
    expect(out.duplicates).toBe(1);
  });

  it('flags complaints', () => {
    const out = processRecords(
      [record(encodeTouchpoint(touchpoint({ event: 'Product Reviewed', properties: '{"rating":1}' })))],
      ruleset,
      0,
    );
    expect(out.touchpoints[0]).toMatchObject({ stage: 0, complaint: true });
  });
});

describe('identityLinks', () => {
  it('links the anonymous id of an identify to the user', () => {
    expect(identityLinks(touchpoint({ type: 'identify', anonymousId: 'a9', userId: 'u9' }))).toMatchObject([
      { aliasKey: 'a:a9', customerKey: 'u:u9' },
    ]);
  });
  it('links both possible keys of an alias previousId', () => {
    const links = identityLinks(
      touchpoint({ type: 'alias', anonymousId: null, userId: 'new', previousId: 'old' }),
    );
    expect(links.map((l) => [l.aliasKey, l.customerKey])).toEqual([
      ['a:old', 'u:new'],
      ['u:old', 'u:new'],
    ]);
  });
  it('links nothing for other events or without a user id', () => {
    expect(identityLinks(touchpoint({ type: 'track', userId: 'u', anonymousId: 'a' }))).toEqual([]);
    expect(identityLinks(touchpoint({ type: 'identify', userId: null }))).toEqual([]);
  });
});

describe('revenueOf', () => {
  it('reads revenue, else an order total, and ignores non-numbers', () => {
    expect(
      revenueOf(touchpoint({ event: 'Subscription Started', properties: '{"revenue":19.99}' })).revenue,
    ).toBe(19.99);
    expect(revenueOf(touchpoint({ event: 'Product Added', properties: '{"total":5}' })).revenue).toBe(0);
    expect(
      revenueOf(touchpoint({ event: 'Order Completed', properties: '{"revenue":"lots"}' })).revenue,
    ).toBe(0);
    expect(
      revenueOf(touchpoint({ event: 'Order Completed', properties: '{"revenue": broken' })).revenue,
    ).toBe(0);
    expect(revenueOf(touchpoint({ type: 'page', properties: '{"revenue":10}' })).revenue).toBe(0);
  });
});

describe('processRecords with per-project rulesets', () => {
  it('stages each touchpoint with its own project’s ruleset and records that version', () => {
    const b2b = compileRuleset({
      version: 4,
      rules: [{ stage: 3, match: { type: ['track'], event: ['Quote Requested'] } }],
      complaintRules: [],
    });
    const out = processRecords(
      [
        record(
          encodeTouchpoint(touchpoint({ messageId: 'shop', projectId: 'shop', event: 'Quote Requested' })),
        ),
        record(
          encodeTouchpoint(touchpoint({ messageId: 'b2b', projectId: 'b2b', event: 'Quote Requested' })),
        ),
      ],
      (projectId) => (projectId === 'b2b' ? b2b : compiled),
      0,
    );
    expect(out.touchpoints.map((t) => [t.touchpoint.messageId, t.stage, t.rulesetVersion])).toEqual([
      ['shop', 0, 1],
      ['b2b', 3, 4],
    ]);
  });
});
