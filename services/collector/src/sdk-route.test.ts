import { gunzipSync } from 'node:zlib';
import { createLogger } from '@waymark/logger';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildCollectorApp } from './app.ts';
import { loadSdkBundle, registerSdkRoute, SDK_PATH, sdkBundle } from './sdk-route.ts';

const script = Buffer.from('(()=>{window.waymark=window.waymark||[]})();');

function collector(sdk: Parameters<typeof registerSdkRoute>[1]) {
  return buildCollectorApp({
    logger: createLogger({ name: 'sdk-route-test', level: 'silent' }),
    publisher: { publish: async () => {} },
    projects: { byWriteKey: () => undefined, loaded: true, refreshAfterMiss: async () => {} },
    options: {
      anonymizeIp: true,
      trustProxy: false,
      retryAfterSeconds: 5,
      rateLimit: { eventsPerSecondPerKey: 1000, requestsPerSecondPerIp: 1000, burstSeconds: 1 },
    },
    sdk,
  });
}

describe('GET /sdk/waymark.js', () => {
  it('serves the script with a content-hash ETag, a public cache lifetime and CORS', async () => {
    const bundle = sdkBundle(script);
    const app = collector({ bundle, maxAgeSeconds: 3600 });
    const response = await app.inject({ url: SDK_PATH, headers: { origin: 'https://shop.example' } });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(script)).toBe(true);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toBe('public, max-age=3600, stale-while-revalidate=25200');
    expect(response.headers.etag).toBe(bundle.etag);
    expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(response.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(response.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(String(response.headers.vary)).toMatch(/Accept-Encoding/);
  });

  it('answers 304 to a browser holding the current version', async () => {
    const bundle = sdkBundle(script);
    const app = collector({ bundle });
    const fresh = await app.inject({ url: SDK_PATH, headers: { 'if-none-match': bundle.etag } });
    expect(fresh.statusCode).toBe(304);
    expect(fresh.body).toBe('');
    const stale = await app.inject({ url: SDK_PATH, headers: { 'if-none-match': '"older"' } });
    expect(stale.statusCode).toBe(200);
  });

  it('sends it compressed to browsers that accept it', async () => {
    const app = collector({ bundle: sdkBundle(script) });
    const gzip = await app.inject({ url: SDK_PATH, headers: { 'accept-encoding': 'gzip, deflate' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.rawPayload).equals(script)).toBe(true);
    const br = await app.inject({ url: SDK_PATH, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
  });

  it('serves the same script under a configured first-party path', async () => {
    const app = collector({ bundle: sdkBundle(script), extraPaths: ['/assets/wm.js'] });
    const response = await app.inject({ url: '/assets/wm.js' });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(script)).toBe(true);
    expect((await app.inject({ method: 'HEAD', url: '/assets/wm.js' })).statusCode).toBe(200);
  });

  it('answers a clear 503 problem when the script was not built', async () => {
    const app = collector({ bundle: await loadSdkBundle('/nonexistent/waymark.js') });
    const response = await app.inject({ url: SDK_PATH });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'SDK_NOT_BUILT' });
    expect(response.json().detail).toContain('pnpm --filter @waymark/sdk build');
  });

  it('is plain fastify: it can be mounted on any app', async () => {
    const app = Fastify();
    registerSdkRoute(app, { bundle: sdkBundle(script) });
    expect((await app.inject({ url: SDK_PATH })).statusCode).toBe(200);
  });
});
