import { describe, expect, it } from 'vitest';
import type { RequestFacts } from './enrichment.ts';
import { ingestEvents } from './ingest.ts';

const facts: RequestFacts = {
  projectId: 'p',
  receivedAt: 1_700_000_000_000,
  anonymizeIp: true,
  newMessageId: () => 'gen',
};

describe('ingestEvents', () => {
  it('accepts the valid events and reports each invalid one with its index and reasons', () => {
    const result = ingestEvents(
      [
        { type: 'track', event: 'Product Viewed', anonymousId: 'a' },
        { type: 'track', anonymousId: 'a', messageId: 'no-event-name' },
        { type: 'page', messageId: 'no-ids' },
        'not an object',
        { type: 'launch', anonymousId: 'a' },
        { type: 'identify', userId: 'u1', traits: { email: 'x@example.com' } },
      ],
      facts,
    );
    expect(result.touchpoints.map((t) => t.type)).toEqual(['track', 'identify']);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4]);
    expect(result.rejected[0]).toMatchObject({ messageId: 'no-event-name' });
    expect(result.rejected[0]?.errors.join()).toMatch(/event/);
    expect(result.rejected[1]?.errors.join()).toMatch(/userId or anonymousId/);
    expect(result.rejected[2]?.errors).toEqual(['event must be a JSON object']);
    expect(result.rejected[3]?.errors.join()).toMatch(/type/);
  });

  it('rejects an event over 32 KB but keeps its neighbours', () => {
    const big = {
      type: 'track',
      event: 'Big',
      anonymousId: 'a',
      properties: { blob: 'x'.repeat(33 * 1024) },
    };
    const result = ingestEvents([big, { type: 'track', event: 'Small', anonymousId: 'a' }], facts);
    expect(result.touchpoints).toHaveLength(1);
    expect(result.rejected[0]?.errors[0]).toMatch(/limit is 32768/);
  });

  it('merges the batch context under each event context, the event winning', () => {
    const result = ingestEvents(
      [{ type: 'track', event: 'X', anonymousId: 'a', context: { locale: 'de-DE' } }],
      facts,
      { context: { locale: 'en-US', timezone: 'Europe/Berlin' } },
    );
    expect(result.touchpoints[0]).toMatchObject({ locale: 'de-DE', timezone: 'Europe/Berlin' });
  });

  it('takes the type from a single-event endpoint, whatever the body says', () => {
    const result = ingestEvents([{ type: 'alias', event: 'Signed Up', userId: 'u' }], facts, {
      type: 'track',
    });
    expect(result.touchpoints[0]?.type).toBe('track');
  });

  it('survives hostile strings and prototype keys without changing behaviour', () => {
    const hostile = JSON.parse(
      '{"type":"track","event":"<script>alert(1)</script>\\u0000\'; DROP TABLE touchpoints;--","anonymousId":"a","__proto__":{"polluted":true},"properties":{"constructor":{"prototype":{"x":1}}}}',
    );
    const result = ingestEvents([hostile], facts);
    expect(result.touchpoints[0]?.event).toContain('DROP TABLE');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects ids that are too long or of the wrong type', () => {
    const result = ingestEvents(
      [
        { type: 'track', event: 'X', anonymousId: 'a'.repeat(300) },
        { type: 'track', event: 'X', anonymousId: { nested: true } },
        { type: 'track', event: 'X', anonymousId: 'a', timestamp: 'yesterday' },
      ],
      facts,
    );
    expect(result.touchpoints).toHaveLength(0);
    expect(result.rejected).toHaveLength(3);
  });
});

describe('ingestEvents depth check', () => {
  const nested = (levels: number) => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = { deeper: value };
    return value as Record<string, unknown>;
  };

  it('rejects an event nested thousands of levels deep and keeps its neighbours, whatever the body size', () => {
    const deep = { type: 'track', event: 'Deep', anonymousId: 'a', properties: nested(5000) };
    for (const bodyBytes of [1000, Number.POSITIVE_INFINITY]) {
      const result = ingestEvents(
        [deep, { type: 'track', event: 'Flat', anonymousId: 'a' }],
        facts,
        {},
        bodyBytes,
      );
      expect(result.touchpoints.map((t) => t.event)).toEqual(['Flat']);
      expect(result.rejected).toEqual([
        { index: 0, messageId: null, errors: ['event nests deeper than 32 levels'] },
      ]);
    }
  });

  it('counts the batch context into the depth of each event, and accepts 32 levels', () => {
    const flat = { type: 'track', event: 'Flat', anonymousId: 'a' };
    expect(ingestEvents([flat], facts, { context: nested(40) }).rejected).toHaveLength(1);
    // The event (level 1), properties and 29 objects inside it (2–31), the number 1 (32).
    const limit = { ...flat, properties: nested(30) };
    expect(ingestEvents([limit], facts).rejected).toEqual([]);
    expect(ingestEvents([{ ...flat, properties: nested(31) }], facts).rejected).toHaveLength(1);
  });
});

describe('ingestEvents size check', () => {
  it('measures events only when the body could hold one over the limit', () => {
    const big = {
      type: 'track',
      event: 'Big',
      anonymousId: 'a',
      properties: { blob: 'x'.repeat(40 * 1024) },
    };
    expect(ingestEvents([big], facts, {}, 1000).rejected).toHaveLength(0);
    expect(ingestEvents([big], facts, {}, 50 * 1024).rejected).toHaveLength(1);
    expect(ingestEvents([big], facts).rejected).toHaveLength(1);
  });
});
