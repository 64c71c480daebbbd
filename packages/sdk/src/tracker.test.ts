// @vitest-environment happy-dom
// @vitest-environment-options {"url":"https://shop.example/landing?utm_source=news&utm_campaign=spring&gclid=g1"}
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QUEUE_PREFIX } from './queue.ts';
import { SESSION_IDLE_MS } from './session.ts';
import { createWaymark } from './tracker.ts';
import type { Waymark, WaymarkEvent, WaymarkOptions } from './types.ts';
import { VERSION } from './version.ts';

// The network is the one thing faked here (the real collector is exercised by test/browser/). Requests are
// told apart by write key: each test starts its own tracker with its own key, and trackers of earlier tests
// stay attached to the page (a page cannot unload a script), so they must not be counted.
interface Request {
  url: string;
  init: RequestInit;
  writeKey: string;
  sentAt: string;
  batch: WaymarkEvent[];
  bytes: number;
}
type Answer = number | { status: number; retryAfter?: string };
const requests: Request[] = [];
const answers = new Map<string, Answer[]>();

let testNumber = 0;
let writeKey = '';

beforeEach(() => {
  writeKey = `wk_test_${++testNumber}`;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(new Date('2026-03-01T10:00:00Z'));
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      const body = JSON.parse(init.body as string);
      requests.push({ url, init, ...body, bytes: new Blob([init.body as string]).size });
      const answer = answers.get(body.writeKey)?.shift() ?? 200;
      if (answer === 0) throw new TypeError('Failed to fetch');
      const { status, retryAfter } = typeof answer === 'number' ? { status: answer } : answer;
      return new Response('{}', { status, headers: retryAfter ? { 'retry-after': retryAfter } : {} });
    }),
  );
  history.replaceState(null, '', '/landing?utm_source=news&utm_campaign=spring&gclid=g1');
  for (const key of Object.keys(localStorage)) localStorage.removeItem(key);
  for (const key of Object.keys(sessionStorage)) sessionStorage.removeItem(key);
  for (const cookie of document.cookie.split('; ')) {
    // biome-ignore lint/suspicious/noDocumentCookie: the page's cookies, as the tracker writes them.
    document.cookie = `${cookie.split('=')[0]}=;max-age=0;path=/`;
  }
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const ours = () => requests.filter((r) => r.writeKey === writeKey);
const sentEvents = () => ours().flatMap((r) => r.batch);
const answer = (...list: Answer[]) => answers.set(writeKey, list);
const storedQueues = () =>
  Object.keys(localStorage)
    .filter((k) => k.startsWith(`${QUEUE_PREFIX}${writeKey}.`))
    .map((k) => JSON.parse(localStorage.getItem(k) as string) as { c: number; e: WaymarkEvent[] });

function start(options: Partial<WaymarkOptions> = {}): Waymark {
  const waymark = createWaymark();
  waymark.init({ writeKey, host: 'https://collect.example/', autoPage: false, ...options });
  return waymark;
}

describe('events on the wire', () => {
  it('sends a page view on load as a CORS-simple Segment batch with the full context', async () => {
    const waymark = start({ autoPage: true });
    await waymark.flush();
    const [request] = ours();
    expect(request?.url).toBe('https://collect.example/v1/batch');
    expect(request?.init).toMatchObject({ method: 'POST', keepalive: true });
    // No custom headers (and a string body: text/plain) means no CORS preflight.
    expect(request?.init.headers).toBeUndefined();
    expect(request?.sentAt).toBe('2026-03-01T10:00:00.000Z');
    const [page] = request?.batch ?? [];
    expect(page).toMatchObject({
      type: 'page',
      timestamp: '2026-03-01T10:00:00.000Z',
      context: {
        page: {
          url: 'https://shop.example/landing?utm_source=news&utm_campaign=spring&gclid=g1',
          path: '/landing',
          search: '?utm_source=news&utm_campaign=spring&gclid=g1',
        },
        campaign: { source: 'news', name: 'spring', gclid: 'g1' },
        firstTouch: { campaign: { source: 'news', name: 'spring', gclid: 'g1' } },
        sessionId: Date.parse('2026-03-01T10:00:00Z'),
        library: { name: 'waymark.js', version: VERSION },
      },
    });
    expect(page?.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/);
    expect(page?.anonymousId).toMatch(/^[0-9a-f-]{36}$/);
    expect(page?.context.timezone).toBeTruthy();
    expect(page?.context.locale).toBeTruthy();
  });

  it('gives track, identify, group and alias their Segment fields', async () => {
    const waymark = start();
    waymark.track('Product Viewed', { sku: 'A1' });
    waymark.identify('user-1', { plan: 'pro' });
    waymark.group('acme', { seats: 5 });
    waymark.alias('user-2');
    waymark.track('Order Completed', { revenue: 10 });
    await waymark.flush();
    const [track, identify, group, alias, after] = sentEvents();
    const anonymousId = track?.anonymousId;
    expect(track).toMatchObject({ type: 'track', event: 'Product Viewed', properties: { sku: 'A1' } });
    expect(track?.userId).toBeNull();
    expect(identify).toMatchObject({
      type: 'identify',
      userId: 'user-1',
      anonymousId,
      traits: { plan: 'pro' },
    });
    expect(group).toMatchObject({ type: 'group', groupId: 'acme', userId: 'user-1', traits: { seats: 5 } });
    expect(alias).toMatchObject({ type: 'alias', userId: 'user-2', previousId: 'user-1', anonymousId });
    expect(after).toMatchObject({ type: 'track', userId: 'user-2', anonymousId });
  });

  it("accepts Segment's identify(traits) form without inventing a user id", async () => {
    const waymark = start();
    waymark.identify('user-1');
    waymark.identify({ email: 'ada@example.com' });
    await waymark.flush();
    expect(sentEvents()[1]).toMatchObject({ userId: 'user-1', traits: { email: 'ada@example.com' } });
  });
});

describe('batching', () => {
  it('sends a full batch at once', async () => {
    const waymark = start({ batchSize: 5 });
    for (let i = 0; i < 4; i++) waymark.track(`E${i}`);
    await vi.advanceTimersByTimeAsync(0);
    expect(ours()).toHaveLength(0);
    waymark.track('E4');
    await vi.advanceTimersByTimeAsync(0);
    expect(ours().map((r) => r.batch.length)).toEqual([5]);
  });

  it('sends a partial batch once its first event is 2 seconds old', async () => {
    const waymark = start();
    waymark.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    waymark.track('B');
    await vi.advanceTimersByTimeAsync(999);
    expect(ours()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(ours().map((r) => r.batch.map((e) => e.event))).toEqual([['A', 'B']]);
    expect(storedQueues()).toEqual([]);
  });

  it('drops an event larger than the collector accepts (32 KB)', async () => {
    const waymark = start();
    waymark.track('Huge', { blob: 'x'.repeat(33 * 1024) });
    waymark.track('Fine');
    await waymark.flush();
    expect(sentEvents().map((e) => e.event)).toEqual(['Fine']);
  });
});

describe('delivery', () => {
  it('retries 503 no sooner than Retry-After, then delivers once', async () => {
    answer({ status: 503, retryAfter: '3' }, 200);
    const waymark = start();
    waymark.track('Checkout Started');
    await waymark.flush();
    expect(ours()).toHaveLength(1);
    expect(storedQueues()[0]?.e.map((e) => e.event)).toEqual(['Checkout Started']);
    waymark.track('Coupon Applied');
    await waymark.flush();
    await vi.advanceTimersByTimeAsync(2999);
    expect(ours()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ours()).toHaveLength(2);
    expect(ours()[1]?.batch.map((e) => e.event)).toEqual(['Checkout Started', 'Coupon Applied']);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(ours()).toHaveLength(2);
    expect(storedQueues()).toEqual([]);
  });

  it('backs off exponentially on network errors and 429/5xx', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    answer(0, 0, 429, 500, 0, 200);
    const waymark = start();
    const t0 = Date.now();
    waymark.track('A');
    await waymark.flush();
    const times = [0];
    for (let i = 0; i < 60_000 && ours().length < 6; i += 50) {
      const before = ours().length;
      await vi.advanceTimersByTimeAsync(50);
      if (ours().length > before) times.push(Date.now() - t0);
    }
    // Equal jitter with random() = 0: half of 1, 2, 4, 8, 16 s.
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 15_500]);
    expect(storedQueues()).toEqual([]);
  });

  it('drops what the collector refuses for good (400, 401, 403, 413) instead of retrying it', async () => {
    for (const status of [400, 401, 403, 413]) {
      answer(status);
      const waymark = start();
      waymark.track('Rejected');
      await waymark.flush();
      await vi.advanceTimersByTimeAsync(120_000);
      expect(ours(), `${status}`).toHaveLength(1);
      expect(storedQueues(), `${status}`).toEqual([]);
      writeKey = `${writeKey}_`;
    }
  });

  it('on unload, hands the queue to keepalive requests under 64 KB while the collector answers', async () => {
    const waymark = start({ batchSize: 100 });
    for (let i = 0; i < 8; i++) waymark.track(`Big ${i}`, { padding: 'x'.repeat(20_000) });
    window.dispatchEvent(new Event('pagehide'));
    const sent = ours();
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((r) => r.init.keepalive)).toBe(true);
    // The browser refuses keepalive requests once 64 KB are in flight: what did not fit stays for later.
    expect(sent.reduce((sum, r) => sum + r.bytes, 0)).toBeLessThan(64 * 1024);
    const left = storedQueues();
    expect(left).toHaveLength(1);
    expect(left[0]?.c).toBe(1);
    expect(sent.flatMap((r) => r.batch).length + (left[0]?.e.length ?? 0)).toBe(8);
  });

  it('after a failure, keeps everything on unload and the next page sends it exactly once', async () => {
    answer(503, 200);
    const first = start();
    first.track('Before Reload');
    await first.flush();
    window.dispatchEvent(new Event('pagehide'));
    expect(ours()).toHaveLength(1);
    expect(storedQueues()[0]).toMatchObject({ c: 1 });

    // The reloaded page: a new tracker on the same origin reclaims the closed queue and sends it.
    start();
    await vi.advanceTimersByTimeAsync(0);
    expect(ours()).toHaveLength(2);
    expect(ours()[1]?.batch.map((e) => e.event)).toEqual(['Before Reload']);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(sentEvents().filter((e) => e.event === 'Before Reload')).toHaveLength(2);
    expect(ours()).toHaveLength(2);
    expect(storedQueues()).toEqual([]);
  });

  it('replays calls made before init, in order', async () => {
    const waymark = createWaymark('https://collect.example');
    waymark.identify('early-user');
    waymark.track('Early');
    waymark.init({ writeKey, autoPage: false });
    await waymark.flush();
    expect(sentEvents().map((e) => [e.type, e.userId])).toEqual([
      ['identify', 'early-user'],
      ['track', 'early-user'],
    ]);
    expect(ours()[0]?.url).toBe('https://collect.example/v1/batch');
  });
});

describe('identity and sessions', () => {
  it('keeps the anonymous id in a first-party cookie and localStorage', async () => {
    const waymark = start();
    waymark.track('A');
    await waymark.flush();
    const id = sentEvents()[0]?.anonymousId as string;
    expect(document.cookie).toContain(`wm_id=${id}`);
    expect(localStorage.getItem('wm_id')).toBe(id);
    // Either copy is enough to recognise the visitor.
    localStorage.removeItem('wm_id');
    const again = start();
    again.track('B');
    await again.flush();
    expect(sentEvents()[1]?.anonymousId).toBe(id);
  });

  it('reset() starts a new anonymous identity and session and forgets the user', async () => {
    const waymark = start();
    waymark.identify('user-1');
    await vi.advanceTimersByTimeAsync(60_000);
    waymark.reset();
    waymark.track('After Logout');
    await waymark.flush();
    const [identify, after] = sentEvents();
    expect(after?.userId).toBeNull();
    expect(after?.anonymousId).not.toBe(identify?.anonymousId);
    expect(after?.context.sessionId).not.toBe(identify?.context.sessionId);
  });

  it('keeps the session over activity and starts a new one after 30 minutes idle', async () => {
    const waymark = start();
    waymark.track('A');
    await vi.advanceTimersByTimeAsync(SESSION_IDLE_MS - 1000);
    waymark.track('B');
    await vi.advanceTimersByTimeAsync(SESSION_IDLE_MS);
    waymark.track('C');
    await waymark.flush();
    const [a, b, c] = sentEvents().map((e) => e.context.sessionId);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('cookieless: no cookie and nothing in localStorage, identity in sessionStorage', async () => {
    const waymark = start({ cookieless: true });
    waymark.track('A');
    await waymark.flush();
    const id = sentEvents()[0]?.anonymousId;
    expect(document.cookie).not.toMatch(/wm_id=[^;]/);
    expect(Object.keys(localStorage).filter((k) => k.startsWith('wm_'))).toEqual([]);
    expect(sessionStorage.getItem('wm_id')).toBe(id);
  });
});

describe('page views', () => {
  it('tracks History API navigations, with the previous page as referrer, but not hash changes', async () => {
    const waymark = start({ autoPage: true });
    history.pushState(null, '', '/products/shoe');
    document.title = 'Shoe';
    await vi.advanceTimersByTimeAsync(0);
    history.pushState(null, '', '/products/shoe#reviews');
    await vi.advanceTimersByTimeAsync(0);
    history.replaceState(null, '', '/pricing');
    await vi.advanceTimersByTimeAsync(0);
    await waymark.flush();
    const pages = sentEvents().filter((e) => e.type === 'page');
    expect(pages.map((p) => p.context.page.path)).toEqual(['/landing', '/products/shoe', '/pricing']);
    expect(pages[1]?.context.page.referrer).toBe(
      'https://shop.example/landing?utm_source=news&utm_campaign=spring&gclid=g1',
    );
    expect(pages[1]?.context.page.title).toBe('Shoe');
    // The campaign belongs to the landing URL; the first touch stays with the customer.
    expect(pages[1]?.context.campaign).toBeUndefined();
    expect(pages[2]?.context.firstTouch?.campaign?.source).toBe('news');
  });

  it('tracks each of two navigations made before the deferred page view is made', async () => {
    const waymark = start({ autoPage: true });
    history.pushState(null, '', '/pricing');
    history.pushState(null, '', '/products/shoe');
    await vi.advanceTimersByTimeAsync(0);
    await waymark.flush();
    const pages = sentEvents().filter((e) => e.type === 'page');
    expect(pages.map((p) => [p.context.page.path, p.context.page.referrer.split('?')[0]])).toEqual([
      ['/landing', ''],
      ['/pricing', 'https://shop.example/landing'],
      ['/products/shoe', 'https://shop.example/pricing'],
    ]);
  });

  it('does not track navigations when automatic page views are off', async () => {
    const waymark = start({ autoPage: false });
    history.pushState(null, '', '/somewhere');
    await vi.advanceTimersByTimeAsync(0);
    await waymark.flush();
    expect(ours()).toHaveLength(0);
  });
});

describe('consent', () => {
  it('optOut() stops all sending, persists across page loads, and forgets ids and unsent events', async () => {
    answer(503);
    const waymark = start();
    waymark.track('Before');
    await waymark.flush();
    waymark.optOut();
    expect(storedQueues()).toEqual([]);
    expect(localStorage.getItem('wm_id')).toBeFalsy();
    waymark.track('After');
    await vi.advanceTimersByTimeAsync(120_000);
    const next = start({ autoPage: true });
    next.track('Next Page');
    await next.flush();
    expect(ours()).toHaveLength(1);
    expect(document.cookie).not.toMatch(/wm_id=[^;]/);
  });

  it('honours Global Privacy Control and Do Not Track unless configured otherwise; optIn() overrides', async () => {
    vi.stubGlobal('navigator', { ...navigator, language: 'en', globalPrivacyControl: true });
    const respecting = start({ autoPage: true });
    respecting.track('Blocked');
    await respecting.flush();
    expect(ours()).toHaveLength(0);
    expect(document.cookie).not.toMatch(/wm_id=[^;]/);

    writeKey = `${writeKey}_site-decides`;
    const ignoring = start({ respectPrivacySignals: false });
    ignoring.track('Sent');
    await ignoring.flush();
    expect(sentEvents().map((e) => e.event)).toEqual(['Sent']);

    vi.stubGlobal('navigator', { ...navigator, language: 'en', doNotTrack: '1' });
    writeKey = `${writeKey}_consented`;
    const consented = start();
    consented.optIn();
    consented.track('Consented');
    await consented.flush();
    expect(sentEvents().map((e) => e.event)).toEqual(['Consented']);
  });
});

describe('hooks and robustness', () => {
  it('beforeSend can edit or drop an event; a throwing hook drops it', async () => {
    const waymark = start({
      beforeSend: (event) => {
        if (event.event === 'Drop') return null;
        if (event.event === 'Throw') throw new Error('bug in the hook');
        return { ...event, properties: { ...event.properties, email: undefined, scrubbed: true } };
      },
    });
    waymark.track('Keep', { email: 'a@b.c' });
    waymark.track('Drop');
    waymark.track('Throw');
    await waymark.flush();
    expect(sentEvents().map((e) => [e.event, e.properties])).toEqual([['Keep', { scrubbed: true }]]);
  });

  it('never throws into the page: no fetch, disabled storage, hostile arguments', async () => {
    vi.stubGlobal('fetch', () => {
      throw new TypeError('blocked by client');
    });
    const storage = Object.getOwnPropertyDescriptor(window, 'localStorage');
    Object.defineProperty(window, 'localStorage', {
      configurable: true,
      get() {
        throw new DOMException('denied', 'SecurityError');
      },
    });
    try {
      const waymark = createWaymark();
      expect(() => {
        waymark.init({ writeKey, host: 'https://collect.example' });
        waymark.track('A', { circular: undefined });
        waymark.identify(undefined as unknown as string);
        (waymark.track as (...a: unknown[]) => void)(Symbol('x'), 42);
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        waymark.track('Circular', circular);
        window.dispatchEvent(new Event('pagehide'));
        history.pushState(null, '', '/next');
      }).not.toThrow();
      await expect(waymark.flush()).resolves.toBeUndefined();
      await vi.advanceTimersByTimeAsync(120_000);
    } finally {
      if (storage) Object.defineProperty(window, 'localStorage', storage);
    }
  });
});
