import { retryable, retryDelay } from './backoff.ts';
import { campaignOf } from './campaign.ts';
import { sendingAllowed } from './consent.ts';
import { createTabQueue, type TabQueue } from './queue.ts';
import { nextSession, parseSession } from './session.ts';
import { createStore, getCookie, type Store, setCookie } from './storage.ts';
import type { FirstTouch, Properties, Waymark, WaymarkEvent, WaymarkOptions } from './types.ts';
import { uuidv7 } from './uuid.ts';
import { LIBRARY_NAME, VERSION } from './version.ts';

const ANONYMOUS_ID = 'wm_id';
const USER_ID = 'wm_uid';
const SESSION = 'wm_s';
const FIRST_TOUCH = 'wm_ft';
const CONSENT = 'wm_consent';
/** The collector rejects larger events; keeping one would block nothing but waste the queue. */
const MAX_EVENT_BYTES = 32 * 1024;
/** Browsers refuse keepalive requests once 64 KB are in flight for the page; stay clearly below. */
const MAX_REQUEST_BYTES = 60_000;

const bytes = (text: string) => new Blob([text]).size;

/**
 * A tracker instance. Nothing touches the page before `init`; calls made earlier are replayed by it.
 * Every public method swallows its own errors: analytics must never break the host page.
 */
export function createWaymark(defaultHost?: string): Waymark {
  let options: WaymarkOptions & { host: string };
  let store: Store;
  let prefs: Store;
  let queue: TabQueue;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sending: Promise<void> | undefined;
  /** No failed attempt since the last answer: unload may hand events to the browser and forget them. */
  let healthy = true;
  let attempt = 0;
  let holdUntil = 0;
  let inFlightBytes = 0;
  const inFlight = new Set<string>();
  const early: Array<[keyof Waymark, unknown[]]> = [];
  let pageUrl = '';
  let referrer = '';

  const cookies = () => !options.cookieless;
  const remember = (key: string, value: string | undefined) => {
    if (value) store.set(key, value);
    else store.del(key);
    if (key === ANONYMOUS_ID && cookies()) setCookie(key, value ?? '', value ? 365 : 0, options.cookieDomain);
  };
  const allowed = () => sendingAllowed(prefs.get(CONSENT), options.respectPrivacySignals !== false);

  const anonymousId = () => {
    const id = (cookies() && getCookie(ANONYMOUS_ID)) || store.get(ANONYMOUS_ID) || uuidv7();
    remember(ANONYMOUS_ID, id);
    return id;
  };

  const schedule = (ms: number) => {
    timer ??= setTimeout(() => {
      timer = undefined;
      void flush();
    }, ms);
  };

  /** Up to `count` queued events not yet in a request, within `budget` bytes. */
  const take = (count: number, budget: number) => {
    const batch: WaymarkEvent[] = [];
    for (const event of queue.events) {
      if (batch.length >= count) break;
      if (inFlight.has(event.messageId)) continue;
      budget -= bytes(JSON.stringify(event)) + 1;
      if (budget < 0) break;
      batch.push(event);
    }
    return batch;
  };

  /** Sends one batch as a CORS-simple request (text/plain, no custom headers: no preflight). */
  const post = async (batch: WaymarkEvent[]): Promise<[status: number, retryAfter?: string | null]> => {
    const body = JSON.stringify({ batch, sentAt: new Date().toISOString(), writeKey: options.writeKey });
    const size = bytes(body);
    for (const e of batch) inFlight.add(e.messageId);
    inFlightBytes += size;
    try {
      const response = await fetch(`${options.host}/v1/batch`, {
        method: 'POST',
        body,
        keepalive: true,
        credentials: 'omit',
      });
      return [response.status, response.headers.get('retry-after')];
    } catch {
      return [0];
    } finally {
      for (const e of batch) inFlight.delete(e.messageId);
      inFlightBytes -= size;
    }
  };

  const flush = (): Promise<void> =>
    (sending ??= (async () => {
      try {
        while (queue && allowed()) {
          const wait = holdUntil - Date.now();
          if (wait > 0) return schedule(wait);
          const batch = take(options.batchSize ?? 20, MAX_REQUEST_BYTES);
          if (!batch.length) return;
          const [status, retryAfter] = await post(batch);
          if (retryable(status)) {
            healthy = false;
            holdUntil = Date.now() + retryDelay(attempt++, retryAfter);
            queue.save();
          } else {
            // Delivered, or refused for good (400/401/403/413): either way it must not be sent again.
            healthy = true;
            attempt = 0;
            queue.remove(new Set(batch.map((e) => e.messageId)));
          }
        }
      } catch {
      } finally {
        sending = undefined;
      }
    })());

  /**
   * The page is going away. While the collector answers, hand every event to the browser as keepalive
   * requests (they outlive the page) and forget them; after a failure keep them all for the next page or
   * another tab rather than risk them on a request nobody can check.
   */
  const unload = () => {
    if (healthy && allowed()) {
      for (let batch: WaymarkEvent[]; (batch = take(1e9, MAX_REQUEST_BYTES - inFlightBytes)).length; ) {
        void post(batch);
      }
      queue.remove(inFlight);
    }
    queue.close();
  };

  const enqueue = (fields: Partial<WaymarkEvent>) => {
    if (!allowed()) return;
    const now = Date.now();
    const session = nextSession(parseSession(store.get(SESSION)), now);
    store.set(SESSION, session.join('.'));
    const search = location.search;
    const campaign = campaignOf(search);
    let firstTouch: FirstTouch | undefined;
    try {
      firstTouch = JSON.parse(store.get(FIRST_TOUCH) as string) ?? undefined;
    } catch {}
    if (!firstTouch) {
      firstTouch = { url: location.href, referrer: document.referrer, campaign, timestamp: new Date(now).toISOString() };
      store.set(FIRST_TOUCH, JSON.stringify(firstTouch));
    }
    const event: WaymarkEvent = {
      anonymousId: anonymousId(),
      userId: store.get(USER_ID) ?? undefined,
      ...(fields as Pick<WaymarkEvent, 'type'>),
      messageId: uuidv7(now),
      timestamp: new Date(now).toISOString(),
      context: {
        page: {
          url: location.href,
          path: location.pathname,
          referrer,
          title: document.title,
          search,
        },
        campaign,
        firstTouch,
        sessionId: session[0],
        locale: navigator.language,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
        library: { name: LIBRARY_NAME, version: VERSION },
      },
    };
    let edited: WaymarkEvent | null | undefined | false = event;
    try {
      if (options.beforeSend) edited = options.beforeSend(event);
    } catch {
      // A failing hook may be the site's PII scrubber: sending the unscrubbed event would be worse.
      edited = null;
    }
    if (!edited || bytes(JSON.stringify(edited)) > MAX_EVENT_BYTES) return;
    queue.add(edited);
    if (queue.events.length >= (options.batchSize ?? 20)) void flush();
    else schedule(options.flushInterval ?? 2000);
  };

  const page = (name?: string, properties?: Properties) => {
    referrer = pageUrl ? pageUrl : document.referrer;
    pageUrl = location.href;
    enqueue({ type: 'page', name, properties });
  };

  /** A History API navigation to another path or query (not a hash change) is a page view. */
  const navigated = () =>
    setTimeout(() => {
      // Deferred: routers set the new title right after pushState.
      if (location.href.split('#')[0] !== pageUrl.split('#')[0]) page();
    });

  const listen = () => {
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method];
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        const result = original.apply(this, args);
        if (options.autoPage !== false) guard(navigated)();
        return result;
      };
    }
    const on = (target: EventTarget, type: string, handler: (event: Event) => void) =>
      target.addEventListener(type, guard(handler));
    on(window, 'popstate', () => options.autoPage !== false && navigated());
    on(document, 'visibilitychange', () => document.visibilityState === 'hidden' && flush());
    on(window, 'pagehide', unload);
    on(window, 'pageshow', (e) => (e as PageTransitionEvent).persisted && queue.reopen());
    // Chrome may freeze a background tab; meanwhile another tab may have taken its events.
    on(document, 'resume', () => queue.reopen());
    on(window, 'storage', (e) => (e as StorageEvent).key?.startsWith('wm_q.') && queue.reclaim(flush));
  };

  const api: Waymark = {
    init(o) {
      if (options) return;
      options = { ...o, host: (o.host || defaultHost || '').replace(/\/+$/, '') };
      store = createStore(o.cookieless ? 'sessionStorage' : 'localStorage');
      // The visitor's choice is a preference, not an identifier: it outlives sessions even when cookieless.
      prefs = createStore('localStorage');
      queue = createTabQueue(store, uuidv7(), options.maxQueue ?? 500);
      referrer = document.referrer;
      queue.reclaim(flush);
      listen();
      for (const [method, args] of early.splice(0)) (api[method] as (...a: unknown[]) => void)(...args);
      if (options.autoPage !== false) page();
    },
    page,
    track: (event, properties) => enqueue({ type: 'track', event, properties }),
    identify(userId, traits) {
      if (!allowed()) return;
      if (userId) remember(USER_ID, userId);
      enqueue({ type: 'identify', traits });
    },
    alias(userId) {
      if (!allowed()) return;
      enqueue({ type: 'alias', userId, previousId: store.get(USER_ID) || anonymousId() });
      remember(USER_ID, userId);
    },
    group: (groupId, traits) => enqueue({ type: 'group', groupId, traits }),
    reset() {
      for (const key of [USER_ID, ANONYMOUS_ID, SESSION, FIRST_TOUCH]) remember(key, undefined);
    },
    optOut() {
      prefs.set(CONSENT, '0');
      api.reset();
      queue.clear();
    },
    optIn: () => prefs.set(CONSENT, '1'),
    flush,
  };

  const guard =
    <A extends unknown[], R>(f: (...args: A) => R) =>
    (...args: A): R | undefined => {
      try {
        return f(...args);
      } catch {
        return undefined;
      }
    };

  const safe = {} as Waymark;
  for (const name of Object.keys(api) as Array<keyof Waymark>) {
    (safe as unknown as Record<string, unknown>)[name] = guard((...args: unknown[]) => {
      if (!options && name !== 'init') {
        early.push([name, args]);
        return name === 'flush' ? Promise.resolve() : undefined;
      }
      return (api[name] as (...a: unknown[]) => unknown)(...args);
    });
  }
  (safe as { flush(): Promise<void> }).flush = () => guard(flush)() ?? Promise.resolve();
  return safe;
}
