import { WireEvent } from '@waymark/events';
import { describe, expect, it } from 'vitest';
import {
  anonymizeIp,
  correctedTimestamp,
  geoFromHeaders,
  type RequestFacts,
  storableJson,
  technographics,
  toTouchpoint,
} from './enrichment.ts';

const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  projectId: 'p1',
  receivedAt: Date.parse('2026-11-23T12:00:00.000Z'),
  anonymizeIp: true,
  newMessageId: () => 'generated-id',
  ...over,
});

const wire = (event: unknown) => WireEvent.parse(event);

describe('correctedTimestamp', () => {
  it('moves the event onto the server clock by the device-measured gap', () => {
    // Device clock 1 hour behind: event at 10:59:50 device time, sent at 11:00:00 device time.
    const received = Date.parse('2026-11-23T12:00:00Z');
    const ts = correctedTimestamp(
      received,
      Date.parse('2026-11-23T10:59:50Z'),
      Date.parse('2026-11-23T11:00:00Z'),
    );
    expect(new Date(ts).toISOString()).toBe('2026-11-23T11:59:50.000Z');
  });
  const received = Date.parse('2026-11-23T12:00:00Z');
  it('uses the device time as is without sentAt, and receivedAt without either', () => {
    expect(correctedTimestamp(received, received - 500)).toBe(received - 500);
    expect(correctedTimestamp(received)).toBe(received);
  });
  it('never puts an event in the future when timestamp is after sentAt', () => {
    expect(correctedTimestamp(received, received - 100, received - 200)).toBe(received);
  });
  it('never puts an event after its arrival, nor outside the times the store holds', () => {
    const year9999 = Date.parse('9999-12-31T23:59:59.999Z');
    expect(correctedTimestamp(received, year9999)).toBe(received);
    expect(correctedTimestamp(received, -0)).toBe(received);
    expect(correctedTimestamp(received, 0)).toBe(received);
    expect(correctedTimestamp(received, Date.parse('1960-01-01T00:00:00.001Z'))).toBe(received);
    // A sentAt from a broken clock cannot push the corrected time out of range either way.
    expect(correctedTimestamp(received, received - 1000, year9999)).toBe(received);
    expect(correctedTimestamp(received, received - 1000, 0)).toBe(received);
  });
});

describe('toTouchpoint times', () => {
  it('keeps the sender times only when the store can hold them', () => {
    const receivedAt = facts().receivedAt;
    const t = toTouchpoint(
      wire({ type: 'track', event: 'X', userId: 'u', timestamp: '9999-12-31T23:59:59.999Z', sentAt: 0 }),
      facts(),
    );
    expect([t.timestamp, t.originalTimestamp, t.sentAt]).toEqual([receivedAt, null, null]);
    const ahead = receivedAt + 3_600_000;
    const early = toTouchpoint(wire({ type: 'track', event: 'X', userId: 'u', timestamp: ahead }), facts());
    expect([early.timestamp, early.originalTimestamp]).toEqual([receivedAt, ahead]);
  });
});

describe('storableJson', () => {
  it('replaces lone surrogates in keys and values with U+FFFD and keeps everything else', () => {
    const text = storableJson({ 'k\ud800': ['v\udc00', '😀', 'a\\ud800b', '\\\udbff'], n: 'x\u0000' });
    expect(JSON.parse(text)).toEqual({ 'k\ufffd': ['v\ufffd', '😀', 'a\\ud800b', '\\\ufffd'], n: 'x\u0000' });
  });
});

describe('anonymizeIp', () => {
  it('zeroes the last IPv4 octet', () => {
    expect(anonymizeIp('203.0.113.77')).toBe('203.0.113.0');
    expect(anonymizeIp('::ffff:203.0.113.77')).toBe('203.0.113.0');
  });
  it('keeps only the first 48 bits of IPv6', () => {
    expect(anonymizeIp('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('2001:db8:85a3::');
    expect(anonymizeIp('2001:db8::1')).toBe('2001:db8::');
  });
  it('drops what is not an address', () => {
    expect(anonymizeIp('<script>')).toBe('');
  });
});

describe('technographics', () => {
  it('classifies common user agents', () => {
    expect(
      technographics(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      ),
    ).toEqual({ deviceType: 'mobile', os: 'iOS', browser: 'Mobile Safari' });
    expect(
      technographics(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      ),
    ).toEqual({ deviceType: 'desktop', os: 'Windows', browser: 'Chrome' });
    expect(
      technographics(
        'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1',
      ).deviceType,
    ).toBe('tablet');
    expect(technographics('Googlebot/2.1 (+http://www.google.com/bot.html)').deviceType).toBe('bot');
  });
  it('answers other for a missing or meaningless agent', () => {
    expect(technographics(undefined)).toEqual({ deviceType: 'other', os: null, browser: null });
    expect(technographics('x'.repeat(1000)).deviceType).toBe('other');
  });
});

describe('geoFromHeaders', () => {
  it('reads the first CDN header set present', () => {
    expect(geoFromHeaders({ 'cf-ipcountry': 'de', 'cf-ipcity': 'M%C3%BCnchen' })).toEqual({
      country: 'DE',
      region: null,
      city: 'München',
    });
    expect(geoFromHeaders({ 'x-vercel-ip-country': 'FR', 'x-vercel-ip-country-region': 'IDF' })?.region).toBe(
      'IDF',
    );
  });
  it('ignores unknown countries and absurd values', () => {
    expect(geoFromHeaders({ 'cf-ipcountry': 'XX' })).toBeUndefined();
    expect(geoFromHeaders({ 'cf-ipcountry': 'A'.repeat(500) })).toBeUndefined();
  });
});

describe('toTouchpoint', () => {
  it('flattens page context and takes campaign fields from the URL when context.campaign is absent', () => {
    const t = toTouchpoint(
      wire({
        type: 'page',
        name: 'Home',
        anonymousId: 'a1',
        messageId: 'm1',
        context: {
          page: {
            url: 'https://shop.example/landing?utm_source=google&utm_medium=cpc&utm_campaign=winter&gclid=abc',
            referrer: 'https://www.google.com/',
          },
          ip: '198.51.100.23',
          sessionId: 1732364400000,
        },
      }),
      facts(),
    );
    expect(t).toMatchObject({
      messageId: 'm1',
      projectId: 'p1',
      type: 'page',
      name: 'Home',
      pagePath: '/landing',
      pageReferrer: 'https://www.google.com/',
      campaignSource: 'google',
      campaignMedium: 'cpc',
      campaignName: 'winter',
      clickId: 'abc',
      ip: '198.51.100.0',
      sessionId: '1732364400000',
      event: null,
    });
    // The stored context must not keep the raw address either.
    expect(JSON.parse(t.context).ip).toBe('198.51.100.0');
  });

  it('prefers context.campaign over URL parameters and keeps unknown properties verbatim', () => {
    const t = toTouchpoint(
      wire({
        type: 'track',
        event: 'Order Completed',
        userId: 42,
        properties: { revenue: 99.5, nested: { a: [1, 2] } },
        context: { campaign: { source: 'newsletter' }, page: { url: 'https://x.example/?utm_source=other' } },
      }),
      facts(),
    );
    expect(t.userId).toBe('42');
    expect(t.campaignSource).toBe('newsletter');
    expect(JSON.parse(t.properties)).toEqual({ revenue: 99.5, nested: { a: [1, 2] } });
    expect(t.messageId).toBe('generated-id');
  });

  it('uses the request address and user agent when the event carries none', () => {
    const t = toTouchpoint(
      wire({ type: 'identify', anonymousId: 'a', userId: 'u', traits: { plan: 'pro' } }),
      {
        ...facts(),
        requestIp: '2001:db8:1:2:3:4:5:6',
        requestUserAgent:
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      },
    );
    expect(t.ip).toBe('2001:db8:1::');
    expect(t.os).toBe('Mac OS');
    expect(JSON.parse(t.traits)).toEqual({ plan: 'pro' });
  });

  it('keeps the raw address when anonymisation is switched off', () => {
    const t = toTouchpoint(wire({ type: 'track', event: 'X', anonymousId: 'a' }), {
      ...facts(),
      anonymizeIp: false,
      requestIp: '192.0.2.9',
    });
    expect(t.ip).toBe('192.0.2.9');
  });

  it('corrects the device clock with the batch sentAt', () => {
    const t = toTouchpoint(
      wire({ type: 'track', event: 'X', anonymousId: 'a', timestamp: '2026-11-23T09:00:00Z' }),
      facts({ batchSentAt: Date.parse('2026-11-23T09:00:10Z') }),
    );
    expect(new Date(t.timestamp).toISOString()).toBe('2026-11-23T11:59:50.000Z');
    expect(t.originalTimestamp).toBe(Date.parse('2026-11-23T09:00:00Z'));
  });
});
