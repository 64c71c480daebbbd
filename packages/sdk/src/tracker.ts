import { retryable, retryDelay } from './backoff.ts';
import { campaignOf } from './campaign.ts';
import { sendingAllowed } from './consent.ts';
import { createTabQueue, type TabQueue } from './queue.ts';
import { nextSession } from './session.ts';
import { createStore, getCookie, type Store, setCookie } from './storage.ts';
import type { Properties, Waymark, WaymarkEvent, WaymarkOptions } from './types.ts';
import { uuidv7 } from './uuid.ts';
import { LIBRARY_NAME, VERSION } from './version.ts';

const ANONYMOUS_ID = 'wm_id';
const USER_ID = 'wm_uid';
const SESSION = 'wm_s';
const FIRST_TOUCH = 'wm_ft';
const CONSENT = 'wm_consent';
/** The collector rejects larger events; keeping one would only waste the queue. */
const MAX_EVENT_BYTES = 32 * 1024;
/** Browsers refuse keepalive requests once 64 KB are in flight for the page; stay clearly below. */
const MAX_REQUEST_BYTES = 60_000;

export const DEFAULT_OPTIONS = {
  autoPage: true,
  batchSize: 20,
  flushInterval: 2000,
  maxQueue: 500,
};

type Settings = typeof DEFAULT_OPTIONS & WaymarkOptions;
type Place = Pick<Location, 'href' | 'pathname' | 'search'> & { referrer: string };

const bytes = (text: string) => new Blob([text]).size;

const guard =
  <A extends unknown[], R>(f: (...args: A) => R) =>
  (...args: A): R | undefined => {
    try {
      return f(...args);
    } catch {}
  };

/**
 * A tracker instance. Nothing touches the page before `init`; calls made earlier are replayed by it.
 * Every public method swallows its own errors: analytics must never break the host page.
 */
export function createWaymark(defaultHost = ''): Waymark {
  let options: Settings;
  let store: Store;
  let prefs: Store;
  let queue: TabQueue;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** When the scheduled flush runs (epoch ms), 0 when none is scheduled. */
  let due = 0;
  /** After pagehide: the page is gone or frozen in the back/forward cache, its queue is anybody's. */
  let gone = false;
  let sending: Promise<void> | undefined;
  /** No failed attempt since the last answer: unload may hand events to the browser and forget them. */
  let healthy = true;
  let attempt = 0;
  let holdUntil = 0;
  let inFlightBytes = 0;
  const inFlight = new Set<string>();
  const early: Array<[keyof Waymark, unknown[]]> = [];
  /** The last page view's URL without its fragment (referrers never carry one either). */
  let pageUrl = '';
  let referrer = '';

  /** The anonymous id in a first-party cookie and in storage; '' deletes both. */
  const rememberAnonymous = (id: string) => {
    if (!options.cookieless) setCookie(ANONYMOUS_ID, id, id ? 31_536_000 : 0, options.cookieDomain);
    store.write(ANONYMOUS_ID, id);
    return id;
  };
  const allowed = () => sendingAllowed(prefs.read(CONSENT), options.respectPrivacySignals !== false);
  const anonymousId = () =>
    rememberAnonymous(
      (!options.cookieless && getCookie(ANONYMOUS_ID)) || store.read(ANONYMOUS_ID) || uuidv7(),
    );

  /** Flush in `ms` unless a flush is already due sooner. */
  const schedule = (ms: number) => {
    const at = Date.now() + ms;
    if (!due || at < due) {
      clearTimeout(timer);
      due = at;
      timer = setTimeout(() => {
        due = 0;
        void flush();
      }, ms);
    }
  };

  /** Up to `count` queued events not yet in a request, within `budget` bytes. */
  const take = (count: number, budget: number) => {
    const batch: WaymarkEvent[] = [];
    for (const event of queue.pending) {
      if (batch.length >= count) break;
      if (inFlight.has(event.messageId)) continue;
      budget -= bytes(JSON.stringify(event)) + 1;
      if (budget < 0) break;
      batch.push(event);
    }
    return batch;
  };

  /** One batch as a CORS-simple request (text/plain, no custom headers: no preflight); never rejects. */
  const post = async (batch: WaymarkEvent[]) => {
    const body = JSON.stringify({ batch, sentAt: new Date().toISOString(), writeKey: options.writeKey });
    const size = bytes(body);
    for (const e of batch) inFlight.add(e.messageId);
    inFlightBytes += size;
    let response: Response | undefined;
    try {
      response = await fetch(`${options.host}/v1/batch`, { method: 'POST', body, keepalive: true });
    } catch {}
    for (const e of batch) inFlight.delete(e.messageId);
    inFlightBytes -= size;
    return response;
  };

  /** Sends batch after batch until the queue is empty or an attempt fails (then a retry is scheduled). */
  const send = async () => {
    while (queue && !gone && allowed()) {
      const wait = holdUntil - Date.now();
      if (wait > 0) return schedule(wait);
      const batch = take(options.batchSize, MAX_REQUEST_BYTES);
      if (!batch.length) return;
      const response = await post(batch);
      if (retryable(response?.status)) {
        healthy = false;
        holdUntil = Date.now() + retryDelay(attempt++, response?.headers.get('retry-after'));
        queue.persist();
      } else {
        // Delivered, or refused for good (400/401/403/413): either way it must not be sent again.
        healthy = true;
        attempt = 0;
        queue.discard(new Set(batch.map((e) => e.messageId)));
      }
    }
  };

  // One sender at a time. `.finally` runs after the assignment even when `send` finishes synchronously.
  const flush = (): Promise<void> =>
    (sending ??= send()
      .catch(() => {})
      .finally(() => {
        sending = undefined;
      }));

  /**
   * The page is going away. While the collector answers, hand what fits in the browser's keepalive quota
   * (64 KB in flight per page, so one request) to a keepalive request, which outlives the page, and forget
   * it with what is already in flight; after a failure keep everything for the next page or another tab
   * rather than risk it on a request nobody can check.
   */
  const unload = () => {
    if (healthy && allowed()) {
      const batch = take(1e9, MAX_REQUEST_BYTES - inFlightBytes);
      const handedOver = new Set(inFlight);
      for (const e of batch) handedOver.add(e.messageId);
      if (batch.length) void post(batch);
      queue.discard(handedOver);
    }
    queue.abandon();
    gone = true;
  };

  /** Where the visitor is now: an event says the page it happened on. */
  const here = (): Place => {
    const { href, pathname, search } = location;
    return { href, pathname, search, referrer };
  };

  const enqueue = (fields: Partial<WaymarkEvent>, place = here()) => {
    if (!allowed()) return;
    const now = Date.now();
    const timestamp = new Date(now).toISOString();
    const [sessionId, session] = nextSession(store.read(SESSION), now);
    store.write(SESSION, session);
    const { href, pathname, search, referrer } = place;
    const campaign = campaignOf(search);
    const firstTouch =
      store.read(FIRST_TOUCH) ||
      JSON.stringify({ url: href, referrer: document.referrer, campaign, timestamp });
    store.write(FIRST_TOUCH, firstTouch);
    let event: WaymarkEvent | null | undefined | false = {
      anonymousId: anonymousId(),
      userId: store.read(USER_ID),
      ...(fields as Pick<WaymarkEvent, 'type'>),
      messageId: uuidv7(now),
      timestamp,
      context: {
        page: { url: href, path: pathname, referrer, title: document.title, search },
        campaign,
        firstTouch: JSON.parse(firstTouch),
        sessionId,
        locale: navigator.language,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        screen: { width: screen.width, height: screen.height },
        library: { name: LIBRARY_NAME, version: VERSION },
      },
    };
    try {
      if (options.beforeSend) event = options.beforeSend(event);
    } catch {
      // A failing hook may be the site's PII scrubber: sending the unscrubbed event would be worse.
      event = null;
    }
    if (!event || bytes(JSON.stringify(event)) > MAX_EVENT_BYTES) return;
    queue.append(event);
    if (queue.pending.length >= options.batchSize) void flush();
    else schedule(options.flushInterval);
  };

  /** Makes the current URL the page, the previous page its referrer, and returns that place. */
  const arrive = (): Place => {
    referrer = pageUrl || document.referrer;
    pageUrl = location.href.split('#')[0] as string;
    return here();
  };

  const page = (name?: string, properties?: Properties) =>
    enqueue({ type: 'page', name, properties }, arrive());

  /**
   * A History API navigation to another path or query (not a hash change) is a page view. Its URL is taken
   * now: the next navigation (a redirect, a fast Back) may come before the deferred event is made.
   */
  const navigated = guard(() => {
    if (!options.autoPage || location.href.split('#')[0] === pageUrl) return;
    const place = arrive();
    // Deferred for the title only: routers set it right after pushState.
    setTimeout(guard(() => enqueue({ type: 'page' }, place)));
  });

  const listen = () => {
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method];
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        const result = original.apply(this, args);
        navigated();
        return result;
      };
    }
    const on = (target: EventTarget, type: string, handler: (event: Event) => unknown) =>
      target.addEventListener(type, guard(handler));
    on(window, 'popstate', navigated);
    on(document, 'visibilitychange', () => document.hidden && flush());
    on(window, 'pagehide', unload);
    on(window, 'pageshow', () => {
      if (gone) {
        gone = false;
        queue.reopen();
      }
    });
    // Another tab wrote: maybe it closed with events left over.
    on(window, 'storage', () => queue.reclaim(flush));
  };

  const api: Waymark = {
    init(o) {
      if (options) return;
      options = { ...DEFAULT_OPTIONS, ...o };
      options.host = (o.host || defaultHost).replace(/\/+$/, '');
      store = createStore(o.cookieless ? 'sessionStorage' : 'localStorage');
      // The visitor's choice is a preference, not an identifier: it outlives sessions even when cookieless.
      prefs = createStore('localStorage');
      queue = createTabQueue(store, options.writeKey, uuidv7(), options.maxQueue);
      referrer = document.referrer;
      queue.reclaim(flush);
      listen();
      for (const [method, args] of early.splice(0)) (api[method] as (...a: unknown[]) => void)(...args);
      if (options.autoPage) page();
    },
    page,
    track: (event, properties) => enqueue({ type: 'track', event, properties }),
    identify(userId: string | Properties | null | undefined, traits?: Properties) {
      if (!allowed()) return;
      // Segment's identify(traits) form: traits of the current user.
      if (typeof userId === 'string') store.write(USER_ID, userId);
      else if (userId) traits = userId;
      enqueue({ type: 'identify', traits });
    },
    alias(userId) {
      if (!allowed()) return;
      enqueue({ type: 'alias', userId, previousId: store.read(USER_ID) || anonymousId() });
      store.write(USER_ID, userId);
    },
    group: (groupId, traits) => enqueue({ type: 'group', groupId, traits }),
    reset() {
      for (const key of [USER_ID, SESSION, FIRST_TOUCH]) store.erase(key);
      rememberAnonymous('');
    },
    optOut() {
      prefs.write(CONSENT, '0');
      api.reset();
      queue?.purge();
    },
    optIn: () => prefs.write(CONSENT, '1'),
    flush,
  };

  const safe = {} as Record<keyof Waymark, unknown>;
  for (const name of Object.keys(api) as Array<keyof Waymark>) {
    safe[name] = guard((...args: unknown[]) =>
      options || name === 'init'
        ? (api[name] as (...a: unknown[]) => unknown)(...args)
        : early.push([name, args]),
    );
  }
  // flush never throws (an async function) and before init has nothing to send.
  safe.flush = flush;
  return safe as Waymark;
}
