import type { Project } from '@waymark/clickhouse';
import type { Touchpoint } from '@waymark/events';
import { createLogger } from '@waymark/logger';
import { describe, expect, it } from 'vitest';
import { buildCollectorApp } from './app.ts';
import { originAllowed } from './cors.ts';

describe('originAllowed', () => {
  it('allows any origin for *, and requests without an Origin (server-side senders) always', () => {
    expect(originAllowed('https://anywhere.example', ['*'])).toBe(true);
    expect(originAllowed(undefined, [])).toBe(true);
    expect(originAllowed('https://shop.example', [])).toBe(false);
  });

  it('matches exact origins regardless of case and a trailing slash, ports included', () => {
    const allowed = ['https://Shop.example/', 'http://localhost:3000'];
    expect(originAllowed('https://shop.example', allowed)).toBe(true);
    expect(originAllowed('http://localhost:3000', allowed)).toBe(true);
    expect(originAllowed('http://shop.example', allowed)).toBe(false);
    expect(originAllowed('https://shop.example:8443', allowed)).toBe(false);
    expect(originAllowed('http://localhost:3001', allowed)).toBe(false);
    expect(originAllowed('https://evilshop.example', allowed)).toBe(false);
  });

  it('matches subdomain wildcards, not the apex nor look-alike hosts', () => {
    const allowed = ['https://*.shop.example'];
    expect(originAllowed('https://eu.shop.example', allowed)).toBe(true);
    expect(originAllowed('https://a.b.shop.example', allowed)).toBe(true);
    expect(originAllowed('https://shop.example', allowed)).toBe(false);
    expect(originAllowed('https://evil-shop.example', allowed)).toBe(false);
    expect(originAllowed('http://eu.shop.example', allowed)).toBe(false);
  });

  it('allows the opaque origin "null" only when listed', () => {
    expect(originAllowed('null', ['https://shop.example'])).toBe(false);
    expect(originAllowed('null', ['null'])).toBe(true);
  });
});

// The HTTP behaviour through the collector app; the publisher double records instead of producing to Kafka
// (the real path is covered by test/browser/ and test/segment-compat.integration.test.ts).
function collector(allowedOrigins: readonly string[]) {
  const published: Touchpoint[] = [];
  const project: Project = {
    projectId: 'shop',
    name: 'Shop',
    writeKey: 'wk_shop',
    apiKeyHash: '',
    allowedOrigins,
    createdAt: 0,
    updatedAt: 0,
  };
  const app = buildCollectorApp({
    logger: createLogger({ name: 'cors-test', level: 'silent' }),
    publisher: { publish: async (touchpoints) => void published.push(...touchpoints) },
    projects: {
      byWriteKey: (key) => (key === project.writeKey ? project : undefined),
      loaded: true,
      refreshAfterMiss: async () => {},
    },
    options: {
      anonymizeIp: true,
      trustProxy: false,
      retryAfterSeconds: 5,
      rateLimit: { eventsPerSecondPerKey: 1000, requestsPerSecondPerIp: 1000, burstSeconds: 1 },
    },
  });
  return { app, published };
}

const beacon = (writeKey = 'wk_shop') =>
  JSON.stringify({ writeKey, batch: [{ type: 'track', event: 'Product Viewed', anonymousId: 'a1' }] });

describe('collector CORS', () => {
  it('answers a CORS-simple text/plain POST from an allowed origin with Access-Control-Allow-Origin', async () => {
    const { app, published } = collector(['https://shop.example']);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { origin: 'https://shop.example', 'content-type': 'text/plain;charset=UTF-8' },
      payload: beacon(),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(response.headers.vary).toContain('Origin');
    expect(response.headers['access-control-expose-headers']).toBe('Retry-After');
    expect(published).toHaveLength(1);
  });

  it('refuses a disallowed origin with a 403 the page can read, and stores nothing', async () => {
    const { app, published } = collector(['https://shop.example']);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { origin: 'https://elsewhere.example', 'content-type': 'text/plain' },
      payload: beacon(),
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    expect(response.headers['access-control-allow-origin']).toBe('https://elsewhere.example');
    expect(published).toHaveLength(0);
  });

  it('authenticates before judging the origin: an unknown key is a 401 whatever the origin', async () => {
    const { app } = collector([]);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { origin: 'https://elsewhere.example', 'content-type': 'text/plain' },
      payload: beacon('wk_unknown'),
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['access-control-allow-origin']).toBe('https://elsewhere.example');
  });

  it('accepts server-side senders, which send no Origin, whatever the project allows', async () => {
    const { app, published } = collector([]);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { 'content-type': 'application/json' },
      payload: beacon(),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(published).toHaveLength(1);
  });

  it('answers preflights for JSON senders', async () => {
    const { app } = collector(['https://shop.example']);
    const response = await app.inject({
      method: 'OPTIONS',
      url: '/v1/track',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(response.headers['access-control-allow-methods']).toContain('POST');
    expect(response.headers['access-control-allow-headers']).toBe('content-type,authorization');
    expect(response.headers['access-control-max-age']).toBe('86400');
    expect(response.headers.vary).toBe('Access-Control-Request-Headers, Origin');
  });
});
