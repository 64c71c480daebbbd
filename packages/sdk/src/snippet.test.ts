// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Waymark, WaymarkEvent } from './types.ts';

// The IIFE entry as a page runs it: from a <script> element (data-* auto-init) or after the async loader.
const requests: Array<{ url: string; writeKey: string; batch: WaymarkEvent[] }> = [];
const w = window as unknown as { waymark?: unknown };

beforeEach(() => {
  vi.resetModules();
  requests.length = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      requests.push({ url, ...JSON.parse(init.body as string) });
      return new Response('{}');
    }),
  );
  delete w.waymark;
});

afterEach(() => {
  vi.unstubAllGlobals();
  Object.defineProperty(document, 'currentScript', { configurable: true, value: null });
});

function runFrom(attributes: Record<string, string>) {
  const script = document.createElement('script');
  script.src = 'https://collect.example/sdk/waymark.js';
  for (const [name, value] of Object.entries(attributes)) script.setAttribute(name, value);
  Object.defineProperty(document, 'currentScript', { configurable: true, value: script });
  return import('./snippet.ts');
}

describe('waymark.js in a page', () => {
  it('initialises from data-* attributes, with the script origin as default host', async () => {
    // (A bare data-cookieless works in browsers; happy-dom leaves empty data-* values out of dataset.)
    await runFrom({ 'data-write-key': 'wk_tag', 'data-batch-size': '1', 'data-cookieless': 'true' });
    const waymark = w.waymark as Waymark;
    waymark.track('Tagged');
    await waymark.flush();
    expect(requests.map((r) => r.url)).toContain('https://collect.example/v1/batch');
    expect(requests.flatMap((r) => r.batch).map((e) => e.type)).toEqual(['page', 'track']);
    expect(requests.every((r) => r.writeKey === 'wk_tag')).toBe(true);
    // data-cookieless → cookieless: identity lives in sessionStorage only.
    expect(sessionStorage.getItem('wm_id')).toBeTruthy();
  });

  it('replays, in order, the calls queued by the async loader before the script arrived', async () => {
    w.waymark = [
      ['init', { writeKey: 'wk_loader', host: 'https://other.example', autoPage: false }],
      ['identify', 'user-7', { plan: 'pro' }],
      ['track', 'Signed Up'],
    ];
    await runFrom({});
    const waymark = w.waymark as Waymark;
    expect(typeof waymark.track).toBe('function');
    await waymark.flush();
    expect(requests[0]?.url).toBe('https://other.example/v1/batch');
    expect(requests.flatMap((r) => r.batch).map((e) => [e.type, e.userId])).toEqual([
      ['identify', 'user-7'],
      ['track', 'user-7'],
    ]);
  });

  it('leaves a tracker that is already there alone (the script included twice)', async () => {
    const existing = { track: () => {} };
    w.waymark = existing;
    await runFrom({ 'data-write-key': 'wk_twice' });
    expect(w.waymark).toBe(existing);
  });
});
