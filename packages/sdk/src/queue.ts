import type { Store } from './storage.ts';
import type { WaymarkEvent } from './types.ts';

export const QUEUE_PREFIX = 'wm_q.';
/** A queue whose tab neither closed it nor saved it for this long belongs to a crashed or killed tab. */
export const ABANDONED_MS = 60 * 60 * 1000;

interface StoredQueue {
  /** Last save, epoch ms. */
  t: number;
  /** 1 once its tab has gone (pagehide): any other tab may take the events over. */
  c: 0 | 1;
  e: WaymarkEvent[];
}

export type RunExclusive = (critical: () => void) => void;

/**
 * Across tabs of the origin, one at a time (Web Locks). Without them (insecure contexts, old browsers) two
 * tabs may rarely take over the same queue; the collector's messageId dedup then absorbs the duplicate.
 */
export const acrossTabs: RunExclusive = (critical) => {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (locks) void locks.request('wm_q', critical).catch(() => {});
  else critical();
};

export interface TabQueue {
  /** This tab's unsent events, oldest first. */
  readonly pending: WaymarkEvent[];
  append(event: WaymarkEvent): void;
  discard(messageIds: ReadonlySet<string>): void;
  /** Persists the current state (also refreshes the liveness time). */
  persist(): void;
  /** Takes over the events of tabs that closed (or died) without sending them; then calls `then`. */
  reclaim(then?: () => void): void;
  /** This tab is going away: what is left is anybody's. */
  abandon(): void;
  /** Back from the back/forward cache: continue with what other tabs left us. */
  reopen(): void;
  purge(): void;
}

/**
 * Each tab writes only its own key, so tabs never overwrite each other's events (a shared read-modify-write
 * queue in localStorage would lose events when two tabs write at once). Events left behind by a closed tab
 * are moved to a living tab under a cross-tab lock, so exactly one tab sends them.
 */
export function createTabQueue(
  store: Store,
  writeKey: string,
  tabId: string,
  maxEvents: number,
  exclusive: RunExclusive = acrossTabs,
  now: () => number = Date.now,
): TabQueue {
  // Per write key: another project's tracker on the same origin must never send our events as its own.
  const prefix = `${QUEUE_PREFIX}${writeKey}.`;
  const key = prefix + tabId;
  let closed: 0 | 1 = 0;
  let events: WaymarkEvent[] = [];
  const load = (k: string): StoredQueue | undefined => {
    try {
      const stored = JSON.parse(store.read(k) as string) as StoredQueue;
      if (Array.isArray(stored.e)) return stored;
    } catch {}
  };
  const queue: TabQueue = {
    get pending() {
      return events;
    },
    persist() {
      if (events.length > maxEvents) events.splice(0, events.length - maxEvents);
      if (events.length) store.write(key, JSON.stringify({ t: now(), c: closed, e: events }));
      else store.erase(key);
    },
    append(event) {
      events.push(event);
      queue.persist();
    },
    discard(messageIds) {
      events = events.filter((e) => !messageIds.has(e.messageId));
      queue.persist();
    },
    reclaim(then) {
      exclusive(() => {
        let taken = 0;
        // A closed queue takes nothing: two departed tabs would otherwise pass events back and forth.
        for (const k of closed ? [] : store.list()) {
          const other = k.startsWith(prefix) && k !== key && load(k);
          if (other && (other.c || now() - other.t > ABANDONED_MS)) {
            taken = events.push(...other.e);
            store.erase(k);
          }
        }
        // Only write when something moved: every write wakes the other tabs' storage listeners.
        if (taken) {
          queue.persist();
          then?.();
        }
      });
    },
    abandon() {
      closed = 1;
      queue.persist();
    },
    reopen() {
      exclusive(() => {
        events = load(key)?.e ?? [];
        closed = 0;
        queue.persist();
      });
    },
    purge() {
      events = [];
      queue.persist();
    },
  };
  return queue;
}
