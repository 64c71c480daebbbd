/// <reference lib="dom" />
// Callbacks passed to page.evaluate run in the page: they are typed against the DOM.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchStageFunnel } from '@waymark/cli';
import { bundleSdk } from '@waymark/sdk/bundle';
import { openTestClickHouse, type TestClickHouse, testKafkaBrokers } from '@waymark/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  type Pipeline,
  startPipeline,
  storedMessageIds,
  type TestProject,
} from '../support/pipeline.ts';
import { launchChromium } from './support/chromium.ts';
import { type CollectorProxy, startCollectorProxy } from './support/collector-proxy.ts';
import { type Embedding, type Site, startSite } from './support/site-server.ts';
import { createProjectAllowing, identityLinks, storedTouchpoints } from './support/stored.ts';

// waymark.js in Debian's Chromium against the real pipeline: a static shop page embeds the script served by
// the real collector and sends through a recording proxy (which plays the outages) to that collector, Kafka,
// the processor and ClickHouse. One browser for the file; one fresh context (cookies, storage) per test.

type WaymarkWindow = Window & {
  waymark: {
    track(event: string, properties?: Record<string, unknown>): void;
    identify(userId: string, traits?: Record<string, unknown>): void;
    optOut(): void;
    flush(): Promise<void>;
  };
  pageErrors?: string[];
};

let ch: TestClickHouse;
let pipeline: Pipeline;
let browser: Browser;
let site: Site;
let proxy: CollectorProxy;
const contexts: BrowserContext[] = [];

let sdkDir: string;

beforeAll(async () => {
  // The collector serves the snippet built from the current source (a stale dist/ would test old code),
  // through its real route, also under a first-party path.
  sdkDir = await mkdtemp(join(tmpdir(), 'waymark-sdk-'));
  await writeFile(join(sdkDir, 'waymark.js'), (await bundleSdk()).iife);
  [ch, browser, site] = await Promise.all([openTestClickHouse(), launchChromium(), startSite()]);
  pipeline = await startPipeline({
    brokers: testKafkaBrokers(),
    clickhouse: ch.client,
    env: { COLLECTOR_SDK_FILE: join(sdkDir, 'waymark.js'), COLLECTOR_SDK_PATH: '/assets/wm.js' },
  });
  proxy = await startCollectorProxy(pipeline.collectorUrl);
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
  await proxy.setMode('pass');
});

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await site?.close();
  await pipeline?.stop();
  await ch?.close();
  if (sdkDir) await rm(sdkDir, { recursive: true, force: true });
});

/** A project that allows the shop's origin only, and pages embedding waymark.js for it. */
async function shop(embedding: Partial<Embedding> = {}): Promise<TestProject> {
  const project = await createProjectAllowing(ch.client, [site.origin]);
  site.embed({
    writeKey: project.writeKey,
    host: proxy.url,
    sdkUrl: new URL('/sdk/waymark.js', pipeline.collectorUrl).toString(),
    ...embedding,
  });
  return project;
}

async function newContext(options: { initScript?: string } = {}): Promise<BrowserContext> {
  const context = await browser.newContext();
  contexts.push(context);
  // Anything thrown or rejected in the page is recorded, so a test can assert the tracker raised nothing.
  await context.addInitScript(`
    window.pageErrors = [];
    addEventListener('error', (e) => pageErrors.push(String(e.message)));
    addEventListener('unhandledrejection', (e) => pageErrors.push('unhandled: ' + String(e.reason)));
    ${options.initScript ?? ''}
  `);
  return context;
}

async function open(context: BrowserContext, path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(site.url(path));
  await ready(page);
  return page;
}

/** The script has loaded and replaced any loader stub. */
const ready = (page: Page) =>
  page.waitForFunction(() => {
    const w = window as unknown as { waymark?: unknown };
    return w.waymark !== undefined && !Array.isArray(w.waymark);
  });

const track = (page: Page, event: string, properties: Record<string, unknown> = {}) =>
  page.evaluate(
    ([e, p]) => (window as unknown as WaymarkWindow).waymark.track(e as string, p as Record<string, unknown>),
    [event, properties] as const,
  );
const flush = (page: Page) => page.evaluate(() => (window as unknown as WaymarkWindow).waymark.flush());
const pageErrors = (page: Page) => page.evaluate(() => (window as unknown as WaymarkWindow).pageErrors ?? []);
const queuedEvents = (page: Page) =>
  page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith('wm_q.'))
      .flatMap((k) => (JSON.parse(localStorage.getItem(k) as string) as { e: Array<{ event?: string }> }).e)
      .map((e) => e.event ?? '(page)'),
  );

const namesStored = async (projectId: string) =>
  (await storedTouchpoints(ch.client, projectId)).map((t) => t.event || `page ${t.page_path}`);

/** A local address nothing listens on: connections are refused. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Every messageId the proxy saw was accepted by the collector exactly once. */
function expectEachAcceptedOnce(messageIds: readonly string[]) {
  const accepted = proxy.acceptedCounts();
  for (const id of messageIds) expect(accepted.get(id), id).toBe(1);
}

describe('waymark.js in Chromium, end to end', () => {
  it('stores a visit with the right customer, session, campaign and stages (documented async loader)', async () => {
    const project = await shop({ style: 'loader' });
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(site.url('/?utm_source=newsletter&utm_medium=email&utm_campaign=spring&gclid=abc'));
    // The loader's stub takes calls before the script has arrived.
    await page.evaluate(() => {
      const { waymark } = window as unknown as WaymarkWindow;
      waymark.track('Product Viewed', { sku: 'SHOE-42', price: 30 });
      waymark.identify('user-42', { plan: 'pro' });
      waymark.track('Order Completed', { revenue: 30, currency: 'EUR' });
    });
    await ready(page);
    await flush(page);

    const stored = await eventually(async () => {
      const rows = await storedTouchpoints(ch.client, project.projectId);
      expect(rows).toHaveLength(4);
      return rows;
    });
    // Replayed from the loader's stub, several may share a millisecond: find them by what they are.
    const find = (type: string, event = '') => stored.find((t) => t.type === type && t.event === event);
    const [pageView, viewed, identify, order] = [
      find('page'),
      find('track', 'Product Viewed'),
      find('identify'),
      find('track', 'Order Completed'),
    ];
    expect([pageView?.stage, viewed?.stage, identify?.stage, order?.stage]).toEqual([1, 2, 0, 5]);
    expect(pageView).toMatchObject({
      page_path: '/',
      page_title: 'Home',
      campaign_source: 'newsletter',
      campaign_medium: 'email',
      campaign_name: 'spring',
      click_id: 'abc',
      library_name: 'waymark.js',
    });
    const anonymousId = pageView?.anonymous_id;
    expect(anonymousId).toMatch(/^[0-9a-f-]{36}$/);
    expect(stored.every((t) => t.anonymous_id === anonymousId)).toBe(true);
    expect(new Set(stored.map((t) => t.session_id)).size).toBe(1);
    expect(pageView?.session_id).toMatch(/^\d{13}$/);
    expect([viewed?.user_id, identify?.user_id, order?.user_id]).toEqual(['', 'user-42', 'user-42']);
    expect(JSON.parse(order?.context ?? '{}').firstTouch.campaign).toMatchObject({ source: 'newsletter' });
    // The anonymous touchpoints belong to the identified customer: one customer through five stages.
    await eventually(async () =>
      expect((await identityLinks(ch.client, project.projectId)).get(`a:${anonymousId}`)).toBe('u:user-42'),
    );
    const funnel = await fetchStageFunnel(pipeline.queryUrl, project.projectId, project.apiKey, {
      from: new Date(Date.now() - 3_600_000),
      to: new Date(Date.now() + 3_600_000),
    });
    expect(funnel.map((s) => s.customers)).toEqual([1, 1, 1, 1, 1, 0, 0]);
    // Sent as CORS-simple text/plain beacons from the shop's origin, which the project allows.
    const deliveries = proxy.deliveries.filter((d) => d.messageIds.includes(pageView?.message_id ?? ''));
    expect(deliveries[0]).toMatchObject({ path: '/v1/batch', origin: site.origin, status: 200 });
    expect(deliveries[0]?.contentType).toMatch(/^text\/plain/);
    expect(await pageErrors(page)).toEqual([]);
  });

  it('delivers events tracked immediately before the visitor navigates away to another site', async () => {
    // A long flush interval: only the unload path can deliver them.
    const project = await shop({ options: { flushInterval: 60_000, autoPage: false } });
    const context = await newContext();
    const page = await open(context, '/checkout');
    await track(page, 'Checkout Started', { step: 1 });
    await track(page, 'Payment Info Entered', { method: 'card' });
    await page.click('#away');
    await page.waitForURL(/localhost/);
    await eventually(async () =>
      expect((await namesStored(project.projectId)).sort()).toEqual([
        'Checkout Started',
        'Payment Info Entered',
      ]),
    );
    expectEachAcceptedOnce(await storedMessageIds(ch.client, project.projectId));
  });

  it('keeps events while the collector answers 503 or is unreachable, and delivers each once after recovery and a reload', async () => {
    const project = await shop({ options: { autoPage: false, flushInterval: 200 } });
    const context = await newContext();
    await proxy.setMode('unavailable');
    const page = await open(context, '/products/boots');
    await track(page, 'Product Viewed', { sku: 'BOOTS' });
    await track(page, 'Product Added', { sku: 'BOOTS' });
    await flush(page);
    await eventually(async () => expect(proxy.deliveries.some((d) => d.status === 503)).toBe(true));
    expect(await queuedEvents(page)).toEqual(['Product Viewed', 'Product Added']);

    await proxy.setMode('unreachable');
    await track(page, 'Cart Viewed');
    await flush(page);
    // Reloading while the collector is still away: the page unloads with the events, the next one has them.
    await page.reload();
    await ready(page);
    expect((await queuedEvents(page)).sort()).toEqual(['Cart Viewed', 'Product Added', 'Product Viewed']);
    expect(await namesStored(project.projectId)).toEqual([]);

    await proxy.setMode('pass');
    await eventually(
      async () =>
        expect((await namesStored(project.projectId)).sort()).toEqual([
          'Cart Viewed',
          'Product Added',
          'Product Viewed',
        ]),
      { timeoutMs: 60_000 },
    );
    const ids = await storedMessageIds(ch.client, project.projectId);
    expectEachAcceptedOnce(ids);
    await eventually(async () => expect(await queuedEvents(page)).toEqual([]));
    expect(await pageErrors(page)).toEqual([]);
  });

  it('sends no event twice from two tabs tracking at once, nor when a tab closes with events left', async () => {
    const project = await shop({ options: { autoPage: false, flushInterval: 300, batchSize: 7 } });
    const context = await newContext();
    const [left, right] = await Promise.all([open(context, '/products/a'), open(context, '/products/b')]);
    const burst = (page: Page, tab: string) =>
      page.evaluate(async (name) => {
        const { waymark } = window as unknown as WaymarkWindow;
        for (let i = 0; i < 25; i++) {
          waymark.track('Product Viewed', { tab: name, i });
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }, tab);
    await Promise.all([burst(left, 'left'), burst(right, 'right')]);
    await Promise.all([flush(left), flush(right)]);
    await eventually(async () =>
      expect(await storedMessageIds(ch.client, project.projectId)).toHaveLength(50),
    );

    // The left tab fails to send, then is closed with its events queued: the right tab takes them over.
    await proxy.setMode('unavailable');
    for (let i = 0; i < 5; i++) await track(left, 'Product Added', { tab: 'left', i });
    await flush(left);
    expect(await queuedEvents(left)).toHaveLength(5);
    await left.close({ runBeforeUnload: true });
    await proxy.setMode('pass');
    await eventually(
      async () => expect(await storedMessageIds(ch.client, project.projectId)).toHaveLength(55),
      {
        timeoutMs: 60_000,
      },
    );

    const ids = await storedMessageIds(ch.client, project.projectId);
    expectEachAcceptedOnce(ids);
    // While the collector answered, no event was even sent twice.
    const sent = proxy.sentCounts();
    const firstBurst = (await storedTouchpoints(ch.client, project.projectId)).filter(
      (t) => t.event === 'Product Viewed',
    );
    expect(firstBurst.map((t) => sent.get(t.message_id))).toEqual(firstBurst.map(() => 1));
    expect(await pageErrors(right)).toEqual([]);
  });

  it('sends nothing after optOut(), across reloads, nor under Global Privacy Control or Do Not Track', async () => {
    const project = await shop({ options: { flushInterval: 100 } });
    const context = await newContext();
    const page = await open(context, '/');
    await flush(page);
    await eventually(async () => expect(await namesStored(project.projectId)).toEqual(['page /']));
    await page.evaluate(() => (window as unknown as WaymarkWindow).waymark.optOut());
    const sentBefore = proxy.deliveries.length;
    await track(page, 'Product Viewed');
    await page.reload();
    await ready(page);
    await track(page, 'Order Completed', { revenue: 10 });
    await flush(page);
    expect(await page.evaluate(() => document.cookie)).not.toMatch(/wm_id=[^;]/);

    for (const signal of ['globalPrivacyControl', 'doNotTrack'] as const) {
      const value = signal === 'doNotTrack' ? "'1'" : 'true';
      const signalled = await newContext({
        initScript: `Object.defineProperty(Navigator.prototype, '${signal}', { get: () => ${value} });`,
      });
      const other = await open(signalled, '/pricing');
      await track(other, 'Plan Selected');
      await flush(other);
      expect(await other.evaluate(() => document.cookie)).toBe('');
      expect(await pageErrors(other)).toEqual([]);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(proxy.deliveries.length).toBe(sentBefore);
    expect(await namesStored(project.projectId)).toEqual(['page /']);
  });

  it('turns single-page-app navigations into page views, with the previous page as referrer', async () => {
    // Loaded from the collector's neutral first-party path (COLLECTOR_SDK_PATH) rather than /sdk/waymark.js.
    const project = await shop({
      sdkUrl: new URL('/assets/wm.js', pipeline.collectorUrl).toString(),
      options: { flushInterval: 100 },
    });
    const context = await newContext();
    const page = await open(context, '/');
    await page.evaluate(() => {
      history.pushState({}, '', '/products/shoe');
      document.title = 'Shoe';
    });
    await page.evaluate(() => history.pushState({}, '', '/products/shoe#reviews'));
    await page.evaluate(() => history.pushState({}, '', '/pricing'));
    await page.goBack();
    await page.waitForURL(/#reviews$/);
    await page.goBack();
    await page.waitForURL(/\/products\/shoe$/);
    await flush(page);
    const stored = await eventually(async () => {
      const rows = await storedTouchpoints(ch.client, project.projectId);
      expect(rows).toHaveLength(4);
      return rows;
    });
    // Each flush is corrected for clock skew with its own network delay (docs/decisions/0004-collector-semantics.md),
    // so page views a few milliseconds apart in different flushes may be stored in either order: the
    // navigation is checked by what each page view says, not by the stored order.
    const views = stored.map((t) => [t.type, t.page_path, t.stage, t.page_referrer]);
    expect(views).toEqual(
      expect.arrayContaining([
        ['page', '/', 0, expect.any(String)],
        ['page', '/products/shoe', 2, site.url('/')],
        ['page', '/pricing', 3, site.url('/products/shoe')],
        ['page', '/products/shoe', 2, expect.any(String)],
      ]),
    );
    const firstShoe = stored.find(
      (t) => t.page_path === '/products/shoe' && t.page_referrer === site.url('/'),
    );
    expect(firstShoe?.page_title).toBe('Shoe');
  });

  it('never raises an error in the page when the network fails or blocks the collector', async () => {
    // Unreachable collector, a blocker cancelling the requests, and a blocked script behind the loader.
    const project = await shop({ host: await closedPortUrl(), options: { flushInterval: 50 } });
    const context = await newContext();
    const unreachable = await open(context, '/products/x');
    await track(unreachable, 'Product Viewed');
    await flush(unreachable);

    site.embed({
      writeKey: project.writeKey,
      host: proxy.url,
      sdkUrl: `${pipeline.collectorUrl}/sdk/waymark.js`,
    });
    const blocked = await context.newPage();
    await blocked.route('**/v1/batch', (route) => route.abort('blockedbyclient'));
    await blocked.goto(site.url('/pricing'));
    await ready(blocked);
    await track(blocked, 'Plan Selected');
    await flush(blocked);
    await blocked.evaluate(() => history.pushState({}, '', '/pricing/annual'));
    await blocked.goto(site.url('/checkout'));
    await ready(blocked);

    site.embed({
      writeKey: project.writeKey,
      host: proxy.url,
      sdkUrl: `${pipeline.collectorUrl}/sdk/waymark.js`,
      style: 'loader',
      // Storage that throws on every access (some privacy modes) on top of everything else.
      before: `Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('denied', 'SecurityError'); } });`,
    });
    const noScript = await context.newPage();
    await noScript.route('**/sdk/waymark.js', (route) => route.abort('blockedbyclient'));
    await noScript.goto(site.url('/'));
    await noScript.evaluate(() => {
      const { waymark } = window as unknown as WaymarkWindow;
      waymark.track('Queued Forever');
      waymark.identify('user-1');
    });

    for (const page of [unreachable, blocked, noScript]) {
      expect(await page.evaluate(() => document.querySelector('h1')?.textContent)).toBeTruthy();
      expect(await pageErrors(page)).toEqual([]);
    }
    expect(await namesStored(project.projectId)).toEqual([]);
  });

  it('is refused with 403 from an origin the project does not allow, and does not retry it', async () => {
    const project = await createProjectAllowing(ch.client, ['https://shop.example']);
    site.embed({
      writeKey: project.writeKey,
      host: proxy.url,
      sdkUrl: `${pipeline.collectorUrl}/sdk/waymark.js`,
      options: { autoPage: false },
    });
    const context = await newContext();
    const page = await open(context, '/');
    await track(page, 'Product Viewed');
    await flush(page);
    const refused = () => proxy.deliveries.filter((d) => d.status === 403 && d.origin === site.origin);
    await eventually(async () => expect(refused()).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(refused()).toHaveLength(1);
    expect(await queuedEvents(page)).toEqual([]);
    expect(await pageErrors(page)).toEqual([]);
  });
});
